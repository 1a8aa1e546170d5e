#!/usr/bin/env node
// Regenerates the committed `cdk8s import` TypeScript in libs/k8s/src/imports/ from the schemas
// committed in charts/schemas/ (pinned: Strimzi 1.2.0, KubeVirt v1.9.0).
//
//   node libs/k8s/scripts/import.mjs [OUTPUT_DIR]      (default libs/k8s/src/imports; the tests use another)
//
// Strimzi ships CRDs, which `cdk8s import` reads as they are. KubeVirt publishes an OpenAPI (swagger)
// document instead, so v1.VirtualMachine is first turned into an equivalent CRD: every $ref inlined
// (the definitions have no cycles), `status` dropped, IntOrString/Quantity marked int-or-string.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const lib = resolve(here, '..');
const schemas = resolve(lib, '..', '..', 'charts', 'schemas');
const work = mkdtempSync(join(tmpdir(), 'oleada-import-'));
const output = resolve(process.argv[2] ?? join(lib, 'src', 'imports'));

function cdk8sImport(spec) {
  execFileSync('npx', ['cdk8s', 'import', spec, '--output', output, '--language', 'typescript', '--no-save', '--no-check-upgrade'], {
    cwd: lib,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

// Strimzi: one module for the four CRDs of kafka.strimzi.io.
const strimziDir = join(schemas, 'strimzi-1.2.0');
const strimzi = readdirSync(strimziDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => readFileSync(join(strimziDir, f), 'utf8').trim())
  .join('\n---\n');
writeFileSync(join(work, 'strimzi.yaml'), strimzi + '\n');
cdk8sImport(`${join(work, 'strimzi.yaml')}`);

// KubeVirt VirtualMachine as a CRD.
const { definitions } = JSON.parse(readFileSync(join(schemas, 'kubevirt-v1.9.0', 'virtualmachine.json'), 'utf8'));
const INT_OR_STRING = new Set(['k8s.io.apimachinery.pkg.util.intstr.IntOrString', 'k8s.io.apimachinery.pkg.api.resource.Quantity']);
function inline(node) {
  if (Array.isArray(node)) return node.map(inline);
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace('#/definitions/', '');
    const target = INT_OR_STRING.has(name) ? { 'x-kubernetes-int-or-string': true } : inline(definitions[name]);
    const { $ref: _ref, default: _default, ...rest } = node;
    return { ...target, ...(rest.description ? { description: rest.description } : {}) };
  }
  const result = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'default') result[key] = inline(value);
  return result;
}
const vm = definitions['v1.VirtualMachine'];
const { metadata: _metadata, status: _status, ...properties } = vm.properties;
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'virtualmachines.kubevirt.io' },
  spec: {
    group: 'kubevirt.io',
    names: { kind: 'VirtualMachine', plural: 'virtualmachines', singular: 'virtualmachine' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { description: vm.description, type: 'object', required: vm.required, properties: inline(properties) } },
      },
    ],
  },
};
writeFileSync(join(work, 'kubevirt.yaml'), stringify(crd));
cdk8sImport(`${join(work, 'kubevirt.yaml')}`);

rmSync(work, { recursive: true, force: true });
