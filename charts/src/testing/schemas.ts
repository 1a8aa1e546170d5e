import Ajv, { type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CHARTS_ROOT } from './variants';

/**
 * Validators for every kind the charts synthesize, built only from schemas committed in
 * charts/schemas/ (see its README) and the Gateway API models package:
 * - Kubernetes built-ins: kubernetes-validate's strict JSON schemas (1.33)
 * - Strimzi 1.2.0 CRDs (`kafka.strimzi.io/v1`)
 * - KubeVirt v1.9.0 OpenAPI `v1.VirtualMachine`
 * - Gateway API `gateway.networking.k8s.io/v1` (@kubernetes-models/gateway-api)
 * - cloud-init's cloud-config schema, for the VMs' user data
 * CRD and OpenAPI schemas are made strict (unknown fields rejected), as the API server's strict
 * field validation would.
 */
export const SCHEMAS_DIR = join(CHARTS_ROOT, 'schemas');

type Json = Record<string, unknown>;

/** Rejects unknown fields wherever a schema lists its properties and does not say otherwise. */
export function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const result: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) {
    // `properties` and `definitions` map names to schemas: recurse into the values, keep the names.
    result[key] =
      key === 'properties' || key === 'definitions' || key === 'patternProperties'
        ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, strict(v)]))
        : strict(value);
  }
  if (result.properties && result.additionalProperties === undefined && !result['x-kubernetes-preserve-unknown-fields']) {
    result.additionalProperties = false;
  }
  return result;
}

function formats(ajv: Ajv | Ajv2020): void {
  addFormats(ajv);
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

export type ObjectValidator = (object: unknown) => Promise<string[]>;

function kubernetesValidators(): Map<string, ObjectValidator> {
  const definitions = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'kubernetes-v1.33.0', 'definitions.json'), 'utf8')) as {
    $id: string;
    $defs: Record<string, Json>;
  };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  formats(ajv);
  ajv.addSchema(definitions);
  const validators = new Map<string, ObjectValidator>();
  for (const [name, def] of Object.entries(definitions.$defs)) {
    for (const gvk of (def['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const validate = ajv.compile({ $ref: `${definitions.$id}#/$defs/${name}` });
      validators.set(`${apiVersion}/${gvk.kind}`, async (o) => errorsOf(validate, o));
    }
  }
  return validators;
}

function strimziValidators(): Map<string, ObjectValidator> {
  const dir = join(SCHEMAS_DIR, 'strimzi-1.2.0');
  const ajv = new Ajv({ strict: false, allErrors: true });
  formats(ajv);
  const validators = new Map<string, ObjectValidator>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as {
        spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Json } }[] };
      };
      for (const version of crd.spec.versions) {
        const validate = ajv.compile(strict(version.schema.openAPIV3Schema) as Json);
        validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, async (o) => errorsOf(validate, o));
      }
    }
  }
  return validators;
}

function kubevirtValidators(): Map<string, ObjectValidator> {
  const { definitions } = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'kubevirt-v1.9.0', 'virtualmachine.json'), 'utf8')) as {
    definitions: Json;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  formats(ajv);
  const validate = ajv.compile({ definitions: strict(definitions) as Json, $ref: '#/definitions/v1.VirtualMachine' });
  return new Map([['kubevirt.io/v1/VirtualMachine', async (o: unknown) => errorsOf(validate, o)]]);
}

/** A validator from a kubernetes-models class (`<package>/<group/version>/<kind>`). */
function model(path: string, kind: string): ObjectValidator {
  return async (o) => {
    // The package is ESM; a non-literal specifier keeps TypeScript from rewriting the import.
    const specifier: string = `${path}/${kind}`;
    const module = (await import(specifier)) as Record<string, new (data: unknown) => { validate(): void }>;
    try {
      new module[kind](o).validate();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  };
}

function gatewayApiValidators(): Map<string, ObjectValidator> {
  const v1 = '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
  return new Map(['Gateway', 'HTTPRoute', 'GatewayClass'].map((kind) => [`gateway.networking.k8s.io/v1/${kind}`, model(v1, kind)]));
}

/**
 * Built-in kinds only the standalone profile's entry controller uses (its RBAC and IngressClass), which
 * the committed kubernetes-validate subset does not hold: kubernetes-models' validators (the Gateway API
 * models' own dependency) check them.
 */
function controllerValidators(): Map<string, ObjectValidator> {
  return new Map([
    ['rbac.authorization.k8s.io/v1/ClusterRole', model('kubernetes-models/rbac.authorization.k8s.io/v1', 'ClusterRole')],
    ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', model('kubernetes-models/rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')],
    ['rbac.authorization.k8s.io/v1/RoleBinding', model('kubernetes-models/rbac.authorization.k8s.io/v1', 'RoleBinding')],
    ['networking.k8s.io/v1/IngressClass', model('kubernetes-models/networking.k8s.io/v1', 'IngressClass')],
  ]);
}

let all: Map<string, ObjectValidator> | undefined;

/** Errors of one object against the schema of its apiVersion and kind (an unknown kind is an error). */
export async function validateObject(object: { apiVersion?: string; kind?: string }): Promise<string[]> {
  all ??= new Map([...controllerValidators(), ...kubernetesValidators(), ...strimziValidators(), ...kubevirtValidators(), ...gatewayApiValidators()]);
  const validator = all.get(`${object.apiVersion}/${object.kind}`);
  if (!validator) return [`no schema for ${object.apiVersion} ${object.kind}`];
  return validator(object);
}

let cloudConfig: ValidateFunction | undefined;

/** Errors of a `#cloud-config` document against cloud-init's schema. */
export function validateCloudConfig(document: unknown): string[] {
  if (!cloudConfig) {
    const schema = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'cloud-init-22.4', 'schema-cloud-config-v1.json'), 'utf8')) as Json;
    delete schema.$schema; // draft-04 keywords it uses are read the same way by Ajv's default draft
    const ajv = new Ajv({ strict: false, allErrors: true });
    formats(ajv);
    cloudConfig = ajv.compile(schema);
  }
  return errorsOf(cloudConfig, document);
}
