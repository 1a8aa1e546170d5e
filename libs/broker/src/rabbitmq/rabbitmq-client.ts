import { connect, type ChannelModel, type Options } from 'amqplib';

export interface RabbitMQConnectionOptions {
  /** `amqp://host:port/vhost` (or `amqps://…`); credentials come separately, never in the URL. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Shown by the broker as the connection name. */
  readonly clientName: string;
  /** @default 10 */
  readonly heartbeatSeconds?: number;
}

/** The connection settings of a RABBITMQ_URL plus credentials (the URL's own are used only when none are given). */
export function rabbitConnectOptions(options: RabbitMQConnectionOptions): Options.Connect {
  const url = new URL(options.url);
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new Error(`RabbitMQ URL must be amqp:// or amqps://, not ${url.protocol}`);
  const tls = url.protocol === 'amqps:';
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    protocol: tls ? 'amqps' : 'amqp',
    hostname: url.hostname,
    port: url.port ? Number(url.port) : tls ? 5671 : 5672,
    vhost: path === '' ? '/' : path,
    username: options.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
    password: options.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
    heartbeat: options.heartbeatSeconds ?? 10,
  };
}

/** Opens one connection; the caller listens for its `close` and reconnects. */
export function connectRabbitMQ(options: RabbitMQConnectionOptions): Promise<ChannelModel> {
  return connect(rabbitConnectOptions(options), { clientProperties: { connection_name: options.clientName }, timeout: 5000, noDelay: true });
}
