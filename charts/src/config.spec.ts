import { SCENARIOS } from '@oleada/scenarios';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultImageTag, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults: kind profile, every scenario, KubeVirt Valkey, ingress, the tag docker-push uses', () => {
    const config = loadConfig({});
    assert.equal(config.profile.name, 'kind');
    assert.deepEqual(config.scenarios.map((s) => s.name), SCENARIOS.map((s) => s.name));
    assert.equal(config.valkeyMode, 'kubevirt');
    assert.equal(config.entry.mode, 'ingress');
    assert.equal(config.entry.ingressClass, 'nginx');
    assert.equal(config.imageTag, defaultImageTag());
    assert.match(config.imageTag, /^([0-9a-f]{12}(-dirty)?|\d+\.\d+\.\d+)$/);
  });

  it('reads the profile, registry, tag and modes from the environment', () => {
    const config = loadConfig({ OLEADA_PROFILE: 'eks', REGISTRY: '10.1.2.3:5000', TAG: 'abc1234', OLEADA_VALKEY: 'statefulset', OLEADA_ENTRY: 'gateway-api' });
    assert.equal(config.profile.storageClass, 'oleada-gp3');
    assert.equal(config.registry, '10.1.2.3:5000');
    assert.equal(config.imageTag, 'abc1234');
    assert.equal(config.valkeyMode, 'statefulset');
    assert.equal(config.entry.controllerNamespace, config.namespaces.edge);
  });

  it('runs Kafka unless told otherwise; OLEADA_BROKER picks rabbitmq or both', () => {
    assert.equal(loadConfig({}).brokerMode, 'kafka');
    assert.equal(loadConfig({ OLEADA_BROKER: 'rabbitmq' }).brokerMode, 'rabbitmq');
    assert.equal(loadConfig({ OLEADA_BROKER: 'both' }).brokerMode, 'both');
    assert.notEqual(loadConfig({}).rabbitmq.username, 'guest');
  });

  it('sends traces nowhere unless OLEADA_OTLP_ENDPOINT names a receiver; then 1 % parent-based by default', () => {
    assert.equal(loadConfig({}).tracing, undefined);
    assert.deepEqual(loadConfig({ OLEADA_OTLP_ENDPOINT: 'http://collector.observability:4318' }).tracing, { endpoint: 'http://collector.observability:4318', sampler: 'parentbased_traceidratio', ratio: '0.01' });
    assert.equal(loadConfig({ OLEADA_OTLP_ENDPOINT: 'http://c:4318', OLEADA_TRACES_SAMPLER: 'always_on', OLEADA_TRACES_SAMPLER_ARG: '1' }).tracing?.sampler, 'always_on');
    assert.throws(() => loadConfig({ OLEADA_OTLP_ENDPOINT: 'collector:4318' }), /OLEADA_OTLP_ENDPOINT=collector:4318 is invalid/);
    assert.throws(() => loadConfig({ OLEADA_OTLP_ENDPOINT: 'http://c:4318', OLEADA_TRACES_SAMPLER_ARG: '5' }), /OLEADA_TRACES_SAMPLER_ARG=5/);
    assert.throws(() => loadConfig({ OLEADA_OTLP_ENDPOINT: 'http://c:4318', OLEADA_TRACES_SAMPLER: 'sometimes' }), /OLEADA_TRACES_SAMPLER=sometimes/);
  });

  it('OLEADA_TRACING=jaeger: the local profile deploys its own store and every app sends to it', () => {
    const tracing = loadConfig({ OLEADA_PROFILE: 'local', OLEADA_TRACING: 'jaeger', OLEADA_TRACES_SAMPLER_ARG: '0.1' }).tracing;
    assert.deepEqual(tracing, { endpoint: 'http://jaeger.oleada-monitoring.svc.cluster.local:4318', sampler: 'parentbased_traceidratio', ratio: '0.1', store: 'jaeger' });
    assert.throws(() => loadConfig({ OLEADA_PROFILE: 'gke', OLEADA_TRACING: 'jaeger' }), /OLEADA_TRACING=jaeger is invalid with OLEADA_PROFILE=gke/);
    assert.throws(() => loadConfig({ OLEADA_PROFILE: 'local', OLEADA_TRACING: 'zipkin' }), /OLEADA_TRACING=zipkin is invalid: use jaeger/);
    assert.throws(() => loadConfig({ OLEADA_PROFILE: 'local', OLEADA_TRACING: 'jaeger', OLEADA_OTLP_ENDPOINT: 'http://c:4318' }), /OLEADA_OTLP_ENDPOINT is invalid with OLEADA_TRACING/);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ OLEADA_PROFILE: 'aks' }), /OLEADA_PROFILE=aks is invalid: use gke \| eks \| kind/);
    assert.throws(() => loadConfig({ OLEADA_VALKEY: 'vm' }), /OLEADA_VALKEY=vm/);
    assert.throws(() => loadConfig({ OLEADA_BROKER: 'pulsar' }), /OLEADA_BROKER=pulsar is invalid: use kafka \| rabbitmq \| both/);
    assert.throws(() => loadConfig({ TAG: 'latest' }), /latest/);
    assert.throws(() => loadConfig({ OLEADA_SCENARIOS: 'nope' }), /unknown scenario "nope"/);
    assert.throws(() => loadConfig({ OLEADA_KUBEVIRT_EMULATION: 'yes' }), /true \| false/);
  });
});
