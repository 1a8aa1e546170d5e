import { Body, Controller, HttpCode, HttpStatus, Post, SetMetadata, UseGuards, type Type } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { relayBatchRoute, relayRoute, type AnyScenario } from '@oleada/scenarios';
import { BODY_LIMIT, scenarioClass } from '@oleada/shared';
import { noteEvents, TraceRequests } from '@oleada/telemetry';
import { RelayCapacityGuard } from './relay-capacity';
import { RelayBatchPipe, RelayEventInput, RelayEventPipe, type RelayBatchRequest, type RelayEvent } from './relay-input.pipe';
import { RELAY_BATCH_BODY_LIMIT, SCENARIO_NAME } from './relay.constants';
import { RelayService, type RelayBatchResult } from './relay.service';

/**
 * The relay's internal routes of one scenario, made from its definition: one event
 * (`POST /internal/v1/<name>/events`: capacity guard, then the id header and the body checked by
 * RelayEventPipe, then the scenario's unary gRPC method, in a span of its own when tracing) and a gateway's batch
 * (`…/events:batch`: the envelope checked by RelayBatchPipe, then one EventBatchService call; 200
 * with one status per event).
 */
export function scenarioRelayController(scenario: AnyScenario): Type<unknown> {
  @Controller()
  @SetMetadata(SCENARIO_NAME, scenario.name)
  class ScenarioRelayController {
    constructor(private readonly relay: RelayService) {}

    @Post(relayRoute(scenario))
    @UseGuards(RelayCapacityGuard)
    // its SERVER span, the child of the gateway's traceparent header; the writer call its child
    @TraceRequests()
    @HttpCode(HttpStatus.ACCEPTED)
    single(@RelayEventInput(scenario.name, RelayEventPipe) event: RelayEvent): Promise<{ id: string }> {
      noteEvents([event.eventId]);
      return this.relay.sendOne(scenario, event);
    }

    @Post(relayBatchRoute(scenario))
    @RouteConfig({ [BODY_LIMIT]: RELAY_BATCH_BODY_LIMIT })
    @HttpCode(HttpStatus.OK)
    batch(@Body(RelayBatchPipe) batch: RelayBatchRequest): Promise<{ results: RelayBatchResult[] }> {
      return this.relay.sendBatch(scenario, batch);
    }
  }
  return scenarioClass(ScenarioRelayController, scenario.name, 'RelayController');
}
