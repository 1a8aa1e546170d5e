import { k8s } from './k8s';
import { restrictedContainerSecurityContext } from './security';

export interface InitContainerProps {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly volumeMounts: readonly k8s.VolumeMount[];
}

/**
 * A short init container that prepares files (credentials rendered from a Secret) before the server
 * starts: restricted, with small fixed requests and limits.
 */
export function initContainer(props: InitContainerProps): k8s.Container {
  return {
    name: props.name,
    image: props.image,
    imagePullPolicy: 'IfNotPresent',
    command: [...props.command],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
      limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('32Mi') },
    },
    securityContext: restrictedContainerSecurityContext(),
    volumeMounts: [...props.volumeMounts],
  };
}

/** A StatefulSet's volume claim template: one ReadWriteOnce volume per pod. */
export function volumeClaimTemplate(props: {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** @default - the cluster's default class */
  readonly storageClass?: string;
  readonly size: string;
}): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: props.name, labels: { ...props.labels } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: props.storageClass,
      resources: { requests: { storage: k8s.Quantity.fromString(props.size) } },
    },
  };
}
