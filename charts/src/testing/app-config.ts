import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './variants';

/** What a manifest gives in place of a value it takes from a Secret. */
export const SECRET_PLACEHOLDER = 'from-a-secret';

/** An app's configuration as the app itself reads it. */
export interface AppConfig {
  /** Every variable the app's schema reads. */
  readonly variables: ReadonlySet<string>;
  /** What the app's start-up validation reports for `env` (empty: it would start). */
  problems(env: Readonly<Record<string, string>>): string[];
}

interface ConfigModules {
  readonly shared: { loadConfig(shape: object, env: object): Record<string, unknown> };
  readonly broker?: { brokerConfigProblems(config: object): string[] };
}

const cache = new Map<string, AppConfig>();

/**
 * The configuration schema of `apps/<app>` (`<app>ConfigShape` in its src/config.ts) and the checks
 * its main.ts runs before starting (`loadConfig`, and `brokerConfigProblems` for broker clients),
 * loaded from the app's build with the libraries resolved as the app resolves them. Charts may not
 * import apps (module boundaries), so the contract between manifests and apps is checked here,
 * against the compiled code the images run. Needs every project built (`npm run build`).
 */
export function appConfig(app: string): AppConfig {
  const cached = cache.get(app);
  if (cached) return cached;
  const file = join(REPO_ROOT, 'apps', app, 'dist', 'config.js');
  if (!existsSync(file)) throw new Error(`${file} not found: build every project first (npm run build)`);
  const fromApp = createRequire(file);
  const shape = (fromApp(file) as Record<string, Record<string, unknown> | undefined>)[`${app}ConfigShape`];
  if (!shape) throw new Error(`${file} exports no ${app}ConfigShape`);
  const modules: ConfigModules = {
    shared: fromApp('@oleada/shared') as ConfigModules['shared'],
    broker: 'BROKER' in shape ? (fromApp('@oleada/broker') as ConfigModules['broker']) : undefined,
  };
  const config: AppConfig = {
    variables: new Set(Object.keys(shape)),
    problems(env) {
      try {
        const loaded = modules.shared.loadConfig(shape, env);
        return modules.broker?.brokerConfigProblems(loaded) ?? [];
      } catch (error) {
        return [...((error as { problems?: string[] }).problems ?? [(error as Error).message])];
      }
    },
  };
  cache.set(app, config);
  return config;
}
