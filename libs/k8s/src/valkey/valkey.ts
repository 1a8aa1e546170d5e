import { Construct } from 'constructs';
import { k8s } from '../k8s';
import { selectorLabels, workloadLabels } from '../labels';
import { VALKEY_PORT, type ValkeyRole } from './config';

/** What both Valkey modes (VMs and StatefulSet) share. */
export interface ValkeyProps {
  readonly namespace: string;
  /** Secret with one password per ACL user (keys of `VALKEY_USERS`), created by the bootstrap. */
  readonly authSecretName: string;
  /** Storage class of the data disks. @default - the cluster's default class */
  readonly storageClass?: string;
  /** Size of each data disk. @default '10Gi' */
  readonly dataSize?: string;
  /** `maxmemory` of each server. @default '512mb' */
  readonly maxmemory?: string;
  /** DNS suffix of the cluster. @default 'cluster.local' */
  readonly clusterDomain?: string;
}

/**
 * A Valkey primary and one replica behind two Services: `valkey` (the primary; writes) and
 * `valkey-replica` (reads; Grafana uses it). Subclasses supply the servers.
 */
export abstract class ValkeyPair extends Construct {
  readonly namespace: string;
  readonly primaryService: k8s.KubeService;
  readonly replicaService: k8s.KubeService;
  /** Labels of the primary's and the replica's pods (virt-launcher pods in VM mode). */
  readonly primarySelector: Readonly<Record<string, string>>;
  readonly replicaSelector: Readonly<Record<string, string>>;
  protected readonly clusterDomain: string;

  protected constructor(scope: Construct, id: string, props: ValkeyProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    this.primarySelector = selectorLabels(ValkeyPair.serverName('primary'));
    this.replicaSelector = selectorLabels(ValkeyPair.serverName('replica'));
    this.primaryService = this.service('primary-service', 'valkey', this.primarySelector);
    this.replicaService = this.service('replica-service', 'valkey-replica', this.replicaSelector);
  }

  /** Name of the server (VM or StatefulSet) of a role. */
  static serverName(role: ValkeyRole): string {
    return `valkey-${role}`;
  }

  /** Labels of a role's pods. */
  protected podLabels(role: ValkeyRole): Record<string, string> {
    return { ...workloadLabels(ValkeyPair.serverName(role), 'valkey'), 'oleada.io/valkey-role': role };
  }

  /** The primary's address as the replica's `replicaof` host. */
  protected get primaryHost(): string {
    return `${this.primaryService.name}.${this.namespace}.svc.${this.clusterDomain}`;
  }

  /** `redis://valkey:6379`: where writers of aggregates (the consumer) connect. */
  get url(): string {
    return `redis://${this.primaryService.name}:${VALKEY_PORT}`;
  }

  /** The replica's URL, fully qualified for clients in other namespaces (Grafana). */
  get replicaUrl(): string {
    return `redis://${this.replicaService.name}.${this.namespace}.svc.${this.clusterDomain}:${VALKEY_PORT}`;
  }

  private service(id: string, name: string, selector: Readonly<Record<string, string>>): k8s.KubeService {
    return new k8s.KubeService(this, id, {
      metadata: { name, namespace: this.namespace, labels: workloadLabels(name, 'valkey') },
      spec: {
        type: 'ClusterIP',
        selector: { ...selector },
        ports: [{ name: 'valkey', port: VALKEY_PORT, targetPort: k8s.IntOrString.fromNumber(VALKEY_PORT), protocol: 'TCP' }],
      },
    });
  }
}
