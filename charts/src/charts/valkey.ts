import { ValkeyStatefulSet, ValkeyVirtualMachines, type ValkeyPair } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** Valkey primary + replica: KubeVirt VMs, or StatefulSets on clusters without KubeVirt. Same Services either way. */
export class ValkeyChart extends Chart {
  readonly valkey: ValkeyPair;

  constructor(scope: Construct, id: string, config: DeployConfig) {
    super(scope, id);
    const common = {
      namespace: config.namespaces.app,
      authSecretName: config.secrets.valkey,
      storageClass: config.profile.storageClass,
      clusterDomain: config.clusterDomain,
    };
    this.valkey =
      config.valkeyMode === 'kubevirt'
        ? new ValkeyVirtualMachines(this, 'valkey', { ...common, nodeSelector: config.profile.kubevirt.nodeSelector })
        : new ValkeyStatefulSet(this, 'valkey', {
            ...common,
            // A standalone cluster pulls Valkey from the project's registry, with its pull secret.
            ...(config.profile.standalone && {
              image: `${config.registry}/${config.profile.standalone.valkeyImage}`,
              imagePullSecret: config.secrets.registry,
              cpuRequest: config.profile.standalone.cpuRequest,
            }),
          });
  }
}
