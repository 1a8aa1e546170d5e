import { ConfigModule, type ConfigFactory, type ConfigFactoryKeyHost } from '@nestjs/config';
import type { DynamicModule } from '@nestjs/common';
import { OpsModule } from './ops.module';

/**
 * A config namespace (`registerAs`) as a feature module takes it: called, it gives the validated
 * configuration (the module's routes are made from it when Nest scans the module); `KEY` injects
 * the same to the module's providers.
 */
export type ConfigNamespace<C> = (() => C | Promise<C>) & { readonly KEY: string | symbol };

/** What every app's configuration namespace carries (baseConfigShape). */
interface BaseConfig {
  readonly SERVICE_NAME?: string;
  readonly LOG_LEVEL?: string;
}

/**
 * The modules every app module starts with: its configuration namespace (`registerAs`, validated
 * once; global, no .env file: variables come from the environment only) and OpsModule's logger,
 * health and metrics named after SERVICE_NAME, else `app`.
 */
export function appFoundation<C extends BaseConfig>(config: ConfigFactory<C> & ConfigFactoryKeyHost<C>, app: string): Array<DynamicModule | Promise<DynamicModule>> {
  return [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [config] }),
    OpsModule.forRootAsync({ inject: [config.KEY], useFactory: (values: C) => ({ name: values.SERVICE_NAME ?? app, logLevel: values.LOG_LEVEL }) }),
  ];
}
