import {
  AMQP_PORT,
  IngressFirewall,
  JAEGER_PORTS,
  k8s,
  type JaegerStore,
  PART_OF,
  PrometheusEgress,
  PROMETHEUS_PORT,
  PROMETHEUS_SERVER_PODS,
  VALKEY_PORT,
  type RabbitMQ,
  type TraefikController,
  type ValkeyPair,
} from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';
import { brokerClientPods, brokerPath, type PipelineChart } from './pipeline';

/** Pods of the Grafana Helm release (`app.kubernetes.io/name` set by the chart). */
export const GRAFANA_PODS = { 'app.kubernetes.io/name': 'grafana' } as const;
export const GRAFANA_PORT = 3000;

/**
 * Default deny for ingress in the app and monitoring namespaces, then exactly the hops of the flow:
 * controller → gateway → relay → writers; RabbitMQ's writers and consumer → RabbitMQ; consumers and
 * Grafana → Valkey (plus replication); Prometheus → every app's HTTP port (`/metrics`) and Grafana →
 * Prometheus, whose own egress is the apps' HTTP ports and the Kubernetes API only; with the charts' trace
 * store, every app → its OTLP receiver. Kafka's listener is restricted by Strimzi from the listener's
 * `networkPolicyPeers` (its writers and consumer). RabbitMQ runs one node, so no node-to-node path.
 */
export class NetworkPoliciesChart extends Chart {
  constructor(
    scope: Construct,
    id: string,
    config: DeployConfig,
    props: {
      readonly pipeline: PipelineChart;
      readonly valkey: ValkeyPair;
      readonly rabbitmq?: RabbitMQ;
      /** The entry controller the charts run themselves (a standalone profile's Traefik). */
      readonly entryController?: TraefikController;
      /** The charts' own trace store (OLEADA_TRACING=jaeger). */
      readonly traceStore?: JaegerStore;
    },
  ) {
    super(scope, id);
    const { gateway, relay, writers, consumers } = props.pipeline;
    const app = new IngressFirewall(this, 'app', { namespace: config.namespaces.app });
    app.allow('gateway-from-controller', {
      to: gateway.podSelector,
      from: [{ namespace: config.entry.controllerNamespace }],
      ports: [gateway.httpPort],
    });
    app.allow('relay-from-gateway', { to: relay.podSelector, from: [{ pods: gateway.podSelector }], ports: [relay.httpPort] });
    for (const writer of writers) {
      app.allow(`${writer.name}-from-relay`, { to: writer.podSelector, from: [{ pods: relay.podSelector }], ports: [writer.grpcPort] });
    }
    const rabbitmqPath = brokerPath(config.brokerMode, 'rabbitmq');
    if (props.rabbitmq && rabbitmqPath) {
      app.allow('rabbitmq-from-clients', {
        to: props.rabbitmq.podSelector,
        from: brokerClientPods(rabbitmqPath).map((pods) => ({ pods })),
        ports: [AMQP_PORT],
      });
    }
    app.allow('valkey-from-clients', {
      to: props.valkey.primarySelector,
      from: [{ pods: gateway.podSelector }, ...consumers.map((consumer) => ({ pods: consumer.podSelector })), { pods: props.valkey.replicaSelector }],
      ports: [VALKEY_PORT],
    });
    app.allow('valkey-replica-from-grafana', {
      to: props.valkey.replicaSelector,
      from: [{ pods: GRAFANA_PODS, namespace: config.namespaces.monitoring }],
      ports: [VALKEY_PORT],
    });
    const prometheus = { pods: PROMETHEUS_SERVER_PODS, namespace: config.namespaces.monitoring };
    for (const workload of [gateway, relay, ...writers, ...consumers]) {
      app.allow(`${workload.name}-metrics-from-prometheus`, { to: workload.podSelector, from: [prometheus], ports: [workload.httpPort] });
    }

    if (props.entryController) {
      // The entry controller's namespace: its web entry point is the way in from anywhere (the NodePort's
      // traffic arrives from the node); nothing else of it is open.
      const edge = new IngressFirewall(this, 'edge', { namespace: config.namespaces.edge });
      new k8s.KubeNetworkPolicy(edge, 'entry', {
        metadata: { name: 'allow-entry-from-anywhere', namespace: config.namespaces.edge, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        spec: {
          podSelector: { matchLabels: { ...props.entryController.podSelector } },
          policyTypes: ['Ingress'],
          ingress: [{ ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(props.entryController.httpPort) }] }],
        },
      });
    }

    const monitoring = new IngressFirewall(this, 'monitoring', { namespace: config.namespaces.monitoring });
    monitoring.allow('grafana-from-controller', {
      to: GRAFANA_PODS,
      from: [{ namespace: config.entry.controllerNamespace }],
      ports: [GRAFANA_PORT],
    });
    if (props.traceStore) {
      // Every app sends its spans to the store's OTLP receiver; nothing else reaches it (its query API
      // is read through `kubectl port-forward`, which enters the pod's own network namespace).
      monitoring.allow('jaeger-otlp-from-apps', {
        to: props.traceStore.podSelector,
        from: [gateway, relay, ...writers, ...consumers].map((workload) => ({ pods: workload.podSelector, namespace: config.namespaces.app })),
        ports: [JAEGER_PORTS.otlpHttp],
      });
    }
    monitoring.allow('prometheus-from-grafana', { to: PROMETHEUS_SERVER_PODS, from: [{ pods: GRAFANA_PODS }], ports: [PROMETHEUS_PORT] });
    new PrometheusEgress(this, 'prometheus-egress', {
      namespace: config.namespaces.monitoring,
      appNamespace: config.namespaces.app,
      metricsPorts: [gateway, relay, ...writers, ...consumers].map((w) => w.httpPort),
    });
  }
}
