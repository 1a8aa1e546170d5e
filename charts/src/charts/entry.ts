import { GatewayApiEntry, k8s, PART_OF, PublicIngress, type HttpService } from '@oleada/k8s';
import { batchRoute, canonicalRoute } from '@oleada/scenarios';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** Every public route: each scenario's canonical and batch routes and its seed-compatible aliases. */
export function publicPaths(config: DeployConfig): string[] {
  return [...new Set(config.scenarios.flatMap((s) => [canonicalRoute(s), batchRoute(s), ...s.aliases]))];
}

/** The way in: an Ingress (class configurable), or a Gateway API Gateway + HTTPRoute. */
export class EntryChart extends Chart {
  constructor(scope: Construct, id: string, config: DeployConfig, props: { readonly gateway: HttpService }) {
    super(scope, id);
    const routes = { namespace: config.namespaces.app, backend: props.gateway, paths: publicPaths(config), host: config.entry.host };
    const standalone = config.profile.standalone;
    if (standalone) {
      // No ingress controller: the gateway on a NodePort that kube-proxy serves on loopback only.
      new k8s.KubeService(this, 'nodeport', {
        metadata: { name: `${props.gateway.name}-entry`, namespace: config.namespaces.app, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        spec: {
          type: 'NodePort',
          selector: { ...props.gateway.podSelector },
          ports: [{ name: 'http', port: props.gateway.httpPort, targetPort: k8s.IntOrString.fromNumber(props.gateway.httpPort), nodePort: standalone.entryNodePort, protocol: 'TCP' }],
        },
      });
    } else if (config.entry.mode === 'ingress') {
      new PublicIngress(this, 'ingress', { ...routes, ingressClassName: config.entry.ingressClass });
    } else {
      new GatewayApiEntry(this, 'gateway-api', {
        ...routes,
        gatewayNamespace: config.namespaces.edge,
        gatewayClassName: config.entry.gatewayClass,
        loadBalancerAnnotations: config.profile.loadBalancer.annotations,
      });
    }
  }
}
