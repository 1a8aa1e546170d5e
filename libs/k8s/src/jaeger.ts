import { Construct } from 'constructs';
import { k8s } from './k8s';
import { PART_OF } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';

/** Jaeger all-in-one's ports: the OTLP/HTTP receiver the apps send to, the query API, its admin (health) port. */
export const JAEGER_PORTS = { otlpHttp: 4318, query: 16686, admin: 14269 } as const;

/** The Service name of the store JaegerStore deploys. */
export const JAEGER_SERVICE = 'jaeger';

/** The OTLP/HTTP base URL of the JaegerStore in `namespace` (the SDK appends `/v1/traces`), by its Service's DNS name. */
export function jaegerOtlpEndpoint(namespace: string, clusterDomain: string): string {
  return `http://${JAEGER_SERVICE}.${namespace}.svc.${clusterDomain}:${JAEGER_PORTS.otlpHttp}`;
}

export interface JaegerStoreProps {
  readonly namespace: string;
  /** An image with the static `jaeger-all-in-one` binary at `/jaeger-all-in-one` (tools/cluster/images.sh builds it). */
  readonly image: string;
  readonly imagePullSecret: string;
  /** Most traces kept in memory (older ones are dropped). @default 50000 */
  readonly maxTraces?: number;
  /** @default '100m' */
  readonly cpuRequest?: string;
  /** @default '512Mi' */
  readonly memoryLimit?: string;
}

/**
 * A trace store in the cluster: Jaeger all-in-one with its in-memory store (one replica; traces
 * are lost on restart), its OTLP/HTTP receiver and query API behind a ClusterIP Service. The apps'
 * OTEL_EXPORTER_OTLP_ENDPOINT names `otlpEndpoint`; the query API is read through a port-forward.
 */
export class JaegerStore extends Construct {
  readonly name = JAEGER_SERVICE;
  readonly podSelector: Readonly<Record<string, string>>;
  /** OTLP/HTTP base URL (the SDK appends `/v1/traces`), by the Service's cluster DNS name. */
  readonly otlpEndpoint: string;
  readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: JaegerStoreProps & { readonly clusterDomain: string }) {
    super(scope, id);
    const { namespace, name } = { namespace: props.namespace, name: this.name };
    this.podSelector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
    const labels = { ...this.podSelector, 'app.kubernetes.io/component': 'trace-store', 'app.kubernetes.io/part-of': PART_OF };
    const health: k8s.Probe = { httpGet: { path: '/', port: k8s.IntOrString.fromNumber(JAEGER_PORTS.admin) }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 };
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        // one in-memory store: never two side by side (a rollout's new pod starts empty anyway)
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { ...this.podSelector } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: [{ name: props.imagePullSecret }],
            securityContext: restrictedPodSecurityContext(),
            containers: [
              {
                name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  `--collector.otlp.http.host-port=:${JAEGER_PORTS.otlpHttp}`,
                  `--query.http-server.host-port=:${JAEGER_PORTS.query}`,
                  `--admin.http.host-port=:${JAEGER_PORTS.admin}`,
                  `--memory.max-traces=${props.maxTraces ?? 50_000}`,
                ],
                env: [{ name: 'SPAN_STORAGE_TYPE', value: 'memory' }],
                ports: [
                  { name: 'otlp-http', containerPort: JAEGER_PORTS.otlpHttp, protocol: 'TCP' },
                  { name: 'query', containerPort: JAEGER_PORTS.query, protocol: 'TCP' },
                  { name: 'admin', containerPort: JAEGER_PORTS.admin, protocol: 'TCP' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(props.cpuRequest ?? '100m'), memory: k8s.Quantity.fromString('128Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(props.memoryLimit ?? '512Mi') },
                },
                readinessProbe: health,
                livenessProbe: { ...health, failureThreshold: 6 },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
          },
        },
      },
    });
    this.service = new k8s.KubeService(this, 'service', {
      metadata: { name, namespace, labels },
      spec: {
        selector: { ...this.podSelector },
        ports: [
          { name: 'otlp-http', port: JAEGER_PORTS.otlpHttp, targetPort: k8s.IntOrString.fromNumber(JAEGER_PORTS.otlpHttp), protocol: 'TCP' },
          { name: 'query', port: JAEGER_PORTS.query, targetPort: k8s.IntOrString.fromNumber(JAEGER_PORTS.query), protocol: 'TCP' },
        ],
      },
    });
    this.otlpEndpoint = jaegerOtlpEndpoint(namespace, props.clusterDomain);
  }
}
