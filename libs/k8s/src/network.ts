import { Construct } from 'constructs';
import { k8s } from './k8s';
import { PART_OF } from './labels';

/** Who may connect: pods by label (in this namespace, or in the named one), or a whole namespace. */
export interface Peer {
  readonly pods?: Readonly<Record<string, string>>;
  /** Namespace of the peer (by name). @default - the policy's namespace (with `pods`) */
  readonly namespace?: string;
}

export interface AllowIngressProps {
  readonly namespace: string;
  /** The pods this rule protects. */
  readonly to: Readonly<Record<string, string>>;
  readonly from: readonly Peer[];
  readonly ports: readonly number[];
}

function toPeer(peer: Peer): k8s.NetworkPolicyPeer {
  if (!peer.pods && !peer.namespace) throw new Error('a peer needs pods or a namespace');
  return {
    podSelector: peer.pods ? { matchLabels: { ...peer.pods } } : undefined,
    namespaceSelector: peer.namespace ? { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } : undefined,
  };
}

/**
 * NetworkPolicies of one namespace: `default-deny-ingress` selects every pod and allows nothing;
 * each `allow()` opens one path (source pods → destination pods on ports). Policies are additive,
 * so a pod is reachable only on the paths named here.
 */
export class IngressFirewall extends Construct {
  readonly namespace: string;
  readonly defaultDeny: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: { readonly namespace: string }) {
    super(scope, id);
    this.namespace = props.namespace;
    this.defaultDeny = new k8s.KubeNetworkPolicy(this, 'default-deny', {
      metadata: { name: 'default-deny-ingress', namespace: props.namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });
  }

  /** Opens `ports` on the pods matching `to` for the given peers. */
  allow(name: string, props: Omit<AllowIngressProps, 'namespace'>): k8s.KubeNetworkPolicy {
    return new k8s.KubeNetworkPolicy(this, name, {
      metadata: { name: `allow-${name}`, namespace: this.namespace, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: { ...props.to } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: props.from.map(toPeer),
            ports: props.ports.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
          },
        ],
      },
    });
  }
}
