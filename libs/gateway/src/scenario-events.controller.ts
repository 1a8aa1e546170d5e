import { Controller, HttpCode, HttpStatus, Post, type Type } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { batchRoute, canonicalRoute, type AnyScenario } from '@oleada/scenarios';
import { scenarioClass } from '@oleada/shared';
import { BatchEventPipe, EventInput, SingleEventPipe, type AcceptedBatch, type AcceptedEvent } from './event-input.pipe';
import { EVENT_ROUTE } from './gateway.constants';
import { GatewayService } from './gateway.service';

/**
 * The public routes of one scenario, made from its definition: `POST /api/v1/<name>/events` and
 * its aliases (one event), `POST /api/v1/<name>/events:batch` (a JSON array). The route config
 * marks them for GatewayAdmission (body limit, rate limit, shedding, body deadline); the pipes
 * validate with the scenario's schema and give each event its id; the service answers. Each
 * request's trace span comes from GatewayAdmission's hooks (requestTracingHooks), when tracing is on.
 */
export function scenarioEventsController(scenario: AnyScenario): Type<unknown> {
  @Controller()
  class ScenarioEventsController {
    constructor(private readonly gateway: GatewayService) {}

    @Post([canonicalRoute(scenario), ...scenario.aliases])
    @RouteConfig({ [EVENT_ROUTE]: 'single' })
    @HttpCode(HttpStatus.ACCEPTED)
    single(@EventInput(scenario.name, SingleEventPipe) event: AcceptedEvent): Promise<{ id: string }> {
      return this.gateway.acceptOne(scenario, event);
    }

    @Post(batchRoute(scenario))
    @RouteConfig({ [EVENT_ROUTE]: 'batch' })
    @HttpCode(HttpStatus.ACCEPTED)
    batch(@EventInput(scenario.name, BatchEventPipe) events: AcceptedBatch): Promise<{ ids: string[] }> {
      return this.gateway.acceptBatch(scenario, events);
    }
  }
  return scenarioClass(ScenarioEventsController, scenario.name, 'EventsController');
}
