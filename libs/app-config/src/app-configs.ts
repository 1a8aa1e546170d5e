import type { AppKind, ConfigRule } from '@oleada/shared';
import type { z } from 'zod';
import { consumerConfigRules, consumerConfigShape } from './consumer.config';
import { gatewayConfigShape } from './gateway.config';
import { relayConfigShape } from './relay.config';
import { writerConfigRules, writerConfigShape } from './writer.config';

/** An app's environment contract: the shape its start-up validates, and the checks across its variables. */
export interface AppConfigContract {
  readonly shape: z.ZodRawShape;
  readonly rules: readonly ConfigRule[];
}

/**
 * Every app's environment contract, the one source of its variables: the app validates its
 * environment against it, the charts' env for the app is typed from it (AppVariable), and the
 * configuration table of docs/architecture.md is made from it (renderConfigTable).
 */
export const APP_CONFIGS = {
  gateway: { shape: gatewayConfigShape, rules: [] },
  relay: { shape: relayConfigShape, rules: [] },
  writer: { shape: writerConfigShape, rules: writerConfigRules },
  consumer: { shape: consumerConfigShape, rules: consumerConfigRules },
} as const satisfies Record<AppKind, AppConfigContract>;

/** The apps, in the order of the flow. */
export const APP_KINDS = Object.keys(APP_CONFIGS) as AppKind[];

/**
 * A variable the configuration of `App` reads; for a union of apps, one every one of them reads.
 * `NODE_OPTIONS` is read by Node itself (APP_MEMORY's heap flags), before the app.
 */
export type AppVariable<App extends AppKind> = (keyof (typeof APP_CONFIGS)[App]['shape'] & string) | 'NODE_OPTIONS';
