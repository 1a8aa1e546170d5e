import { LocalStack, startRabbitMQ, type AppProcess, type RabbitMQHandle } from '@oleada/local';
import { weatherScenario } from '@oleada/scenarios';
import type Valkey from 'iovalkey';
import { FAULT_PORT_OFFSET, FaultTarget, type FaultSuite } from './harness';
import type { ResultsBook } from './results';

/** This stack's own RabbitMQ node: AMQP, Erlang distribution and epmd ports. */
export const RABBITMQ_FAULT_PORTS = { amqp: 25673 + FAULT_PORT_OFFSET, dist: 25674 + FAULT_PORT_OFFSET, epmd: 25675 + FAULT_PORT_OFFSET } as const;
/** The RabbitMQ stack's apps listen at their usual ports plus this (the Kafka stack uses 4000). */
export const RABBITMQ_STACK_OFFSET = 5000 + FAULT_PORT_OFFSET;

/**
 * The RabbitMQ path under fault: a RabbitMQ node of its own (fresh data, never one found running)
 * and a stack whose writers all publish to it, beside the Kafka suite's stack and sharing its
 * Valkey, results and run id. It carries the weather scenario, which nothing else in the suite
 * sends, so its counts (`oleada:weather:*`) cannot be confused with the Kafka stack's
 * (`oleada:blackfriday:*`).
 */
export class RabbitMQFaultStack extends FaultTarget {
  private rabbitmqHandle: RabbitMQHandle | undefined;
  private stackHandle: LocalStack | undefined;

  constructor(private readonly suite: FaultSuite) {
    super(weatherScenario);
  }

  get rabbitmq(): RabbitMQHandle {
    return this.need(this.rabbitmqHandle, 'RabbitMQ');
  }
  get stack(): LocalStack {
    return this.need(this.stackHandle, 'the RabbitMQ stack');
  }
  get admin(): Valkey {
    return this.suite.admin;
  }
  get results(): ResultsBook {
    return this.suite.results;
  }
  get run(): string {
    return this.suite.run;
  }
  get apps(): AppProcess[] {
    return this.stackHandle?.apps ?? [];
  }

  async start(): Promise<void> {
    this.rabbitmqHandle = await startRabbitMQ({
      port: RABBITMQ_FAULT_PORTS.amqp,
      distPort: RABBITMQ_FAULT_PORTS.dist,
      epmdPort: RABBITMQ_FAULT_PORTS.epmd,
      fresh: true,
      reuse: false,
    });
    this.stackHandle = new LocalStack({
      valkeyUrl: this.suite.valkey.url,
      valkeyCredential: this.suite.credentials.consumer,
      rabbitmq: this.rabbitmq.env,
      broker: 'rabbitmq',
      scenarios: [this.scenario.name],
      portOffset: RABBITMQ_STACK_OFFSET,
      // Its apps have the Kafka stack's names: their logs go elsewhere.
      logDir: `${this.suite.logDir}-rabbitmq`,
    });
    await this.stackHandle.start();
  }

  /** Stops the stack, entry first; returns each exit code. */
  async stopApps(): Promise<Record<string, number | null>> {
    return this.stackHandle ? this.stackHandle.stop() : {};
  }

  /** Leaves nothing running, whatever failed. */
  async cleanup(): Promise<void> {
    for (const app of this.apps) if (app.running) await app.stop('SIGKILL');
    await this.rabbitmqHandle?.stop();
  }
}
