import { requiredVariables } from '@oleada/app-config';
import { alertRuleFile } from '@oleada/dashboards';
import { AMQP_PORT, imageTag, KAFKA_ADMIN_USER, KAFKA_VERSION, podLabelMeta, PROMETHEUS_ALERT_RULES_PATH, PROMETHEUS_PORT, prometheusConfig, PROMETHEUS_SERVER_PODS, RABBITMQ_CONF_FILE, RABBITMQ_SECRET_KEYS, VALKEY_USERS } from '@oleada/k8s';
import { canonicalRoute } from '@oleada/scenarios';
import { ScenarioKeys } from '@oleada/valkey-schema';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { publicPaths } from './charts/entry';
import { GRAFANA_PODS } from './charts/network-policies';
import { brokerPath, brokerPaths } from './charts/pipeline';
import { appConfig, isApp, SECRET_PLACEHOLDER } from './testing/app-config';
import { objectId, objectsOf, synth, TEST_REGISTRY, TEST_TAG, VARIANT_NAMES, type K8sObject, type Synthesized } from './testing/variants';

type Labels = Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Kinds with a pod template, and where it sits. */
const POD_TEMPLATES: Record<string, (o: K8sObject) => Json> = {
  Deployment: (o) => o.spec.template,
  StatefulSet: (o) => o.spec.template,
};

function podTemplates(s: Synthesized): { owner: K8sObject; template: Json }[] {
  return s.objects.filter((o) => POD_TEMPLATES[o.kind]).map((owner) => ({ owner, template: POD_TEMPLATES[owner.kind](owner) }));
}

/** Labels of every pod the manifests create, with its namespace (VMs: their virt-launcher pods). */
function pods(s: Synthesized): { owner: K8sObject; namespace: string; labels: Labels }[] {
  return [
    ...podTemplates(s).map(({ owner, template }) => ({ owner, namespace: owner.metadata.namespace!, labels: template.metadata.labels as Labels })),
    ...objectsOf(s, 'VirtualMachine').map((vm) => ({ owner: vm, namespace: vm.metadata.namespace!, labels: vm.spec.template.metadata.labels as Labels })),
  ];
}

function matches(selector: Labels | undefined, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

function deployment(s: Synthesized, name: string): K8sObject {
  const found = objectsOf(s, 'Deployment').find((d) => d.metadata.name === name);
  assert.ok(found, `no Deployment ${name}`);
  return found;
}

function envOf(d: K8sObject): Record<string, Json> {
  return Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));
}

/** The apps' Deployments (the entry controller of a standalone profile lives in its own namespace). */
function appDeployments(s: Synthesized): K8sObject[] {
  return objectsOf(s, 'Deployment').filter((d) => d.metadata.namespace === s.config.namespaces.app);
}

function statefulSet(s: Synthesized, name: string): K8sObject | undefined {
  return objectsOf(s, 'StatefulSet').find((set) => set.metadata.name === name);
}

function bootstrapEnv(s: Synthesized): Record<string, string> {
  return Object.fromEntries(
    s.files['bootstrap.env']
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => {
        const [k, ...v] = l.split('=');
        return [k, v.join('=').replace(/^'|'$/g, '')];
      }),
  );
}

