import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { AnyScenario } from '@oleada/scenarios';
import { hopModule, hopModuleAsync, METRICS, type HopModuleAsyncOptions, type Metrics } from '@oleada/shared';
import { RelayCapacity } from './relay-capacity';
import { RELAY_OPTIONS, WRITER_CALLER } from './relay.constants';
import { RelayMetrics } from './relay.metrics';
import { RelayService } from './relay.service';
import { scenarioRelayController } from './scenario-relay.controller';
import { WriterClients } from './writer-clients';
import type { WriterCaller } from './writer-caller';
import { WriterFanout } from './writer-fanout';

export interface RelayModuleOptions {
  readonly scenarios: readonly AnyScenario[];
  /** Writer groups: the first is WRITER_TARGETS, the others FANOUT_TARGETS; each a list of gRPC targets. */
  readonly writerGroups: ReadonlyArray<readonly string[]>;
  /** Deadline of each gRPC call. */
  readonly deadlineMs: number;
  /** Events in flight before new ones get a fast 503. */
  readonly maxInFlight: number;
  /** Most events in one batch request. */
  readonly batchMax: number;
  /** Writers made elsewhere (a test's fakes), closed by the module on shutdown; by default channels to `writerGroups`. */
  readonly writers?: WriterCaller;
}

/** The relay's REST-in, gRPC-out hop: a controller per served scenario, its guard and pipes, the service, and the writer client. */
@Module({})
export class RelayModule {
  /** The module from the app's config namespace (hopModuleAsync): a controller per served scenario. */
  static forRootAsync<C>(options: HopModuleAsyncOptions<C, RelayModuleOptions>): Promise<DynamicModule> {
    return hopModuleAsync(RELAY_OPTIONS, options, RelayModule.with);
  }

  /** The module from options at hand (tests). */
  static forRoot(options: RelayModuleOptions): DynamicModule {
    return hopModule(RELAY_OPTIONS, options, RelayModule.with);
  }

  private static with(scenarios: readonly AnyScenario[], optionsProvider: Provider): DynamicModule {
    return {
      module: RelayModule,
      controllers: scenarios.map(scenarioRelayController),
      providers: [
        optionsProvider,
        { provide: RelayMetrics, inject: [METRICS], useFactory: (metrics: Metrics) => new RelayMetrics(metrics) },
        {
          // Long-lived channels with per-call round-robin and retry on another writer (WriterClients):
          // Nest's ClientGrpc has no retry of just the refused events of a batch on the next target.
          provide: WRITER_CALLER,
          inject: [RELAY_OPTIONS],
          useFactory: (relay: RelayModuleOptions): WriterCaller => {
            if (relay.writers) return relay.writers;
            const groups = relay.writerGroups.map((targets) => new WriterClients(targets, relay.deadlineMs));
            return groups.length === 1 ? groups[0] : new WriterFanout(groups);
          },
        },
        RelayCapacity,
        RelayService,
      ],
    };
  }
}
