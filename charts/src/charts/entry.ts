import { GatewayApiEntry, PublicIngress, TraefikController, type HttpService } from '@oleada/k8s';
import { batchRoute, canonicalRoute } from '@oleada/scenarios';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** Every public route: each scenario's canonical and batch routes and its seed-compatible aliases. */
export function publicPaths(config: DeployConfig): string[] {
  return [...new Set(config.scenarios.flatMap((s) => [canonicalRoute(s), batchRoute(s), ...s.aliases]))];
}

/** The way in: an Ingress (class configurable), or a Gateway API Gateway + HTTPRoute; on a standalone profile with Traefik serving them. */
export class EntryChart extends Chart {
  /** Traefik, when the charts run the entry controller themselves (a standalone profile). */
  readonly controller?: TraefikController;

  constructor(scope: Construct, id: string, config: DeployConfig, props: { readonly gateway: HttpService }) {
    super(scope, id);
    const routes = { namespace: config.namespaces.app, backend: props.gateway, paths: publicPaths(config), host: config.entry.host };
    const standalone = config.profile.standalone;
    if (standalone) {
      // No managed controller: Traefik serves the same Ingress or Gateway + HTTPRoute, on a NodePort
      // that kube-proxy answers on loopback only.
      this.controller = new TraefikController(this, 'traefik', {
        namespace: config.namespaces.edge,
        image: `${config.registry}/${standalone.traefikImage}`,
        imagePullSecret: config.secrets.registry,
        gatewayClassName: config.entry.gatewayClass,
        ingressClassName: config.entry.ingressClass,
        nodePort: standalone.entryNodePort,
        cpuRequest: standalone.cpuRequest,
      });
    }
    if (config.entry.mode === 'ingress') {
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
