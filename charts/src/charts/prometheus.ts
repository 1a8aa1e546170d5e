import { PrometheusDiscoveryRole, PrometheusServer } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/**
 * Prometheus: the ClusterRole its pod discovery is bound to in the apps' namespace (the Helm chart of
 * the cloud profiles binds its server to it, see prometheusHelmValues); on a standalone profile,
 * which installs no Helm chart, the server itself from the image built here, with the same scrape
 * job, RBAC and alert rules.
 */
export class PrometheusChart extends Chart {
  readonly server?: PrometheusServer;

  constructor(scope: Construct, id: string, config: DeployConfig) {
    super(scope, id);
    new PrometheusDiscoveryRole(this, 'discovery-role');
    const standalone = config.profile.standalone;
    if (standalone) {
      this.server = new PrometheusServer(this, 'server', {
        namespace: config.namespaces.monitoring,
        appNamespace: config.namespaces.app,
        image: `${config.registry}/${standalone.prometheusImage}`,
        imagePullSecret: config.secrets.registry,
        cpuRequest: standalone.cpuRequest,
      });
    }
  }
}
