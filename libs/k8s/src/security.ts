import type { k8s } from './k8s';

/** The uid/gid app containers run as: `nonroot` of the distroless Node.js runtime image (see apps/Dockerfile). */
export const APP_UID = 65532;

/**
 * Pod-level settings of the Kubernetes "restricted" Pod Security Standard: non-root, seccomp
 * RuntimeDefault; `fsGroup` makes mounted volumes writable by the non-root user.
 */
export function restrictedPodSecurityContext(uid = APP_UID): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level settings of the "restricted" standard, plus a read-only root filesystem. */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
