import { k8s, PART_OF } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** Namespaces (and, where the profile needs one, the StorageClass): everything else lives in them. */
export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string, config: DeployConfig) {
    super(scope, id);
    const names = [config.namespaces.app, config.namespaces.monitoring];
    // the Gateway's namespace; on a standalone profile also the entry controller's (Traefik) in either mode
    if (config.entry.mode === 'gateway-api' || config.profile.standalone) names.push(config.namespaces.edge);
    for (const name of names) {
      new k8s.KubeNamespace(this, name, {
        metadata: {
          name,
          labels: {
            'app.kubernetes.io/part-of': PART_OF,
            // Report pods that fall short of the restricted standard (KubeVirt's launchers need more than it allows).
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
            // A standalone cluster runs no KubeVirt: every pod must meet the restricted standard.
            ...(config.profile.standalone && { 'pod-security.kubernetes.io/enforce': 'restricted' }),
          },
        },
      });
    }
    const storage = config.profile.createStorageClass;
    if (storage) {
      new k8s.KubeStorageClass(this, 'storage-class', {
        metadata: { name: config.profile.storageClass, labels: { 'app.kubernetes.io/part-of': PART_OF } },
        provisioner: storage.provisioner,
        parameters: { ...storage.parameters },
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
      });
    }
  }
}
