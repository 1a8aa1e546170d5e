import type { AppVariable } from '@oleada/app-config';
import type { brokerConfigShape, BrokerKind } from '@oleada/broker';
import {
  appImage,
  GrpcService,
  HttpService,
  selectorLabels,
  VALKEY_USERS,
  type EnvValue,
  type KafkaCredentials,
  type RabbitMQ,
  type ValkeyPair,
} from '@oleada/k8s';
import { APP_MEMORY, nodeHeapFlags, type AppKind } from '@oleada/shared';
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { BrokerMode, DeployConfig, Range } from '../config';

/** Object names of the pipeline's workloads (and their pods' `app.kubernetes.io/name`). */
export const APPS = {
  gateway: 'gateway',
  relay: 'relay',
  writer1: 'writer-1',
  writer2: 'writer-2',
  consumer: 'consumer',
  /** The RabbitMQ path's consumer when both brokers run. */
  consumerRabbitmq: 'consumer-rabbitmq',
} as const;
type AppName = (typeof APPS)[keyof typeof APPS];

/** Pod labels of a pipeline workload, for policies and selectors in other charts. */
export function appPods(name: AppName): Readonly<Record<string, string>> {
  return selectorLabels(name);
}

/** One way events take to Valkey: a broker, the writers publishing to it and the consumer reading it. */
export interface BrokerPath {
  readonly broker: BrokerKind;
  readonly writers: readonly AppName[];
  readonly consumer: AppName;
  /** The consumer's VALKEY_VARIANT: set when both brokers run, so that each keeps its own aggregates. */
  readonly variant?: string;
}

/**
 * The broker paths of a mode: every writer and one consumer on one broker; or, with both (as
 * `npm start -- --broker both`), writer-1 → Kafka → consumer and writer-2 → RabbitMQ →
 * consumer-rabbitmq, the relay sending every event down both.
 */
export function brokerPaths(mode: BrokerMode): readonly BrokerPath[] {
  if (mode === 'both') {
    return [
      { broker: 'kafka', writers: [APPS.writer1], consumer: APPS.consumer, variant: 'kafka' },
      { broker: 'rabbitmq', writers: [APPS.writer2], consumer: APPS.consumerRabbitmq, variant: 'rabbitmq' },
    ];
  }
  return [{ broker: mode, writers: [APPS.writer1, APPS.writer2], consumer: APPS.consumer }];
}

/** The path of a broker, when the mode uses it. */
export function brokerPath(mode: BrokerMode, broker: BrokerKind): BrokerPath | undefined {
  return brokerPaths(mode).find((p) => p.broker === broker);
}

/** Pods of a broker's clients (its writers, then its consumer): the only pods the broker admits. */
export function brokerClientPods(path: BrokerPath): Readonly<Record<string, string>>[] {
  return [...path.writers, path.consumer].map(appPods);
}

export interface PipelineChartProps {
  /** Kafka, when a path uses it. */
  readonly kafka?: {
    readonly bootstrapServers: string;
    readonly writer: KafkaCredentials;
    readonly consumer: KafkaCredentials;
  };
  /** RabbitMQ, when a path uses it. */
  readonly rabbitmq?: RabbitMQ;
  readonly valkey: ValkeyPair;
}

/**
 * The env of an app's container, typed from its configuration shape (libs/app-config): a variable
 * the app does not read fails the build. `undefined` leaves a variable out.
 */
type AppEnv<App extends AppKind> = { readonly [Name in AppVariable<App>]?: EnvValue | undefined };

/** Broker variables, named as the apps' broker configuration (libs/broker) reads them. */
type BrokerEnv = { readonly [Name in keyof typeof brokerConfigShape]?: EnvValue };

/** The variables of `env` that have a value, in their order. */
function containerEnv(env: Readonly<Record<string, EnvValue | undefined>>): Record<string, EnvValue> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, EnvValue] => entry[1] !== undefined));
}

function kafkaEnv(bootstrapServers: string, credentials: KafkaCredentials): BrokerEnv {
  return {
    BROKER: 'kafka',
    KAFKA_BROKERS: bootstrapServers,
    KAFKA_SASL_MECHANISM: credentials.mechanism,
    KAFKA_USERNAME: credentials.username,
    KAFKA_PASSWORD: credentials.password,
  };
}

function rabbitmqEnv(rabbitmq: RabbitMQ): BrokerEnv {
  return {
    BROKER: 'rabbitmq',
    RABBITMQ_URL: rabbitmq.url,
    RABBITMQ_USERNAME: rabbitmq.credentials.username,
    RABBITMQ_PASSWORD: rabbitmq.credentials.password,
  };
}

/**
 * The event path: gateway (REST) → relay → writer-1/writer-2 (gRPC, headless Services) → Kafka
 * and/or RabbitMQ → a consumer per broker → Valkey. Every app gets variables of its configuration
 * shape (libs/app-config), wired by reference.
 */
export class PipelineChart extends Chart {
  readonly gateway: HttpService;
  readonly relay: HttpService;
  readonly writers: readonly GrpcService[];
  /** One per broker path. */
  readonly consumers: readonly HttpService[];

