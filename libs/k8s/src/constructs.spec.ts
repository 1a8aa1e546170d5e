import { getScenario } from '@oleada/scenarios';
import { Chart, Testing } from 'cdk8s';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayApiEntry } from './entry';
import { JAEGER_PORTS, jaegerOtlpEndpoint, JaegerStore } from './jaeger';
import { KafkaCluster } from './kafka';
import { RABBITMQ_CONF_FILE, RABBITMQ_SECRET_KEYS, RabbitMQ } from './rabbitmq';
import { valkeyConf } from './valkey/config';
import { GrpcService, HttpService } from './workload';

const scenario = getScenario('blackfriday');
const common = { namespace: 'ns', image: 'r:5000/oleada/x:1', imagePullSecret: 'pull', env: {} };

describe('constructs', () => {
  it('the trace store: one in-memory Jaeger, restricted, its receiver and query API on the Service, its endpoint by DNS name', () => {
    const chart = Testing.chart();
    const store = new JaegerStore(chart, 'j', { namespace: 'mon', image: 'r:5000/oleada-local/jaeger:v1', imagePullSecret: 'pull', clusterDomain: 'cluster.local' });
    const objects = Testing.synth(chart);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const service = objects.find((o) => o.kind === 'Service');
    assert.equal(store.otlpEndpoint, 'http://jaeger.mon.svc.cluster.local:4318');
    assert.equal(store.otlpEndpoint, jaegerOtlpEndpoint('mon', 'cluster.local'));
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    assert.ok(container.args.includes(`--collector.otlp.http.host-port=:${JAEGER_PORTS.otlpHttp}`));
    assert.ok(container.args.includes(`--query.http-server.host-port=:${JAEGER_PORTS.query}`));
    assert.deepEqual(container.env, [{ name: 'SPAN_STORAGE_TYPE', value: 'memory' }]);
    assert.equal(container.readinessProbe.httpGet.port, JAEGER_PORTS.admin);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.deepEqual(
      service.spec.ports.map((p: { port: number }) => p.port),
      [JAEGER_PORTS.otlpHttp, JAEGER_PORTS.query],
    );
  });

  it('an autoscaled workload leaves replicas to its HPA; a fixed one has no HPA', () => {
    const chart = Testing.chart();
    const scaled = new HttpService(chart, 'a', { ...common, name: 'a', component: 'a', autoscaling: { minReplicas: 1, maxReplicas: 3, cpuUtilization: 30 } });
    const fixed = new GrpcService(chart, 'b', { ...common, name: 'b', component: 'b', replicas: 2 });
    const objects = Testing.synth(chart);
    const deployment = (name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    assert.equal(deployment('a').spec.replicas, undefined);
    assert.equal(deployment('b').spec.replicas, 2);
    assert.ok(scaled.hpa);
    assert.equal(fixed.hpa, undefined);
    assert.equal(fixed.target, 'dns:///b-headless.ns.svc.cluster.local:50051');
    assert.equal(scaled.url, 'http://a:8080');
  });

  it('a terminating pod keeps serving for its preStop pause, then drains within its grace period', () => {
    const chart = Testing.chart();
    new HttpService(chart, 'a', { ...common, name: 'a', component: 'a' });
    new GrpcService(chart, 'b', { ...common, name: 'b', component: 'b', preStopSeconds: 8, terminationGracePeriodSeconds: 40 });
    const pods = Testing.synth(chart)
      .filter((o) => o.kind === 'Deployment')
      .map((d): [string, number, number] => [d.metadata.name, d.spec.template.spec.terminationGracePeriodSeconds, d.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds]);
    assert.deepEqual(pods, [
      ['a', 30, 5],
      ['b', 40, 8],
    ]);
    // the apps drain for at most SHUTDOWN_TIMEOUT_MS (10 s by default) after SIGTERM
    for (const [name, grace, pause] of pods) assert.ok(grace >= pause + 10 + 5, `${name}: ${grace} s of grace cover the ${pause} s pause, a 10 s drain and a margin`);
  });

  it('rejects an autoscaling range upside down', () => {
    assert.throws(
      () => new HttpService(Testing.chart(), 'a', { ...common, name: 'a', component: 'a', autoscaling: { minReplicas: 3, maxReplicas: 1, cpuUtilization: 30 } }),
      /minReplicas 3 > maxReplicas 1/,
    );
  });

  it('refuses topics with fewer partitions than the consumer may have replicas', () => {
    const kafka = new KafkaCluster(Testing.chart(), 'k', { namespace: 'ns', storage: { size: '1Gi' }, clientPodSelectors: [] });
    assert.throws(() => kafka.addScenarioTopics(scenario, scenario.partitions + 1), /partitions/);
    assert.equal(kafka.addScenarioTopics(scenario, 1).length, scenario.topics.length + 1);
  });

  it('RabbitMQ: an AMQP URL without credentials on the default vhost, the user from the Secret, 80% of the memory planned', () => {
    const chart = Testing.chart();
    const rabbitmq = new RabbitMQ(chart, 'r', { namespace: 'ns', authSecretName: 'auth', memoryMiB: 2048 });
    const url = new URL(rabbitmq.url);
    assert.deepEqual([url.protocol, url.hostname, url.port, url.username, url.password], ['amqp:', 'rabbitmq', '5672', '', '']);
    assert.equal(decodeURIComponent(url.pathname.slice(1)), '/');
    assert.deepEqual(rabbitmq.credentials, {
      username: { secretName: 'auth', key: RABBITMQ_SECRET_KEYS.username },
      password: { secretName: 'auth', key: RABBITMQ_SECRET_KEYS.password },
    });
    const conf = Testing.synth(chart).find((o) => o.kind === 'ConfigMap').data[RABBITMQ_CONF_FILE];
    assert.match(conf, new RegExp(`^total_memory_available_override_value = ${Math.floor(2048 * 1024 * 1024 * 0.8)}$`, 'm'));
  });

  it('a replica needs its primary', () => {
    assert.throws(() => valkeyConf({ role: 'replica', maxmemory: '1mb' }), /primaryHost/);
  });

  it('splits many routes over several HTTPRoute rules', () => {
    const chart: Chart = Testing.chart();
    const backend = new HttpService(chart, 'g', { ...common, name: 'g', component: 'g' });
    const paths = Array.from({ length: 20 }, (_, i) => `/p${i}`);
    new GatewayApiEntry(chart, 'e', { namespace: 'ns', gatewayNamespace: 'edge', backend, paths });
    const route = Testing.synth(chart).find((o) => o.kind === 'HTTPRoute');
    assert.deepEqual(route.spec.rules.map((r: { matches: unknown[] }) => r.matches.length), [8, 8, 4]);
  });
});
