import type { DynamicModule, Provider } from '@nestjs/common';
import type { ConfigNamespace } from './app-config';

/** What every hop module's `forRootAsync` takes: the app's config namespace and how the module's options follow from it. */
export interface HopModuleAsyncOptions<C, Options> {
  readonly config: ConfigNamespace<C>;
  readonly useFactory: (config: C) => Options;
}

/** Makes a hop module: a controller per served scenario, and the providers, which get its options from `optionsProvider`. */
export type HopModuleMaker<Scenario> = (scenarios: readonly Scenario[], optionsProvider: Provider) => DynamicModule;

/** A hop module (gateway, relay, writer, consumer) from options at hand (tests), provided as `token`. */
export function hopModule<Scenario>(token: string, options: { readonly scenarios: readonly Scenario[] }, make: HopModuleMaker<Scenario>): DynamicModule {
  return make(options.scenarios, { provide: token, useValue: options });
}

/**
 * A hop module from the app's config namespace: `useFactory` maps the validated configuration to the
 * options every provider is built from (provided as `token`). Nest needs a module's controllers when
 * it scans the module, before any provider exists, so the controllers of the served scenarios are
 * made here from the same namespace and factory (Nest's async dynamic module); the providers get the
 * options by injection.
 */
export async function hopModuleAsync<C, Scenario>(
  token: string,
  async: HopModuleAsyncOptions<C, { readonly scenarios: readonly Scenario[] }>,
  make: HopModuleMaker<Scenario>,
): Promise<DynamicModule> {
  const { scenarios } = async.useFactory(await async.config());
  return make(scenarios, { provide: token, inject: [async.config.KEY], useFactory: async.useFactory });
}

/**
 * Names a controller class made for one scenario (`weather`, `EventsController` → `WeatherEventsController`),
 * so that Nest's logs and errors tell them apart.
 */
export function scenarioClass<T extends abstract new (...args: never[]) => unknown>(cls: T, scenario: string, suffix: string): T {
  Object.defineProperty(cls, 'name', { value: `${scenario[0].toUpperCase()}${scenario.slice(1)}${suffix}` });
  return cls;
}
