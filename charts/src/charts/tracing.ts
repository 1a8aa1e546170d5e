import { JaegerStore } from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/**
 * The trace store of OLEADA_TRACING=jaeger (local profile): Jaeger all-in-one, in memory, in the
 * monitoring namespace. The apps' OTEL_EXPORTER_OTLP_ENDPOINT already names it (config.tracing).
 */
export class TracingChart extends Chart {
  readonly store: JaegerStore;

  constructor(scope: Construct, id: string, config: DeployConfig) {
    super(scope, id);
    const standalone = config.profile.standalone;
    if (!standalone) throw new Error(`the charts deploy a trace store on the local profile only, not ${config.profile.name}`);
    this.store = new JaegerStore(this, 'jaeger', {
      namespace: config.namespaces.monitoring,
      image: `${config.registry}/${standalone.jaegerImage}`,
      imagePullSecret: config.secrets.registry,
      cpuRequest: standalone.cpuRequest,
      clusterDomain: config.clusterDomain,
    });
    if (config.tracing?.endpoint !== this.store.otlpEndpoint) throw new Error(`the apps send spans to ${config.tracing?.endpoint}, not to the store at ${this.store.otlpEndpoint}`);
  }
}
