import { weatherCase } from './cases';
import { describePipeline } from './pipeline-suite';

/** The weather scenario through RabbitMQ: publisher confirms, quorum queues, acks after Valkey. */
describePipeline({ title: 'the pipeline on RabbitMQ end to end', broker: 'rabbitmq', portOffset: 400, cases: [weatherCase] });

/**
 * The weather projects' design: the relay fans every event out to writer-1 (Kafka) and writer-2
 * (RabbitMQ); each path is aggregated under its own key variant and must count every event once.
 */
describePipeline({ title: 'the pipeline fanned out to Kafka and RabbitMQ end to end', broker: 'both', portOffset: 500, cases: [weatherCase] });
