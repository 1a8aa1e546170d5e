import type { Construct } from 'constructs';
import { initContainer, volumeClaimTemplate } from '../containers';
import { k8s } from '../k8s';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../security';
import {
  aclTemplate,
  authScript,
  VALKEY_ACL_TEMPLATE_FILE,
  VALKEY_AUTH_SCRIPT_FILE,
  VALKEY_CONF_DIR,
  VALKEY_CONF_FILE,
  VALKEY_DATA_DIR,
  VALKEY_PORT,
  VALKEY_SECRET_DIR,
  valkeyConf,
  type ValkeyRole,
} from './config';
import { ValkeyPair, type ValkeyProps } from './valkey';

export interface ValkeyStatefulSetProps extends ValkeyProps {
  /** The official Valkey image (Debian based: has `sh`, `sed`, `sha256sum`). @default 'docker.io/valkey/valkey:9.0' */
  readonly image?: string;
  /** Secret for pulling `image` from a private registry. @default - none */
  readonly imagePullSecret?: string;
  /** @default '250m' */
  readonly cpuRequest?: string;
  /** @default '1' */
  readonly cpuLimit?: string;
  /** Container memory (request = limit); keep above `maxmemory`. @default '768Mi' */
  readonly memory?: string;
}

/** uid/gid of the `valkey` user in the official image. */
const VALKEY_UID = 999;
const TEMPLATE_DIR = '/opt/oleada';

/**
 * Valkey without KubeVirt: one single-pod StatefulSet per role with a persistent volume, the same
 * configuration and ACLs as the VMs (an init container renders the credentials from the Secret),
 * and the same `valkey` / `valkey-replica` Services.
 */
export class ValkeyStatefulSet extends ValkeyPair {
  readonly primary: k8s.KubeStatefulSet;
  readonly replica: k8s.KubeStatefulSet;

  constructor(scope: Construct, id: string, props: ValkeyStatefulSetProps) {
    super(scope, id, props);
    this.primary = this.statefulSet('primary', props);
    this.replica = this.statefulSet('replica', props);
  }

  private statefulSet(role: ValkeyRole, props: ValkeyStatefulSetProps): k8s.KubeStatefulSet {
    const name = ValkeyPair.serverName(role);
    const labels = this.podLabels(role);
    const image = props.image ?? 'docker.io/valkey/valkey:9.0';
    const config = new k8s.KubeConfigMap(this, `${role}-config`, {
      metadata: { name: `${name}-config`, namespace: this.namespace, labels },
      data: {
        [VALKEY_CONF_FILE]: valkeyConf({ role, primaryHost: this.primaryHost, maxmemory: props.maxmemory ?? '512mb' }),
        [VALKEY_ACL_TEMPLATE_FILE]: aclTemplate(),
        [VALKEY_AUTH_SCRIPT_FILE]: authScript(),
      },
    });
    const resources: k8s.ResourceRequirements = {
      requests: { cpu: k8s.Quantity.fromString(props.cpuRequest ?? '250m'), memory: k8s.Quantity.fromString(props.memory ?? '768Mi') },
      limits: { cpu: k8s.Quantity.fromString(props.cpuLimit ?? '1'), memory: k8s.Quantity.fromString(props.memory ?? '768Mi') },
    };
    const probe = (periodSeconds: number): k8s.Probe => ({
      tcpSocket: { port: k8s.IntOrString.fromNumber(VALKEY_PORT) },
      periodSeconds,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    return new k8s.KubeStatefulSet(this, role, {
      metadata: { name, namespace: this.namespace, labels },
      spec: {
        serviceName: role === 'primary' ? this.primaryService.name : this.replicaService.name,
        replicas: 1,
        selector: { matchLabels: { ...(role === 'primary' ? this.primarySelector : this.replicaSelector) } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            imagePullSecrets: props.imagePullSecret ? [{ name: props.imagePullSecret }] : undefined,
            securityContext: restrictedPodSecurityContext(VALKEY_UID),
            terminationGracePeriodSeconds: 60,
            initContainers: [
              initContainer({
                name: 'auth',
                image,
                command: ['sh', `${TEMPLATE_DIR}/${VALKEY_AUTH_SCRIPT_FILE}`, TEMPLATE_DIR, VALKEY_SECRET_DIR, VALKEY_CONF_DIR],
                volumeMounts: [
                  { name: 'templates', mountPath: TEMPLATE_DIR, readOnly: true },
                  { name: 'auth', mountPath: VALKEY_SECRET_DIR, readOnly: true },
                  { name: 'conf', mountPath: VALKEY_CONF_DIR },
                ],
              }),
            ],
            containers: [
              {
                name: 'valkey',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['valkey-server', `${VALKEY_CONF_DIR}/${VALKEY_CONF_FILE}`],
                ports: [{ name: 'valkey', containerPort: VALKEY_PORT, protocol: 'TCP' }],
                resources,
                readinessProbe: { ...probe(5), initialDelaySeconds: 5 },
                livenessProbe: { ...probe(10), initialDelaySeconds: 30 },
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'conf', mountPath: VALKEY_CONF_DIR, readOnly: true },
                  { name: 'data', mountPath: VALKEY_DATA_DIR },
                ],
              },
            ],
            volumes: [
              { name: 'templates', configMap: { name: config.name, defaultMode: 0o444 } },
              { name: 'auth', secret: { secretName: props.authSecretName, defaultMode: 0o440 } },
              { name: 'conf', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [volumeClaimTemplate({ name: 'data', labels, storageClass: props.storageClass, size: props.dataSize ?? '10Gi' })],
      },
    });
  }
}