for (const variant of VARIANT_NAMES) {
  describe(`policy: ${variant}`, () => {
    const s = synth(variant);
    const { config } = s;
    const app = config.namespaces.app;
    const paths = brokerPaths(config.brokerMode);
    const consumerNames = paths.map((p) => p.consumer);

    it('every pod runs restricted: non-root, read-only root, no capabilities, seccomp RuntimeDefault, no token', () => {
      const templates = podTemplates(s);
      assert.ok(templates.length >= 5);
      for (const { owner, template } of templates) {
        const spec = template.spec;
        const id = objectId(owner);
        assert.equal(spec.securityContext?.runAsNonRoot, true, `${id}: pod runAsNonRoot`);
        assert.ok(spec.securityContext?.runAsUser > 0, `${id}: pod runAsUser non-zero`);
        assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${id}: seccomp`);
        // only a pod whose account the manifests bind to a role (Traefik and Prometheus on a standalone profile) gets a token
        const bound = [...objectsOf(s, 'ClusterRoleBinding'), ...objectsOf(s, 'RoleBinding')].some((b) => b.subjects.some((sub: Json) => sub.kind === 'ServiceAccount' && sub.name === spec.serviceAccountName && sub.namespace === owner.metadata.namespace));
        assert.equal(spec.automountServiceAccountToken, bound ? true : false, `${id}: service account token ${bound ? 'missing for a controller' : 'mounted'}`);
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const sc = c.securityContext ?? {};
          assert.equal(sc.allowPrivilegeEscalation, false, `${id} ${c.name}: allowPrivilegeEscalation`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${id} ${c.name}: readOnlyRootFilesystem`);
          assert.equal(sc.runAsNonRoot, true, `${id} ${c.name}: runAsNonRoot`);
          assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${id} ${c.name}: capabilities`);
          assert.ok(!sc.capabilities?.add, `${id} ${c.name}: adds capabilities`);
          assert.equal(sc.privileged ?? false, false, `${id} ${c.name}: privileged`);
        }
      }
    });

    it('every container has requests and limits; every serving container has readiness and liveness probes', () => {
      for (const { owner, template } of podTemplates(s)) {
        const spec = template.spec;
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          for (const kind of ['requests', 'limits']) {
            for (const resource of ['cpu', 'memory']) {
              assert.ok(c.resources?.[kind]?.[resource], `${objectId(owner)} ${c.name}: no ${resource} ${kind}`);
            }
          }
        }
        for (const c of spec.containers) {
          assert.ok(c.readinessProbe, `${objectId(owner)} ${c.name}: no readinessProbe`);
          assert.ok(c.livenessProbe, `${objectId(owner)} ${c.name}: no livenessProbe`);
        }
      }
      for (const vm of objectsOf(s, 'VirtualMachine')) {
        assert.equal(vm.spec.template.spec.readinessProbe?.tcpSocket?.port, 6379, `${objectId(vm)}: readiness probe`);
      }
    });

    it('writers are ready by the gRPC health service and sit behind headless Services', () => {
      for (const name of ['writer-1', 'writer-2']) {
        const c = deployment(s, name).spec.template.spec.containers[0];
        assert.equal(c.readinessProbe.grpc?.port, 50051, `${name} readiness`);
        assert.equal(c.livenessProbe.httpGet?.path, '/health/live', `${name} liveness`);
        const headless = objectsOf(s, 'Service').find((svc) => svc.metadata.name === `${name}-headless`);
        assert.equal(headless?.spec.clusterIP, 'None', `${name}-headless is not headless`);
      }
    });

    it(`app images are ${TEST_REGISTRY}/oleada/<app>:<tag> with a pull secret and the image's own command; no image is :latest`, () => {
      const deployments = appDeployments(s);
      assert.equal(deployments.length, 4 + paths.length, 'gateway, relay, two writers and a consumer per broker');
      for (const d of deployments) {
        const spec = d.spec.template.spec;
        const component = d.metadata.labels!['app.kubernetes.io/component'];
        assert.ok(['gateway', 'relay', 'writer', 'consumer'].includes(component), `${objectId(d)}: component ${component}`);
        assert.equal(spec.containers.length, 1);
        assert.equal(spec.containers[0].image, `${TEST_REGISTRY}/oleada/${component}:${TEST_TAG}`, objectId(d));
        assert.equal(spec.containers[0].command, undefined, `${objectId(d)}: overrides the image command`);
        assert.equal(spec.containers[0].args, undefined, `${objectId(d)}: overrides the image args`);
        assert.deepEqual(spec.imagePullSecrets, [{ name: config.secrets.registry }], `${objectId(d)}: imagePullSecrets`);
      }
      const images = [
        ...podTemplates(s).flatMap(({ template }) => [...template.spec.containers, ...(template.spec.initContainers ?? [])].map((c: Json) => c.image)),
        ...objectsOf(s, 'VirtualMachine').flatMap((vm) => vm.spec.dataVolumeTemplates.map((t: Json) => t.spec.source.registry?.url).filter(Boolean)),
      ];
      for (const image of images) {
        const tag = imageTag(image.replace(/^docker:\/\//, ''));
        assert.ok(tag && tag !== 'latest', `image ${image} has no explicit tag`);
      }
      const rabbitmqPod = statefulSet(s, 'rabbitmq')?.spec.template.spec;
      for (const container of [...(rabbitmqPod?.containers ?? []), ...(rabbitmqPod?.initContainers ?? [])]) {
        const standalone = config.profile.standalone;
        if (standalone) {
          // built by tools/cluster/images.sh from Debian's package, pulled from the project's registry
          assert.equal(container.image, `${config.registry}/${standalone.rabbitmqImage}`);
        } else {
          assert.match(container.image, /^docker\.io\/library\/rabbitmq:\d+\.\d+\.\d+$/, 'RabbitMQ: the official image, pinned to a release');
        }
      }
      if (rabbitmqPod && config.profile.standalone) assert.deepEqual(rabbitmqPod.imagePullSecrets, [{ name: config.secrets.registry }]);
      assert.equal(bootstrapEnv(s).OLEADA_REGISTRY_SECRET, config.secrets.registry);
    });

    it('HPAs: gateway 1–3 and relay 1–3 at 30% CPU, each consumer 1–2; writer-1 has 1 replica and writer-2 2', () => {
      const hpas = Object.fromEntries(objectsOf(s, 'HorizontalPodAutoscaler').map((h) => [h.metadata.name, h]));
      assert.deepEqual(Object.keys(hpas).sort(), [...consumerNames, 'gateway', 'relay'].sort());
      const expected: Record<string, [number, number]> = {
        gateway: [1, 3],
        relay: [1, 3],
        ...Object.fromEntries(consumerNames.map((name) => [name, [1, 2]])),
      };
      for (const [name, [min, max]] of Object.entries(expected)) {
        const spec = hpas[name].spec;
        assert.equal(spec.minReplicas, min, `${name} minReplicas`);
        assert.equal(spec.maxReplicas, max, `${name} maxReplicas`);
        assert.deepEqual(spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } } }]);
        assert.deepEqual(spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name });
        assert.equal(deployment(s, name).spec.replicas, undefined, `${name}: replicas fixed although an HPA scales it`);
      }
      assert.equal(deployment(s, 'writer-1').spec.replicas, 1);
      assert.equal(deployment(s, 'writer-2').spec.replicas, 2);
    });

    it('every Service, PodDisruptionBudget and workload selector selects pods that exist', () => {
      const all = pods(s);
      for (const svc of objectsOf(s, 'Service')) {
        const selected = all.filter((p) => p.namespace === svc.metadata.namespace && matches(svc.spec.selector, p.labels));
        assert.ok(svc.spec.selector && selected.length > 0, `${objectId(svc)} selects no pod`);
        for (const port of svc.spec.ports) {
          const target = port.targetPort;
          if (typeof target !== 'string') continue;
          const named = selected.some(({ owner }) =>
            POD_TEMPLATES[owner.kind]?.(owner).spec.containers.some((c: Json) => c.ports?.some((p: Json) => p.name === target)),
          );
          assert.ok(named, `${objectId(svc)}: no selected container has a port named ${target}`);
        }
      }
      for (const d of appDeployments(s)) {
        assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${objectId(d)} selector`);
        const pdb = objectsOf(s, 'PodDisruptionBudget').find(
          (p) => p.metadata.namespace === d.metadata.namespace && matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels),
        );
        assert.ok(pdb, `${objectId(d)} has no PodDisruptionBudget`);
      }
      for (const sts of objectsOf(s, 'StatefulSet')) {
        assert.ok(matches(sts.spec.selector.matchLabels, sts.spec.template.metadata.labels), `${objectId(sts)} selector`);
      }
    });

    it('every app gets each variable its configuration requires (libs/app-config), with a value', () => {
      for (const d of appDeployments(s)) {
        const component = d.metadata.labels!['app.kubernetes.io/component'];
        assert.ok(isApp(component), `${objectId(d)}: component ${component} is no app`);
        const env = envOf(d);
        for (const name of requiredVariables(component, env.BROKER === 'rabbitmq' ? 'rabbitmq' : 'kafka')) {
          assert.ok(env[name] !== undefined && env[name] !== '', `${objectId(d)}: required ${name} not set`);
        }
        assert.equal(env.SERVICE_NAME, d.metadata.name);
        assert.equal(env.SCENARIOS, config.scenarios.map((x) => x.name).join(','));
      }
    });

    it("every app's Node heap leaves room under its container's memory limit", () => {
      for (const d of appDeployments(s)) {
        const env = envOf(d);
        const limit = d.spec!.template.spec!.containers[0].resources!.limits!.memory;
        const limitMiB = Number(/^(\d+)Mi$/.exec(String(limit))?.[1]);
        const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(String(env.NODE_OPTIONS))?.[1]);
        assert.ok(heapMiB > 0 && limitMiB > 0, `${objectId(d)}: NODE_OPTIONS ${env.NODE_OPTIONS}, limit ${limit}`);
        assert.ok(heapMiB <= limitMiB / 2, `${objectId(d)}: heap ${heapMiB} MiB in a ${limitMiB} MiB container`);
      }
    });

    it('every app gets only variables its configuration reads, and its own start-up validation accepts them', () => {
      for (const d of appDeployments(s)) {
        const component = d.metadata.labels!['app.kubernetes.io/component'];
        const reads = appConfig(component);
        const env = Object.fromEntries(Object.entries(envOf(d)).map(([name, value]) => [name, typeof value === 'string' ? value : SECRET_PLACEHOLDER]));
        // NODE_OPTIONS is read by Node itself (the heap size from APP_MEMORY), not by the app's configuration.
        for (const name of Object.keys(env)) assert.ok(name === 'NODE_OPTIONS' || reads.variables.has(name), `${objectId(d)}: apps/${component} does not read ${name}`);
        assert.deepEqual(reads.problems(env), [], `${objectId(d)}: apps/${component} would not start`);
      }
    });

    it('variables point at objects that exist; credentials come only from Secrets', () => {
      const services = new Set(objectsOf(s, 'Service').map((svc) => svc.metadata.name));
      const gateway = envOf(deployment(s, 'gateway'));
      assert.match(gateway.RELAY_URL, /^http:\/\/relay:8080$/);
      assert.ok(services.has('relay'));
      const relay = envOf(deployment(s, 'relay'));
      const target = (w: string) => `dns:///${w}-headless.${app}.svc.cluster.local:50051`;
      for (const w of ['writer-1', 'writer-2']) assert.ok(services.has(`${w}-headless`));
      const [first, ...fanout] = paths;
      assert.deepEqual(relay.WRITER_TARGETS.split(','), first.writers.map(target));
      assert.equal(relay.FANOUT_TARGETS, fanout.length > 0 ? fanout.map((p) => p.writers.map(target).join(',')).join(';') : undefined);
      const kafka = objectsOf(s, 'Kafka')[0];
      // Standalone profiles run Kafka as a StatefulSet: its users are the Secrets it mounts.
      const kafkaSet = statefulSet(s, 'oleada-kafka');
      const kafkaBootstrap = kafka ? `${kafka.metadata.name}-kafka-bootstrap:${kafka.spec.kafka.listeners[0].port}` : 'oleada-kafka-bootstrap:9092';
      const users = new Set(
        kafka
          ? objectsOf(s, 'KafkaUser').map((u) => u.metadata.name)
          : (kafkaSet?.spec.template.spec.volumes ?? []).filter((v: Json) => v.secret).map((v: Json) => v.secret.secretName),
      );
      const rabbitmq = statefulSet(s, 'rabbitmq');
      for (const path of paths) {
        for (const name of [...path.writers, path.consumer]) {
          const env = envOf(deployment(s, name));
          assert.equal(env.BROKER, path.broker, `${name}: BROKER`);
          if (path.broker === 'kafka') {
            assert.equal(env.KAFKA_BROKERS, kafkaBootstrap);
            assert.ok(services.has(kafkaBootstrap.split(':')[0]) || kafka, `no Service ${kafkaBootstrap}`);
            assert.equal(env.KAFKA_SASL_MECHANISM, 'scram-sha-512');
            assert.ok(users.has(env.KAFKA_USERNAME), `${name}: KAFKA_USERNAME ${env.KAFKA_USERNAME} is no KafkaUser`);
            // Strimzi's User Operator writes the password to a Secret named after the user.
            assert.deepEqual(env.KAFKA_PASSWORD, { secretKeyRef: { name: env.KAFKA_USERNAME, key: 'password' } });
          } else {
            const url = new URL(env.RABBITMQ_URL);
            assert.equal(url.protocol, 'amqp:');
            assert.ok(services.has(url.hostname), `${name}: RABBITMQ_URL host ${url.hostname} is no Service`);
            assert.equal(Number(url.port), AMQP_PORT);
            assert.equal(url.username + url.password, '', `${name}: credentials in RABBITMQ_URL`);
            // The apps log in as RabbitMQ's default user: the same Secret keys the broker creates it from.
            const brokerEnv = Object.fromEntries(rabbitmq!.spec.template.spec.containers[0].env.map((e: Json) => [e.name, e.valueFrom]));
            assert.deepEqual(env.RABBITMQ_USERNAME, brokerEnv.RABBITMQ_DEFAULT_USER);
            assert.deepEqual(env.RABBITMQ_PASSWORD, brokerEnv.RABBITMQ_DEFAULT_PASS);
            assert.deepEqual(env.RABBITMQ_PASSWORD, { secretKeyRef: { name: config.secrets.rabbitmq, key: RABBITMQ_SECRET_KEYS.password } });
          }
        }
        const consumer = envOf(deployment(s, path.consumer));
        assert.equal(consumer.VALKEY_VARIANT, path.variant, `${path.consumer}: VALKEY_VARIANT`);
        assert.equal(consumer.VALKEY_URL, 'redis://valkey:6379');
        assert.equal(consumer.VALKEY_USERNAME, VALKEY_USERS.consumer.name);
        assert.deepEqual(consumer.VALKEY_PASSWORD, { secretKeyRef: { name: config.secrets.valkey, key: VALKEY_USERS.consumer.secretKey } });
      }
      assert.equal(new Set(paths.map((p) => p.variant)).size, paths.length, 'two broker paths would share their aggregates');
      // Every gateway replica binds Idempotency-Keys in the same Valkey, as its own user.
      assert.equal(gateway.VALKEY_URL, 'redis://valkey:6379');
      assert.equal(gateway.VALKEY_USERNAME, VALKEY_USERS.gateway.name);
      assert.deepEqual(gateway.VALKEY_PASSWORD, { secretKeyRef: { name: config.secrets.valkey, key: VALKEY_USERS.gateway.secretKey } });
      assert.ok(bootstrapEnv(s).OLEADA_VALKEY_KEYS.split(' ').includes(VALKEY_USERS.gateway.secretKey));
      assert.ok(services.has('valkey'));
      const boot = bootstrapEnv(s);
      assert.equal(boot.OLEADA_VALKEY_SECRET, config.secrets.valkey);
      assert.ok(boot.OLEADA_VALKEY_KEYS.split(' ').includes(VALKEY_USERS.consumer.secretKey));
      for (const { owner, template } of podTemplates(s)) {
        for (const c of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
          for (const e of c.env ?? []) {
            if (/PASS|SECRET|TOKEN|COOKIE/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${objectId(owner)} ${c.name}: ${e.name} is a literal`);
          }
        }
      }
      assert.deepEqual(objectsOf(s, 'Secret'), [], 'manifests must not carry Secrets (the bootstrap creates them)');
      const literal = Object.values(s.files).join('\n').match(/(password|pass|cookie):[ \t]*["']?[A-Za-z0-9]{8,}/i);
      assert.equal(literal, null, `something looks like a literal password: ${literal?.[0]}`);
    });

    it('NetworkPolicies: default deny; only the controller reaches the gateway; each hop only from the previous one; Valkey only from the gateway, consumers and Grafana; Prometheus only each app\'s metrics port; Grafana Prometheus', () => {
      const policies = objectsOf(s, 'NetworkPolicy');
      const peersOf = (namespace: string, labels: Labels) => {
        const selecting = policies.filter(
          (p) => p.metadata.namespace === namespace && p.spec.policyTypes.includes('Ingress') && matches(p.spec.podSelector.matchLabels, labels),
        );
        return { isolated: selecting.length > 0, peers: selecting.flatMap((p) => (p.spec.ingress ?? []).flatMap((rule: Json) => rule.from)) };
      };
      for (const ns of [app, config.namespaces.monitoring]) {
        const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny-ingress');
        assert.ok(deny, `no default deny in ${ns}`);
        assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ['Ingress'] });
      }
      for (const pod of pods(s)) assert.ok(peersOf(pod.namespace, pod.labels).isolated, `${objectId(pod.owner)} is not isolated`);
      const podsNamed = (name: string) => pods(s).find((p) => p.labels['app.kubernetes.io/name'] === name)!.labels;
      // Prometheus (the chart's server pods in the monitoring namespace) scrapes every app on its HTTP port, and only there.
      const prometheusPeer = {
        podSelector: { matchLabels: PROMETHEUS_SERVER_PODS },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.namespaces.monitoring } },
      };
      const appNames = pods(s)
        .filter((p) => p.owner.kind === 'Deployment' && p.namespace === app)
        .map((p) => p.labels['app.kubernetes.io/name']);
      const rulesTo = (namespace: string, labels: Labels): Json[] =>
        policies
          .filter((p) => p.metadata.namespace === namespace && matches(p.spec.podSelector.matchLabels, labels))
          .flatMap((p) => p.spec.ingress ?? []);
      const httpPortOf = (name: string): number =>
        deployment(s, name).spec.template.spec.containers[0].ports.find((p: Json) => p.name === 'http').containerPort;
      for (const name of appNames) {
        const fromPrometheus = rulesTo(app, podsNamed(name)).filter((rule) => rule.from.some((peer: Json) => isDeepStrictEqual(peer, prometheusPeer)));
        assert.equal(fromPrometheus.length, 1, `Prometheus does not reach ${name} exactly once`);
        assert.deepEqual(fromPrometheus[0], { from: [prometheusPeer], ports: [{ protocol: 'TCP', port: httpPortOf(name) }] }, `${name}: Prometheus gets more than /metrics`);
      }
      for (const pod of pods(s).filter((p) => !appNames.includes(p.labels['app.kubernetes.io/name']))) {
        const peers = peersOf(pod.namespace, pod.labels).peers;
        assert.ok(!peers.some((peer: Json) => isDeepStrictEqual(peer, prometheusPeer)), `Prometheus reaches ${objectId(pod.owner)}, not an app`);
      }
      /** Who reaches an app pod, besides Prometheus on its metrics port (checked above). */
      const only = (name: string, allowed: Json[]) => {
        const peers = peersOf(app, podsNamed(name)).peers.filter((peer: Json) => !isDeepStrictEqual(peer, prometheusPeer));
        assert.ok(peers.length > 0, `nothing reaches ${name}`);
        for (const peer of peers) {
          assert.ok(allowed.some((a) => isDeepStrictEqual(a, peer)), `${name} is reachable from ${JSON.stringify(peer)}`);
        }
      };
      const podPeer = (name: string) => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'oleada' } } });
      only('gateway', [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.entry.controllerNamespace } } }]);
      only('relay', [podPeer('gateway')]);
      only('writer-1', [podPeer('relay')]);
      only('writer-2', [podPeer('relay')]);
      // The gateway binds Idempotency-Keys there (its Valkey user may touch nothing else).
      only('valkey-primary', [podPeer('gateway'), ...consumerNames.map(podPeer), podPeer('valkey-replica')]);
      only('valkey-replica', [
        { podSelector: { matchLabels: GRAFANA_PODS }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.namespaces.monitoring } } },
      ]);
      for (const name of consumerNames) assert.deepEqual(peersOf(app, podsNamed(name)).peers, [prometheusPeer], `something besides Prometheus reaches ${name}`);
      // The monitoring namespace: the controller reaches Grafana, Grafana reaches Prometheus's server port,
      // and with the charts' trace store every app (and nothing else) reaches its OTLP receiver; nothing else.
      const byJson = (a: Json, b: Json) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      const monitoringRules = policies
        .filter((p) => p.metadata.namespace === config.namespaces.monitoring && p.metadata.name !== 'default-deny-ingress' && p.spec.policyTypes.includes('Ingress'))
        // (peers in name order: the order of a rule's peers means nothing)
        .map((p) => ({ to: p.spec.podSelector.matchLabels, ingress: p.spec.ingress.map((rule: Json) => ({ ...rule, from: [...rule.from].sort(byJson) })) }));
      const appPeer = (name: string) => ({ ...podPeer(name), namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': app } } });
      const traceStore = objectsOf(s, 'Deployment').find((d) => d.metadata.name === 'jaeger');
      assert.equal(traceStore !== undefined, config.tracing?.store === 'jaeger', 'the trace store runs exactly when OLEADA_TRACING=jaeger');
      assert.deepEqual(monitoringRules, [
        {
          to: GRAFANA_PODS,
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': config.entry.controllerNamespace } } }], ports: [{ protocol: 'TCP', port: 3000 }] }],
        },
        ...(traceStore
          ? [{ to: traceStore.spec.selector.matchLabels, ingress: [{ from: appNames.map(appPeer).sort(byJson), ports: [{ protocol: 'TCP', port: 4318 }] }] }]
          : []),
        { to: PROMETHEUS_SERVER_PODS, ingress: [{ from: [{ podSelector: { matchLabels: GRAFANA_PODS } }], ports: [{ protocol: 'TCP', port: PROMETHEUS_PORT }] }] },
      ]);
      // Prometheus's own egress: the app pods' metrics ports and the Kubernetes API (its pod discovery), nothing else.
      const egress = policies.filter((p) => p.spec.policyTypes.includes('Egress'));
      assert.deepEqual(
        egress.map((p) => ({ namespace: p.metadata.namespace, pods: p.spec.podSelector.matchLabels, egress: p.spec.egress })),
        [
          {
            namespace: config.namespaces.monitoring,
            pods: PROMETHEUS_SERVER_PODS,
            egress: [
              {
                to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': app } }, podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'oleada' } } }],
                ports: [...new Set(appNames.map(httpPortOf))].map((port) => ({ protocol: 'TCP', port })),
              },
              { ports: [443, 6443].map((port) => ({ protocol: 'TCP', port })) },
            ],
          },
        ],
      );
      const kafkaPath = brokerPath(config.brokerMode, 'kafka');
      const listener = objectsOf(s, 'Kafka')[0]?.spec.kafka.listeners;
      if (kafkaPath && config.profile.standalone) {
        // No Strimzi to turn networkPolicyPeers into a policy: the charts write it.
        const kafkaPolicy = policies.find((p) => p.metadata.name === 'oleada-kafka-network-policy')!;
        const kafkaPods = statefulSet(s, 'oleada-kafka')!.spec.template.metadata.labels;
        assert.deepEqual(kafkaPolicy.spec.ingress, [
          { from: [...kafkaPath.writers, kafkaPath.consumer].map(podPeer), ports: [{ protocol: 'TCP', port: 9092 }] },
          // the nodes among themselves: client, replication and controller listeners
          { from: [{ podSelector: { matchLabels: kafkaPods } }], ports: [9092, 9091, 9093].map((port) => ({ protocol: 'TCP', port })) },
        ]);
      } else if (kafkaPath) {
        assert.equal(listener.length, 1, 'Kafka has more than the one client listener');
        assert.deepEqual(listener[0].networkPolicyPeers, [...kafkaPath.writers, kafkaPath.consumer].map(podPeer));
      } else {
        assert.equal(listener, undefined, 'Kafka runs although no path uses it');
      }
      const rabbitmqPath = brokerPath(config.brokerMode, 'rabbitmq');
      if (rabbitmqPath) {
        // Only RabbitMQ's own writers and consumer, only on AMQP: no management, metrics or node-to-node port.
        only('rabbitmq', [...rabbitmqPath.writers, rabbitmqPath.consumer].map(podPeer));
        const rules = policies.filter((p) => p.metadata.namespace === app && matches(p.spec.podSelector.matchLabels, podsNamed('rabbitmq')));
        const ports = rules.flatMap((p) => (p.spec.ingress ?? []).flatMap((rule: Json) => rule.ports));
        assert.deepEqual(ports, [{ protocol: 'TCP', port: AMQP_PORT }]);
      }
    });

    it(`RabbitMQ (${config.brokerMode}): one node on a persistent volume, AMQP only, user and cookie from the Secret, never guest`, () => {
      const set = statefulSet(s, 'rabbitmq');
      if (!brokerPath(config.brokerMode, 'rabbitmq')) {
        assert.equal(set, undefined, 'RabbitMQ runs although no path uses it');
        assert.equal(bootstrapEnv(s).OLEADA_BROKER, undefined, 'bootstrap.env names a broker for a Kafka-only deployment');
        return;
      }
      assert.equal(set!.spec.replicas, 1);
      assert.equal(set!.spec.volumeClaimTemplates[0].spec.storageClassName, config.profile.storageClass);
      assert.equal(set!.spec.volumeClaimTemplates[0].spec.resources.requests.storage, config.profile.rabbitmqStorageSize);
      const pod = set!.spec.template.spec;
      assert.equal(pod.securityContext.runAsUser, 999, 'the image runs as its rabbitmq user');
      const [container] = pod.containers;
      assert.deepEqual(container.ports, [{ name: 'amqp', containerPort: AMQP_PORT, protocol: 'TCP' }]);
      const services = objectsOf(s, 'Service').filter((svc) => matches(svc.spec.selector, set!.spec.template.metadata.labels));
      assert.deepEqual(services.map((svc) => svc.metadata.name).sort(), ['rabbitmq', 'rabbitmq-headless']);
      for (const svc of services) assert.deepEqual(svc.spec.ports.map((port: Json) => port.port), [AMQP_PORT], `${objectId(svc)} ports`);
      assert.equal(services.find((svc) => svc.metadata.name === 'rabbitmq-headless')!.spec.clusterIP, 'None');
      assert.equal(set!.spec.serviceName, 'rabbitmq-headless');
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) assert.equal(container[probe].exec.command[0], 'rabbitmq-diagnostics', probe);

      const env = Object.fromEntries(container.env.map((e: Json) => [e.name, e.value ?? e.valueFrom]));
      const boot = bootstrapEnv(s);
      assert.deepEqual(env.RABBITMQ_DEFAULT_USER, { secretKeyRef: { name: config.secrets.rabbitmq, key: RABBITMQ_SECRET_KEYS.username } });
      assert.deepEqual(env.RABBITMQ_DEFAULT_PASS, { secretKeyRef: { name: config.secrets.rabbitmq, key: RABBITMQ_SECRET_KEYS.password } });
      assert.equal(boot.OLEADA_BROKER, config.brokerMode);
      assert.equal(boot.OLEADA_RABBITMQ_SECRET, config.secrets.rabbitmq);
      assert.deepEqual(
        [boot.OLEADA_RABBITMQ_USERNAME_KEY, boot.OLEADA_RABBITMQ_PASSWORD_KEY, boot.OLEADA_RABBITMQ_COOKIE_KEY],
        [RABBITMQ_SECRET_KEYS.username, RABBITMQ_SECRET_KEYS.password, RABBITMQ_SECRET_KEYS.erlangCookie],
      );
      assert.notEqual(boot.OLEADA_RABBITMQ_USERNAME.toLowerCase(), 'guest');
      const cookie = pod.volumes.find((v: Json) => v.secret?.secretName === config.secrets.rabbitmq);
      assert.deepEqual(cookie.secret.items.map((i: Json) => i.key), [RABBITMQ_SECRET_KEYS.erlangCookie], 'only the cookie is mounted');

      const conf = objectsOf(s, 'ConfigMap').find((c) => c.metadata.name === 'rabbitmq-config')!.data[RABBITMQ_CONF_FILE] as string;
      assert.match(conf, new RegExp(`^listeners\\.tcp\\.default = ${AMQP_PORT}$`, 'm'));
      assert.match(conf, /^loopback_users\.guest = true$/m, 'guest may never log in from the network');
      assert.doesNotMatch(conf, /default_(user|pass)|password|listeners\.ssl|management\.tcp/, 'credentials or other listeners in rabbitmq.conf');
      const brokerFiles = Object.entries(s.files).filter(([file]) => /rabbitmq|pipeline|bootstrap\.env/.test(file));
      const guest = brokerFiles.flatMap(([, text]) => text.split('\n')).filter((l) => /guest/i.test(l) && !/loopback_users\.guest = true/.test(l));
      assert.deepEqual(guest, [], 'guest appears in the RabbitMQ, pipeline or bootstrap files');
    });

    it('Kafka: KRaft node pool, SCRAM listener and users, Kafka 4.3.1, every scenario topic and dead-letter topic', () => {
      const [kafka] = objectsOf(s, 'Kafka');
      if (!brokerPath(config.brokerMode, 'kafka')) {
        assert.deepEqual(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser'].flatMap((kind) => objectsOf(s, kind)), [], 'Kafka objects without a Kafka path');
        return;
      }
      const standalone = config.profile.standalone;
      if (standalone) {
        assert.deepEqual(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser'].flatMap((kind) => objectsOf(s, kind)), [], 'Strimzi objects on a standalone profile');
        const set = statefulSet(s, 'oleada-kafka')!;
        assert.equal(set.spec.replicas, 3, 'three KRaft nodes, as the cloud profiles');
        assert.equal(set.spec.podManagementPolicy, 'Parallel', 'the quorum needs a majority up before any node is ready');
        const container = set.spec.template.spec.containers[0];
        assert.equal(container.image, `${config.registry}/${standalone.kafkaImage}`);
        assert.ok(standalone.kafkaImage.endsWith(`:${KAFKA_VERSION}`), `${standalone.kafkaImage}: the Kafka the cluster and local mode run`);
        assert.deepEqual(set.spec.template.spec.imagePullSecrets, [{ name: config.secrets.registry }]);
        assert.equal(set.spec.volumeClaimTemplates[0].spec.storageClassName, config.profile.storageClass);
        const data = objectsOf(s, 'ConfigMap').find((c) => c.metadata.name === 'oleada-kafka-config')!.data;
        const lines = (data.topics as string).trim().split('\n');
        const expected = config.scenarios.flatMap((sc) => [...sc.topics, sc.deadLetterTopic]).sort();
        assert.deepEqual(lines.map((l) => l.split(' ')[0]).sort(), expected);
        for (const l of lines) {
          const [, partitions, replicas, minIsr] = l.split(' ').map(Number);
          assert.ok(partitions >= config.replicas.consumer.max, `${l}: fewer partitions than consumers`);
          assert.deepEqual([replicas, minIsr], [3, 2], `${l}: replication factor 3 and min.insync.replicas 2, as the Strimzi KafkaTopics`);
        }
        const server = Object.fromEntries((data['server.properties'] as string).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        assert.equal(server['authorizer.class.name'], 'org.apache.kafka.metadata.authorizer.StandardAuthorizer');
        assert.equal(server['allow.everyone.if.no.acl.found'], 'false');
        assert.equal(server['super.users'], `User:${KAFKA_ADMIN_USER}`);
        assert.equal(server['controller.quorum.voters'].split(',').length, 3);
        for (const [key, value] of Object.entries({ 'min.insync.replicas': '2', 'default.replication.factor': '3', 'offsets.topic.replication.factor': '3', 'transaction.state.log.min.isr': '2' })) {
          assert.equal(server[key], value, key);
        }
        // only SCRAM on the clients' listener; no credentials in the ConfigMap (the admin's JAAS lines are added in the pod)
        assert.equal(server['listener.name.scram.sasl.enabled.mechanisms'], 'SCRAM-SHA-512');
        assert.doesNotMatch(JSON.stringify(data), /password=|user_/);
        // The ACLs enforced here are exactly the Strimzi KafkaUsers' of the cloud profile (one source, KafkaChart).
        const cloud = synth(config.brokerMode === 'kafka' ? 'gke-kubevirt-ingress' : 'gke-kubevirt-ingress-both');
        const strimziAcls = objectsOf(cloud, 'KafkaUser').flatMap((user) =>
          user.spec.authorization.acls.flatMap((acl: Json) =>
            acl.operations.map((op: string) => `User:${user.metadata.name} ${acl.resource.type.toUpperCase()} ${acl.resource.name ?? 'kafka-cluster'} ${op.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`),
          ),
        );
        assert.ok(strimziAcls.length > 0);
        assert.deepEqual((data.acls as string).trim().split('\n').sort(), strimziAcls.sort());
        const secrets = set.spec.template.spec.volumes.filter((v: Json) => v.secret).map((v: Json) => v.secret.secretName).sort();
        assert.deepEqual(secrets, [KAFKA_ADMIN_USER, 'oleada-consumer', 'oleada-writer'].sort());
        return;
      }
      assert.equal(kafka.apiVersion, 'kafka.strimzi.io/v1');
      assert.equal(kafka.spec.kafka.version, '4.3.1');
      assert.equal(kafka.spec.kafka.listeners[0].authentication.type, 'scram-sha-512');
      assert.equal(kafka.spec.kafka.authorization.type, 'simple');
      const [pool] = objectsOf(s, 'KafkaNodePool');
      assert.deepEqual(pool.spec.roles.sort(), ['broker', 'controller']);
      assert.equal(pool.metadata.labels!['strimzi.io/cluster'], kafka.metadata.name);
      assert.equal(pool.spec.replicas, config.profile.kafkaReplicas);
      assert.equal(pool.spec.storage.volumes[0].class, config.profile.storageClass);
      const topics = objectsOf(s, 'KafkaTopic');
      const expected = config.scenarios.flatMap((sc) => [...sc.topics, sc.deadLetterTopic]).sort();
      assert.deepEqual(topics.map((t) => t.spec.topicName).sort(), expected);
      for (const t of topics) {
        assert.ok(t.spec.partitions >= config.replicas.consumer.max, `${t.spec.topicName}: fewer partitions than consumers`);
        assert.equal(t.metadata.labels!['strimzi.io/cluster'], kafka.metadata.name);
      }
      for (const user of objectsOf(s, 'KafkaUser')) {
        assert.equal(user.spec.authentication.type, 'scram-sha-512');
        assert.equal(user.metadata.labels!['strimzi.io/cluster'], kafka.metadata.name);
      }
    });

    it('the entry routes every public route to the gateway Service', () => {
      const paths = publicPaths(config);
      for (const scenario of config.scenarios) {
        assert.ok(paths.includes(canonicalRoute(scenario)));
        for (const alias of scenario.aliases) assert.ok(paths.includes(alias));
      }
      const standalone = config.profile.standalone;
      if (standalone) {
        // No managed controller: Traefik serves the charts' own Ingress or Gateway, on a NodePort of its own
        // (kube-proxy serves it on loopback); the gateway has no NodePort.
        const traefik = deployment(s, 'traefik');
        assert.equal(traefik.metadata.namespace, config.entry.controllerNamespace);
        assert.equal(traefik.spec.template.spec.containers[0].image, `${config.registry}/${standalone.traefikImage}`);
        const args: string[] = traefik.spec.template.spec.containers[0].args;
        for (const flag of ['--providers.kubernetesGateway=true', '--providers.kubernetesIngress=true', `--providers.kubernetesIngress.ingressClass=${config.entry.ingressClass}`, '--entryPoints.web.address=:80', '--global.checkNewVersion=false', '--global.sendAnonymousUsage=false']) {
          assert.ok(args.includes(flag), `traefik: ${flag}`);
        }
        assert.ok(!args.some((a) => /forwardedHeaders/.test(a)), 'Traefik is the first hop: it trusts no X-Forwarded-* from clients');
        const [entry] = objectsOf(s, 'Service').filter((svc) => svc.spec.type === 'NodePort');
        assert.equal(entry.metadata.name, 'traefik');
        assert.deepEqual(entry.spec.ports, [{ name: 'web', port: 80, targetPort: 80, nodePort: standalone.entryNodePort, protocol: 'TCP' }]);
        assert.deepEqual(entry.spec.selector, traefik.spec.selector.matchLabels);
        assert.equal(objectsOf(s, 'GatewayClass')[0].spec.controllerName, 'traefik.io/gateway-controller');
        assert.equal(objectsOf(s, 'GatewayClass')[0].metadata.name, config.entry.gatewayClass);
        assert.deepEqual(objectsOf(s, 'IngressClass')[0].spec, { controller: 'traefik.io/ingress-controller' });
      } else {
        assert.deepEqual(objectsOf(s, 'Service').filter((svc) => svc.spec.type === 'NodePort'), []);
      }
      if (config.entry.mode === 'ingress') {
        const [ingress] = objectsOf(s, 'Ingress');
        assert.equal(ingress.spec.ingressClassName, config.entry.ingressClass);
        const routed = ingress.spec.rules[0].http.paths;
        assert.deepEqual(routed.map((p: Json) => p.path).sort(), [...paths].sort());
        for (const p of routed) assert.deepEqual(p.backend.service, { name: 'gateway', port: { number: 8080 } });
        assert.deepEqual(objectsOf(s, 'HTTPRoute'), []);
      } else {
        const [route] = objectsOf(s, 'HTTPRoute');
        const [gateway] = objectsOf(s, 'Gateway');
        assert.deepEqual(route.spec.parentRefs[0], { name: gateway.metadata.name, namespace: gateway.metadata.namespace, sectionName: 'http' });
        const matched = route.spec.rules.flatMap((r: Json) => r.matches.map((m: Json) => m.path.value));
        assert.deepEqual(matched.sort(), [...paths].sort());
        for (const rule of route.spec.rules) assert.deepEqual(rule.backendRefs, [{ name: 'gateway', port: 8080 }]);
        assert.equal(gateway.metadata.namespace, config.entry.controllerNamespace);
        assert.deepEqual(gateway.spec.infrastructure?.annotations ?? {}, config.profile.loadBalancer.annotations);
        assert.deepEqual(objectsOf(s, 'Ingress'), []);
      }
    });

    it(`Valkey (${config.valkeyMode}): primary and replica behind valkey and valkey-replica, persistent, AOF fsynced before each reply, replicaof`, () => {
      const services = objectsOf(s, 'Service').filter((svc) => svc.metadata.name.startsWith('valkey'));
      assert.deepEqual(services.map((x) => x.metadata.name).sort(), ['valkey', 'valkey-replica']);
      const configs: Record<string, string> = {};
      if (config.valkeyMode === 'kubevirt') {
        const vms = objectsOf(s, 'VirtualMachine');
        assert.deepEqual(vms.map((vm) => vm.metadata.name).sort(), ['valkey-primary', 'valkey-replica']);
        for (const vm of vms) {
          assert.equal(vm.spec.runStrategy, 'Always');
          const templates = vm.spec.dataVolumeTemplates;
          assert.equal(templates.length, 2, `${objectId(vm)}: root and data disks`);
          for (const t of templates) assert.equal(t.spec.storage.storageClassName, config.profile.storageClass);
          const volumes = vm.spec.template.spec.volumes;
          assert.ok(volumes.some((v: Json) => v.secret?.secretName === config.secrets.valkey), `${objectId(vm)}: auth Secret not attached`);
          assert.deepEqual(vm.spec.template.spec.nodeSelector, config.profile.kubevirt.nodeSelector);
          const cloud = parse(volumes.find((v: Json) => v.cloudInitNoCloud).cloudInitNoCloud.userData);
          assert.deepEqual(cloud.packages, ['valkey', 'xfsprogs'], 'dnf installs Valkey and mkfs.xfs');
          assert.match(cloud.write_files.find((f: Json) => f.path === '/usr/local/sbin/oleada-valkey-setup').content, /mkfs\.xfs/);
          configs[vm.metadata.name] = cloud.write_files.find((f: Json) => f.path === '/etc/valkey/oleada.conf').content;
        }
      } else {
        const sets = objectsOf(s, 'StatefulSet').filter((x) => x.metadata.labels!['app.kubernetes.io/component'] === 'valkey');
        assert.deepEqual(sets.map((x) => x.metadata.name).sort(), ['valkey-primary', 'valkey-replica']);
        for (const set of sets) {
          assert.equal(set.spec.volumeClaimTemplates[0].spec.storageClassName, config.profile.storageClass);
          const cm = objectsOf(s, 'ConfigMap').find((c) => c.metadata.name === `${set.metadata.name}-config`);
          configs[set.metadata.name] = cm!.data['oleada.conf'];
        }
      }
      for (const text of Object.values(configs)) {
        assert.match(text, /^appendonly yes$/m);
        assert.match(text, /^appendfsync always$/m);
        assert.match(text, /^aclfile /m);
      }
      assert.doesNotMatch(configs['valkey-primary'], /^replicaof /m);
      assert.match(configs['valkey-replica'], new RegExp(`^replicaof valkey\\.${app}\\.svc\\.cluster\\.local 6379$`, 'm'));
    });

    it('Grafana: chart values with the plugin, sidecars and admin Secret; data source on the replica; a dashboard per scenario and broker path', () => {
      const values = parse(s.files['helm/grafana-values.yaml']);
      assert.ok(values.plugins.some((p: string) => p.startsWith('redis-datasource@')));
      assert.equal(values.sidecar.datasources.enabled, true);
      assert.equal(values.sidecar.dashboards.enabled, true);
      assert.equal(values.admin.existingSecret, config.secrets.grafanaAdmin);
      assert.equal(values.admin.password, undefined);
      assert.equal(values.containerSecurityContext.readOnlyRootFilesystem, true);
      const monitoring = config.namespaces.monitoring;
      const maps = objectsOf(s, 'ConfigMap').filter((c) => c.metadata.namespace === monitoring);
      const datasource = maps.find((c) => c.metadata.labels?.[values.sidecar.datasources.label] === '1');
      assert.ok(datasource, 'no data source ConfigMap');
      const ds = parse(Object.values(datasource.data as Record<string, string>)[0]).datasources[0];
      assert.equal(ds.type, 'redis-datasource');
      assert.equal(ds.url, `redis://valkey-replica.${app}.svc.cluster.local:6379`);
      assert.equal(ds.jsonData.user, VALKEY_USERS.grafana.name);
      assert.match(ds.secureJsonData.password, /^\$[A-Z_]+$/);
      assert.ok(values.envValueFrom[ds.secureJsonData.password.slice(1)].secretKeyRef.name === config.secrets.grafanaValkey);
      const dashboards = maps.filter((c) => c.metadata.labels?.[values.sidecar.dashboards.label] === '1');
      assert.equal(dashboards.length, config.scenarios.length * paths.length + 1, 'a dashboard per scenario and broker path, and pipeline health');
      const uids = new Set<string>();
      for (const scenario of config.scenarios) {
        for (const { variant } of paths) {
          const file = variant ? `${scenario.name}-${variant}.json` : `${scenario.name}.json`;
          const cm = dashboards.find((c) => c.data[file]);
          assert.ok(cm, `no dashboard ${file}`);
          const dashboard = JSON.parse(cm.data[file]);
          // Each broker path's consumer writes under its VALKEY_VARIANT: its dashboard reads exactly those keys.
          const keys = new ScenarioKeys(scenario.name, { variant });
          const headline = dashboard.panels[0];
          assert.equal(headline.targets[0].keyName, keys.metric(scenario.headline), 'the headline aggregate comes first');
          assert.ok(dashboard.panels.every((p: Json) => p.datasource.uid === ds.uid));
          uids.add(dashboard.uid);
        }
      }
      assert.equal(uids.size, config.scenarios.length * paths.length, 'dashboard uids collide');
    });

    it('Grafana 13 keeps its Prometheus plugin with a read-only root: bundled plugins are never replaced, every other plugin is pinned', () => {
      const values = parse(s.files['helm/grafana-values.yaml']);
      assert.equal(values.containerSecurityContext.readOnlyRootFilesystem, true, 'the root must stay read-only');
      // Grafana's installer unlinks a bundled plugin to update it; with auto-update off it keeps what the image bundles.
      assert.equal(values['grafana.ini']?.plugins?.preinstall_auto_update, false, 'bundled plugins would be replaced (unlinkat … read-only file system)');
      assert.equal(values['grafana.ini'].plugins.preinstall_disabled, undefined, 'preinstall_disabled also drops the pinned plugins');
      // Every data source type is either installed at a pinned version or bundled in the image and kept there.
      const bundled = ['prometheus'];
      const installed = (values.plugins as string[]).map((p) => p.split('@')[0]);
      const datasources = objectsOf(s, 'ConfigMap').find((c) => c.metadata.name === 'grafana-datasources')!;
      const types: string[] = parse(datasources.data['datasources.yaml']).datasources.map((d: Json) => d.type);
      assert.deepEqual([...new Set(types)].sort(), ['prometheus', 'redis-datasource']);
      for (const type of types) assert.ok(installed.includes(type) || bundled.includes(type), `data source ${type}: no plugin`);
      for (const plugin of values.plugins) assert.match(plugin, /^[a-z0-9-]+@\d+\.\d+\.\d+$/, `plugin ${plugin} is not pinned`);
      // shadowBundledPlugins hides every bundled plugin not listed in `plugins` (Prometheus among them).
      if (values.shadowBundledPlugins) for (const type of bundled) assert.ok(installed.includes(type), `${type} hidden by shadowBundledPlugins`);
      // Writable: /tmp here; /var/lib/grafana (plugins) and /var/lib/grafana-search are the chart's emptyDirs.
      assert.deepEqual(values.extraEmptyDirMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
      assert.equal(values.persistence.enabled, false);
    });

    it('Prometheus: the server alone, and its scrape job keeps exactly the app pods, on their HTTP port, named by app', () => {
      const values = parse(s.files['helm/prometheus-values.yaml']);
      // The server's pod labels as the chart's `prometheus.server.matchLabels` sets them (chart 25+, `server.name: server`).
      assert.deepEqual({ ...PROMETHEUS_SERVER_PODS }, { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' });
      assert.equal(values.server.name, undefined, 'a server.name changes the component label the NetworkPolicies select');
      for (const part of ['alertmanager', 'kube-state-metrics', 'prometheus-node-exporter', 'prometheus-pushgateway']) {
        assert.equal(values[part].enabled, false, `${part} is installed`);
      }
      assert.equal(values.server.retention, '2d');
      assert.equal(values.server.persistentVolume.enabled, false);
      assert.equal(values.server.containerSecurityContext.readOnlyRootFilesystem, true);
      assert.equal(values.server.securityContext.runAsNonRoot, true);
      const jobs = values.serverFiles['prometheus.yml'].scrape_configs;
      assert.equal(jobs.length, 1, 'only the apps are scraped (the chart\'s cluster-wide jobs are replaced)');
      const [job] = jobs;
      assert.equal(job.metrics_path, '/metrics');
      assert.deepEqual(
        job.kubernetes_sd_configs.map((sd: Json) => [sd.role, sd.namespaces.names]),
        [['pod', [app]]],
        'discovery outside the app namespace',
      );

      // Run the job's discovery and relabelling over the pods the manifests create, as Prometheus would:
      // one target per container port; the kept targets must be each app's HTTP port, nothing else.
      type Target = Record<string, string>;
      const targets: Target[] = pods(s).flatMap((pod) => {
        const template = POD_TEMPLATES[pod.owner.kind]?.(pod.owner);
        const ports: Json[] = template ? template.spec.containers.flatMap((c: Json) => c.ports ?? []) : [{ name: '', containerPort: 0 }];
        return ports.map((port) => ({
          __meta_kubernetes_namespace: pod.namespace,
          __meta_kubernetes_pod_name: `${pod.labels['app.kubernetes.io/name']}-0`,
          __meta_kubernetes_pod_phase: 'Running',
          __meta_kubernetes_pod_container_port_name: port.name ?? '',
          __meta_kubernetes_pod_container_port_number: String(port.containerPort),
          ...Object.fromEntries(Object.entries(pod.labels).map(([k, v]) => [podLabelMeta(k), v])),
        }));
      });
      const selected = (t: Target) =>
        job.kubernetes_sd_configs.every(
          (sd: Json) =>
            sd.namespaces.names.includes(t.__meta_kubernetes_namespace) &&
            (sd.selectors ?? []).every((sel: Json) => sel.label.split(',').every((term: string) => t[podLabelMeta(term.split('=')[0])] === term.split('=')[1])),
        );
      const relabel = (t: Target): Target | undefined => {
        let out: Target = { ...t };
        for (const rule of job.relabel_configs) {
          const value = (rule.source_labels as string[]).map((l) => out[l] ?? '').join(rule.separator ?? ';');
          const re = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`);
          if (rule.action === 'keep' && !re.test(value)) return undefined;
          if (rule.action === 'drop' && re.test(value)) return undefined;
          if (rule.action === 'replace' && re.test(value)) out = { ...out, [rule.target_label]: value.replace(re, rule.replacement ?? '$1') };
        }
        return out;
      };
      const kept = targets.filter(selected).map(relabel).filter((t): t is Target => t !== undefined);
      const expected = appDeployments(s).map((d) => ({
        app: d.spec.template.metadata.labels['app.kubernetes.io/name'],
        port: String(d.spec.template.spec.containers[0].ports.find((p: Json) => p.name === 'http').containerPort),
      }));
      assert.ok(expected.length >= 5);
      assert.deepEqual(
        kept.map((t) => ({ app: t.app, port: t.__meta_kubernetes_pod_container_port_number })).sort((a, b) => a.app.localeCompare(b.app)),
        expected.sort((a, b) => a.app.localeCompare(b.app)),
      );
      for (const t of kept) assert.equal(t.namespace, app);

      // The alert rules (libs/dashboards) are the server's rule file, written for this job and the
      // target labels they group by.
      assert.deepEqual(values.serverFiles['prometheus.yml'].rule_files, [PROMETHEUS_ALERT_RULES_PATH]);
      assert.equal(PROMETHEUS_ALERT_RULES_PATH, '/etc/config/alerting_rules.yml', "the chart's ConfigMap mount");
      assert.deepEqual(values.serverFiles['alerting_rules.yml'], alertRuleFile({ job: job.job_name }));
      // The local cluster's Prometheus (a binary reading its own files) gets the same configuration.
      assert.deepEqual(prometheusConfig({ appNamespace: app, ruleFile: PROMETHEUS_ALERT_RULES_PATH }), { global: values.server.global, ...values.serverFiles['prometheus.yml'] });
      for (const t of kept) for (const label of ['namespace', 'app', 'pod']) assert.ok(t[label], `target ${t.app} has label ${label}`);

      // Grafana's Prometheus data source is this release's server.
      const datasources = objectsOf(s, 'ConfigMap').find((c) => c.metadata.name === 'grafana-datasources')!;
      const prometheus = parse(datasources.data['datasources.yaml']).datasources.find((d: Json) => d.type === 'prometheus');
      assert.equal(prometheus.url, `http://prometheus-server.${config.namespaces.monitoring}.svc.cluster.local`);
      assert.equal(bootstrapEnv(s).OLEADA_PROMETHEUS_CHART_VERSION, s.files['helm/prometheus-values.yaml'].match(/prometheus-community\/prometheus (\S+)\./)?.[1]);
    });

    it(`profile ${config.profile.name}: storage class and load balancer settings`, () => {
      const lb = config.profile.loadBalancer;
      if (config.entry.mode === 'ingress') {
        const values = parse(s.files['helm/nginx-ingress-values.yaml']);
        assert.equal(values.controller.service.type, lb.serviceType);
        assert.deepEqual(values.controller.service.annotations, lb.annotations);
        assert.equal(values.controller.ingressClass.name, config.entry.ingressClass);
      } else {
        assert.equal(parse(s.files['helm/nginx-gateway-fabric-values.yaml']).nginx.service.type, lb.serviceType);
      }
      const classes = objectsOf(s, 'StorageClass');
      if (config.profile.createStorageClass) assert.deepEqual(classes.map((c) => c.metadata.name), [config.profile.storageClass]);
      else assert.deepEqual(classes, []);
      assert.equal(bootstrapEnv(s).OLEADA_KUBEVIRT_EMULATION, String(config.kubevirtEmulation));
    });
  });
}
