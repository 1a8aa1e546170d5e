import {
  appImage,
  GrpcService,
  HttpService,
  selectorLabels,
  VALKEY_USERS,
  type EnvValue,
  type KafkaCredentials,
  type ValkeyPair,
} from '@oleada/k8s';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { DeployConfig } from '../config';

/** Object names of the pipeline's workloads (and their pods' `app.kubernetes.io/name`). */
export const APPS = {
  gateway: 'gateway',
  relay: 'relay',
  writer1: 'writer-1',
  writer2: 'writer-2',
  consumer: 'consumer',
} as const;

/** Pod labels of a pipeline workload, for policies and selectors in other charts. */
export function appPods(name: (typeof APPS)[keyof typeof APPS]): Readonly<Record<string, string>> {
  return selectorLabels(name);
}

export interface PipelineChartProps {
  readonly kafka: {
    readonly bootstrapServers: string;
    readonly writer: KafkaCredentials;
    readonly consumer: KafkaCredentials;
  };
  readonly valkey: ValkeyPair;
}

function kafkaEnv(bootstrapServers: string, credentials: KafkaCredentials): Record<string, EnvValue> {
  return {
    BROKER: 'kafka',
    KAFKA_BROKERS: bootstrapServers,
    KAFKA_SASL_MECHANISM: credentials.mechanism,
    KAFKA_USERNAME: credentials.username,
    KAFKA_PASSWORD: credentials.password,
  };
}

/**
 * The event path: gateway (REST) → relay → writer-1/writer-2 (gRPC, headless Services) → Kafka →
 * consumer → Valkey. Every app gets the variables docs/architecture.md names, wired by reference.
 */
export class PipelineChart extends Chart {
  readonly gateway: HttpService;
  readonly relay: HttpService;
  readonly writers: readonly GrpcService[];
  readonly consumer: HttpService;

  constructor(scope: Construct, id: string, config: DeployConfig, props: PipelineChartProps) {
    super(scope, id);
    const namespace = config.namespaces.app;
    const image = (app: string) => appImage(config.registry, app, config.imageTag);
    const common = { namespace, imagePullSecret: config.secrets.registry };
    const base = (serviceName: string): Record<string, EnvValue> => ({
      SERVICE_NAME: serviceName,
      PORT: '8080',
      SCENARIOS: config.scenarios.map((s) => s.name).join(','),
    });
    const autoscaling = (range: { min: number; max: number }) => ({
      minReplicas: range.min,
      maxReplicas: range.max,
      cpuUtilization: config.cpuTargetUtilization,
    });

    const writer = (name: string, replicas: number) =>
      new GrpcService(this, name, {
        ...common,
        name,
        component: 'writer',
        image: image('writer'),
        replicas,
        clusterDomain: config.clusterDomain,
        resources: { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '192Mi', memoryLimit: '384Mi' },
        env: { ...base(name), GRPC_PORT: '50051', ...kafkaEnv(props.kafka.bootstrapServers, props.kafka.writer) },
      });
    this.writers = [writer(APPS.writer1, config.replicas.writer1), writer(APPS.writer2, config.replicas.writer2)];

    this.relay = new HttpService(this, APPS.relay, {
      ...common,
      name: APPS.relay,
      component: 'relay',
      image: image('relay'),
      autoscaling: autoscaling(config.replicas.relay),
      resources: { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '256Mi' },
      env: { ...base(APPS.relay), WRITER_TARGETS: this.writers.map((w) => w.target).join(',') },
    });

    this.gateway = new HttpService(this, APPS.gateway, {
      ...common,
      name: APPS.gateway,
      component: 'gateway',
      image: image('gateway'),
      autoscaling: autoscaling(config.replicas.gateway),
      resources: { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '128Mi', memoryLimit: '256Mi' },
      env: { ...base(APPS.gateway), RELAY_URL: this.relay.url },
    });

    this.consumer = new HttpService(this, APPS.consumer, {
      ...common,
      name: APPS.consumer,
      component: 'consumer',
      image: image('consumer'),
      autoscaling: autoscaling(config.replicas.consumer),
      resources: { cpuRequest: '200m', cpuLimit: '1', memoryRequest: '192Mi', memoryLimit: '384Mi' },
      env: {
        ...base(APPS.consumer),
        ...kafkaEnv(props.kafka.bootstrapServers, props.kafka.consumer),
        KAFKA_GROUP_ID: config.kafkaGroupId,
        VALKEY_URL: props.valkey.url,
        VALKEY_USERNAME: VALKEY_USERS.consumer.name,
        VALKEY_PASSWORD: { secretName: config.secrets.valkey, key: VALKEY_USERS.consumer.secretKey },
      },
    });
  }
}
