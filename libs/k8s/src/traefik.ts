import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from './k8s';
import { PART_OF } from './labels';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security';

export interface TraefikControllerProps {
  readonly namespace: string;
  /** An image with the static `traefik` binary at `/traefik` (tools/cluster/images.sh builds it). */
  readonly image: string;
  readonly imagePullSecret: string;
  /** GatewayClass this controller serves. @default 'traefik' */
  readonly gatewayClassName?: string;
  /** IngressClass this controller serves. @default 'traefik' */
  readonly ingressClassName?: string;
  /** Port of the Gateway's HTTP listener: Traefik serves a listener from the entry point on the same port. @default 80 */
  readonly httpPort?: number;
  /** NodePort of the entry (kube-proxy answers NodePorts on the addresses it is configured for). */
  readonly nodePort: number;
  /** @default '100m' */
  readonly cpuRequest?: string;
}

/** What the Gateway's HTTP listener must name for Traefik to serve it. */
export const TRAEFIK_GATEWAY_CONTROLLER = 'traefik.io/gateway-controller';
export const TRAEFIK_INGRESS_CONTROLLER = 'traefik.io/ingress-controller';
/** Traefik's own entry point (`/ping`, `/metrics`): never routed, reachable in the cluster only. */
export const TRAEFIK_ADMIN_PORT = 8080;

/**
 * Traefik as the cluster's Gateway API and Ingress controller, for a cluster without a managed one
 * (the `local` profile): its GatewayClass and IngressClass, a Deployment with both Kubernetes
 * providers, the RBAC they need, and a NodePort Service in front. It is the first hop: it drops any
 * `X-Forwarded-*` header a client sends and sets `X-Forwarded-For` to the address it saw (no
 * `forwardedHeaders.trustedIPs`), so the gateway behind it can trust that header from it alone.
 */
export class TraefikController extends Construct {
  readonly podSelector: Readonly<Record<string, string>>;
  readonly httpPort: number;
  readonly gatewayClassName: string;
  readonly ingressClassName: string;

  constructor(scope: Construct, id: string, props: TraefikControllerProps) {
    super(scope, id);
    const { namespace } = props;
    const name = 'traefik';
    this.httpPort = props.httpPort ?? 80;
    this.gatewayClassName = props.gatewayClassName ?? 'traefik';
    this.ingressClassName = props.ingressClassName ?? 'traefik';
    this.podSelector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
    const labels = { ...this.podSelector, 'app.kubernetes.io/part-of': PART_OF };

    new ApiObject(this, 'gateway-class', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: this.gatewayClassName, labels },
      spec: { controllerName: TRAEFIK_GATEWAY_CONTROLLER },
    });
    new k8s.KubeIngressClass(this, 'ingress-class', {
      metadata: { name: this.ingressClassName, labels },
      spec: { controller: TRAEFIK_INGRESS_CONTROLLER },
    });

    const account = new k8s.KubeServiceAccount(this, 'account', { metadata: { name, namespace, labels }, automountServiceAccountToken: false });
    const role = new k8s.KubeClusterRole(this, 'role', {
      metadata: { name: `oleada:${name}`, labels },
      rules: [
        // routes' backends (Services, their EndpointSlices), TLS Secrets, namespaces of allowedRoutes
        { apiGroups: [''], resources: ['services', 'secrets', 'configmaps', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
        {
          apiGroups: ['gateway.networking.k8s.io'],
          resources: ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'tlsroutes', 'referencegrants', 'backendtlspolicies'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: ['gateway.networking.k8s.io'],
          resources: ['gatewayclasses/status', 'gateways/status', 'httproutes/status', 'grpcroutes/status', 'tlsroutes/status', 'backendtlspolicies/status'],
          verbs: ['update'],
        },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'binding', {
      metadata: { name: `oleada:${name}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: account.name, namespace }],
    });

    const ping: k8s.Probe = { httpGet: { path: '/ping', port: k8s.IntOrString.fromNumber(TRAEFIK_ADMIN_PORT) }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 };
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { ...this.podSelector } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: account.name,
            // the controller watches the API (its ClusterRole above): the one pod that needs a token
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            imagePullSecrets: [{ name: props.imagePullSecret }],
            securityContext: {
              ...restrictedPodSecurityContext(),
              // The Gateway's listener is on port 80 and Traefik serves it from an entry point on that
              // port; a namespaced sysctl the restricted standard allows lets the non-root user bind it.
              sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
            },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  `--entryPoints.web.address=:${this.httpPort}`,
                  `--entryPoints.traefik.address=:${TRAEFIK_ADMIN_PORT}`,
                  '--providers.kubernetesGateway=true',
                  `--providers.kubernetesGateway.statusAddress.service.name=${name}`,
                  `--providers.kubernetesGateway.statusAddress.service.namespace=${namespace}`,
                  '--providers.kubernetesIngress=true',
                  `--providers.kubernetesIngress.ingressClass=${this.ingressClassName}`,
                  `--providers.kubernetesIngress.ingressEndpoint.publishedService=${namespace}/${name}`,
                  '--ping=true',
                  '--metrics.prometheus=true',
                  '--log.level=INFO',
                  '--log.format=json',
                  // nothing leaves the cluster: no version check, no usage report
                  '--global.checkNewVersion=false',
                  '--global.sendAnonymousUsage=false',
                ],
                ports: [
                  { name: 'web', containerPort: this.httpPort, protocol: 'TCP' },
                  { name: 'admin', containerPort: TRAEFIK_ADMIN_PORT, protocol: 'TCP' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString(props.cpuRequest ?? '100m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('256Mi') },
                },
                readinessProbe: ping,
                livenessProbe: { ...ping, failureThreshold: 6 },
                // kube-proxy stops sending new connections to a terminating pod asynchronously: it
                // keeps serving for 5 s before SIGTERM starts Traefik's graceful shutdown.
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: { name, namespace, labels },
      spec: {
        type: 'NodePort',
        selector: { ...this.podSelector },
        ports: [{ name: 'web', port: this.httpPort, targetPort: k8s.IntOrString.fromNumber(this.httpPort), nodePort: props.nodePort, protocol: 'TCP' }],
      },
    });
  }
}