  constructor(scope: Construct, id: string, config: DeployConfig, props: PipelineChartProps) {
    super(scope, id);
    const namespace = config.namespaces.app;
    const paths = brokerPaths(config.brokerMode);
    const image = (app: string) => appImage(config.registry, app, config.imageTag);
    const common = { namespace, imagePullSecret: config.secrets.registry };
    // Container memory and the Node heap inside it come from one table (APP_MEMORY).
    const runtime = (kind: AppKind) => ({
      resources: { cpuRequest: config.profile.standalone?.cpuRequest ?? '200m', cpuLimit: '1', memoryRequest: `${APP_MEMORY[kind].requestMiB}Mi`, memoryLimit: `${APP_MEMORY[kind].limitMiB}Mi` },
      env: { NODE_OPTIONS: nodeHeapFlags(kind) } satisfies AppEnv<AppKind>,
    });
    const { tracing } = config;
    const base = (serviceName: string): AppEnv<AppKind> => ({
      SERVICE_NAME: serviceName,
      PORT: '8080',
      SCENARIOS: config.scenarios.map((s) => s.name).join(','),
      // Spans to the user's OTLP receiver, when one is configured (libs/telemetry reads these).
      ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: tracing.endpoint, OTEL_TRACES_SAMPLER: tracing.sampler, OTEL_TRACES_SAMPLER_ARG: tracing.ratio } : {}),
    });
    const autoscaling = (range: Range) => ({
      minReplicas: range.min,
      maxReplicas: range.max,
      cpuUtilization: config.cpuTargetUtilization,
    });
    const brokerEnv = (broker: BrokerKind, role: 'writer' | 'consumer'): BrokerEnv => {
      if (broker === 'kafka') {
        if (!props.kafka) throw new Error('a Kafka path needs props.kafka');
        return kafkaEnv(props.kafka.bootstrapServers, props.kafka[role]);
      }
      if (!props.rabbitmq) throw new Error('a RabbitMQ path needs props.rabbitmq');
      return rabbitmqEnv(props.rabbitmq);
    };
    const pathOf = (writer: AppName): BrokerPath => {
      const path = paths.find((p) => p.writers.includes(writer));
      if (!path) throw new Error(`${writer} is on no broker path`);
      return path;
    };

    const writer = (name: AppName, replicas: number) =>
      new GrpcService(this, name, {
        ...common,
        name,
        component: 'writer',
        image: image('writer'),
        replicas,
        clusterDomain: config.clusterDomain,
        resources: runtime('writer').resources,
        env: containerEnv({ ...base(name), ...runtime('writer').env, GRPC_PORT: '50051', ...brokerEnv(pathOf(name).broker, 'writer') } satisfies AppEnv<'writer'>),
      });
    this.writers = [writer(APPS.writer1, config.replicas.writer1), writer(APPS.writer2, config.replicas.writer2)];

    // gateway, relay and consumers: autoscaled HTTP apps; the image is the component's.
    const httpApp = <App extends AppKind>(name: AppName, component: App, range: Range, env: AppEnv<App>) =>
      new HttpService(this, name, {
        ...common,
        name,
        component,
        image: image(component),
        autoscaling: autoscaling(range),
        resources: runtime(component).resources,
        env: containerEnv({ ...base(name), ...runtime(component).env, ...env }),
      });

    // The first path's writers are the relay's own; every further path is a fan-out group.
    const targets = (path: BrokerPath) => this.writers.filter((w) => path.writers.some((name) => name === w.name)).map((w) => w.target).join(',');
    const [first, ...fanout] = paths;
    this.relay = httpApp(APPS.relay, 'relay', config.replicas.relay, {
      WRITER_TARGETS: targets(first),
      FANOUT_TARGETS: fanout.length > 0 ? fanout.map(targets).join(';') : undefined,
    });
    this.gateway = httpApp(APPS.gateway, 'gateway', config.replicas.gateway, {
      RELAY_URL: this.relay.url,
      // Idempotency-Keys are bound to their first body in Valkey, shared by every gateway replica.
      VALKEY_URL: props.valkey.url,
      VALKEY_USERNAME: VALKEY_USERS.gateway.name,
      VALKEY_PASSWORD: { secretName: config.secrets.valkey, key: VALKEY_USERS.gateway.secretKey },
      // Behind Traefik the socket's peer is Traefik: its X-Forwarded-For names the client. Only the entry
      // controller's namespace reaches the gateway (NetworkPolicy), so trusting the pod range trusts it alone.
      TRUST_PROXY: config.profile.standalone?.podCidr,
    });
    this.consumers = paths.map((path) =>
      httpApp(path.consumer, 'consumer', config.replicas.consumer, {
        ...brokerEnv(path.broker, 'consumer'),
        KAFKA_GROUP_ID: path.broker === 'kafka' ? config.kafkaGroupId : undefined,
        RABBITMQ_PREFETCH: path.broker === 'rabbitmq' ? String(config.rabbitmq.prefetch) : undefined,
        CONSUMER_BATCH_MAX: path.broker === 'rabbitmq' ? String(config.rabbitmq.batchMax) : undefined,
        VALKEY_URL: props.valkey.url,
        VALKEY_USERNAME: VALKEY_USERS.consumer.name,
        VALKEY_PASSWORD: { secretName: config.secrets.valkey, key: VALKEY_USERS.consumer.secretKey },
        VALKEY_VARIANT: path.variant,
      }),
    );
  }
}
