import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from './k8s';
import { PART_OF } from './labels';
import type { HttpService } from './workload';

export interface PublicRoutesProps {
  readonly namespace: string;
  /** The public REST service every route goes to (the gateway). */
  readonly backend: HttpService;
  /** Exact public paths (canonical, batch and seed-compatible aliases of every scenario). */
  readonly paths: readonly string[];
  /** Host to match. @default - any host */
  readonly host?: string;
}

export interface PublicIngressProps extends PublicRoutesProps {
  /** IngressClass of the controller. @default 'nginx' */
  readonly ingressClassName?: string;
}

/** An Ingress routing each public path (POST-only at the app) to the gateway, and nothing else. */
export class PublicIngress extends Construct {
  readonly ingress: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: PublicIngressProps) {
    super(scope, id);
    this.ingress = new k8s.KubeIngress(this, 'ingress', {
      metadata: { name: props.backend.name, namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        ingressClassName: props.ingressClassName ?? 'nginx',
        rules: [
          {
            host: props.host,
            http: {
              paths: props.paths.map((path) => ({
                path,
                pathType: 'Exact',
                backend: { service: { name: props.backend.service.name, port: { number: props.backend.httpPort } } },
              })),
            },
          },
        ],
      },
    });
  }
}

/** The subset of `gateway.networking.k8s.io/v1` Gateway the charts use. */
export interface GatewaySpec {
  readonly gatewayClassName: string;
  readonly listeners: readonly {
    readonly name: string;
    readonly port: number;
    readonly protocol: 'HTTP';
    readonly hostname?: string;
    readonly allowedRoutes?: {
      readonly namespaces: { readonly from: 'Same' | 'All' | 'Selector'; readonly selector?: { readonly matchLabels: Record<string, string> } };
    };
  }[];
  /** Labels and annotations for what the controller provisions (e.g. the load balancer Service). */
  readonly infrastructure?: { readonly annotations?: Readonly<Record<string, string>>; readonly labels?: Readonly<Record<string, string>> };
}

/** The subset of `gateway.networking.k8s.io/v1` HTTPRoute the charts use. */
export interface HttpRouteSpec {
  readonly parentRefs: readonly { readonly name: string; readonly namespace?: string; readonly sectionName?: string }[];
  readonly hostnames?: readonly string[];
  readonly rules: readonly {
    readonly matches: readonly { readonly path: { readonly type: 'Exact' | 'PathPrefix'; readonly value: string }; readonly method?: string }[];
    readonly backendRefs: readonly { readonly name: string; readonly port: number }[];
  }[];
}

export interface GatewayApiEntryProps extends PublicRoutesProps {
  /** Namespace of the Gateway (the controller provisions its data plane there). */
  readonly gatewayNamespace: string;
  /** @default 'nginx' (NGINX Gateway Fabric) */
  readonly gatewayClassName?: string;
  /** Annotations for the provisioned load balancer Service. @default - none */
  readonly loadBalancerAnnotations?: Readonly<Record<string, string>>;
}

/**
 * The Gateway API alternative to the Ingress: a Gateway with one HTTP listener that accepts routes
 * from the app namespace only, and an HTTPRoute matching each public path, POST only.
 */
export class GatewayApiEntry extends Construct {
  readonly gateway: ApiObject;
  readonly route: ApiObject;

  constructor(scope: Construct, id: string, props: GatewayApiEntryProps) {
    super(scope, id);
    const labels = { 'app.kubernetes.io/part-of': PART_OF };
    const gatewaySpec: GatewaySpec = {
      gatewayClassName: props.gatewayClassName ?? 'nginx',
      listeners: [
        {
          name: 'http',
          port: 80,
          protocol: 'HTTP',
          hostname: props.host,
          allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } } } },
        },
      ],
      infrastructure:
        props.loadBalancerAnnotations && Object.keys(props.loadBalancerAnnotations).length > 0
          ? { annotations: props.loadBalancerAnnotations }
          : undefined,
    };
    this.gateway = new ApiObject(this, 'gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'oleada', namespace: props.gatewayNamespace, labels },
      spec: gatewaySpec,
    });
    const routeSpec: HttpRouteSpec = {
      parentRefs: [{ name: this.gateway.name, namespace: props.gatewayNamespace, sectionName: 'http' }],
      hostnames: props.host ? [props.host] : undefined,
      // Gateway API allows at most 8 matches per rule (and 16 rules): one rule per 8 paths.
      rules: chunks(props.paths, 8).map((paths) => ({
        matches: paths.map((value) => ({ path: { type: 'Exact' as const, value }, method: 'POST' })),
        backendRefs: [{ name: props.backend.service.name, port: props.backend.httpPort }],
      })),
    };
    this.route = new ApiObject(this, 'route', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: props.backend.name, namespace: props.namespace, labels },
      spec: routeSpec,
    });
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}
