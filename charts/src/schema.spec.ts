import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { validateCloudConfig, validateObject } from './testing/schemas';
import { objectId, objectsOf, synth, VARIANT_NAMES, type K8sObject } from './testing/variants';

describe('every synthesized object is valid against its schema', () => {
  for (const variant of VARIANT_NAMES) {
    it(`${variant}: Kubernetes, Strimzi, KubeVirt and Gateway API objects`, async () => {
      const { objects } = synth(variant);
      assert.ok(objects.length > 20, `only ${objects.length} objects synthesized`);
      const problems: string[] = [];
      for (const object of objects) {
        const { file: _file, ...manifest } = object;
        for (const error of await validateObject(manifest)) problems.push(`${objectId(object)}: ${error}`);
      }
      assert.deepEqual(problems, []);
    });
  }

  it('the Valkey VMs carry cloud-init user data valid against cloud-init’s schema', () => {
    const vms = VARIANT_NAMES.flatMap((v) => objectsOf(synth(v), 'VirtualMachine'));
    assert.ok(vms.length >= 2, 'no VirtualMachine synthesized');
    for (const vm of vms) {
      const cloudInit = vm.spec.template.spec.volumes.find((v: { cloudInitNoCloud?: unknown }) => v.cloudInitNoCloud);
      const userData: string = cloudInit.cloudInitNoCloud.userData;
      assert.ok(userData.startsWith('#cloud-config\n'), `${objectId(vm)}: user data is not #cloud-config`);
      assert.deepEqual(validateCloudConfig(parse(userData)), [], objectId(vm));
    }
  });
});

/** The validators must be able to fail: each of these broken objects is rejected. */
describe('the validators reject broken objects', () => {
  const first = (kind: string): K8sObject => {
    for (const v of VARIANT_NAMES) {
      const found = objectsOf(synth(v), kind)[0];
      if (found) return structuredClone(found);
    }
    throw new Error(`no ${kind} synthesized`);
  };
  const cases: [string, () => K8sObject][] = [
    ['Deployment with an unknown container field', () => {
      const d = first('Deployment');
      d.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
      return d;
    }],
    ['Service with a string port', () => {
      const s = first('Service');
      s.spec.ports[0].port = 'http';
      return s;
    }],
    ['HorizontalPodAutoscaler without maxReplicas', () => {
      const h = first('HorizontalPodAutoscaler');
      delete h.spec.maxReplicas;
      return h;
    }],
    ['Kafka with an unknown listener type', () => {
      const k = first('Kafka');
      k.spec.kafka.listeners[0].type = 'public';
      return k;
    }],
    ['KafkaTopic with an unknown spec field', () => {
      const t = first('KafkaTopic');
      t.spec.partition = 3;
      return t;
    }],
    ['VirtualMachine with an unknown domain field', () => {
      const vm = first('VirtualMachine');
      vm.spec.template.spec.domain.ram = '2Gi';
      return vm;
    }],
    ['HTTPRoute with an unknown path match type', () => {
      const r = first('HTTPRoute');
      r.spec.rules[0].matches[0].path.type = 'Glob';
      return r;
    }],
    ['an unknown kind', () => ({ ...first('Service'), apiVersion: 'example.com/v1', kind: 'Widget' })],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const { file: _file, ...manifest } = make();
      const errors = await validateObject(manifest);
      assert.ok(errors.length > 0, `${name} was accepted`);
    });
  }

  it('cloud-config with a mistyped module', () => {
    assert.ok(validateCloudConfig({ packages: 'valkey', write_files: [{ content: 'x' }] }).length > 0);
  });
});
