import { Catch, Controller, UseFilters, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { IncomingRecord } from '@oleada/broker';
import { SCENARIOS } from '@oleada/scenarios';
import { throwError, type Observable } from 'rxjs';
import { Aggregator } from './aggregator';

/** Every topic (RabbitMQ: queue) of every scenario in the registry; a consumer subscribes to those of its SCENARIOS. */
const SCENARIO_TOPICS = SCENARIOS.flatMap((scenario) => scenario.topics);

/** Hands a failed batch's own error back to the transport (not Nest's generic one), for its logs and retry. */
@Catch()
class RethrowFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/** Aggregates each batch of a scenario topic into Valkey: one atomic call, then the transport commits. */
@Controller()
@UseFilters(RethrowFilter)
export class ConsumerController {
  constructor(private readonly aggregator: Aggregator) {}

  @EventPattern(SCENARIO_TOPICS)
  aggregate(@Payload() records: readonly IncomingRecord[]): Promise<void> {
    return this.aggregator.handle(records);
  }
}
