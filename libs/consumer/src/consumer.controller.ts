import { Catch, Controller, UseFilters, type ArgumentsHost, type RpcExceptionFilter, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { IncomingRecord } from '@oleada/broker';
import type { AnyScenario } from '@oleada/scenarios';
import { scenarioClass } from '@oleada/shared';
import { throwError, type Observable } from 'rxjs';
import { Aggregator } from './aggregator';

/** Hands a failed batch's own error back to the transport (not Nest's generic one), for its logs and retry. */
@Catch()
class RethrowFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * The consumer's handler of one scenario, made from its definition: each batch of the scenario's
 * topics (RabbitMQ: queues) is aggregated into Valkey in one atomic call, then the transport commits.
 * A consumer has one per scenario of its SCENARIOS, whose topics it subscribes to.
 */
export function scenarioConsumerController(scenario: AnyScenario): Type<unknown> {
  @Controller()
  @UseFilters(RethrowFilter)
  class ScenarioConsumerController {
    constructor(private readonly aggregator: Aggregator) {}

    @EventPattern(scenario.topics)
    aggregate(@Payload() records: readonly IncomingRecord[]): Promise<void> {
      return this.aggregator.handle(records);
    }
  }
  return scenarioClass(ScenarioConsumerController, scenario.name, 'ConsumerController');
}
