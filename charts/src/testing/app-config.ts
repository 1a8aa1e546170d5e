import { APP_CONFIGS } from '@oleada/app-config';
import { ConfigError, loadConfig, type AppKind } from '@oleada/shared';

/** What a manifest gives in place of a value it takes from a Secret. */
export const SECRET_PLACEHOLDER = 'from-a-secret';

/** An app's configuration as the app itself reads it. */
export interface AppConfig {
  /** Every variable the app's schema reads. */
  readonly variables: ReadonlySet<string>;
  /** What the app's start-up validation reports for `env` (empty: it would start). */
  problems(env: Readonly<Record<string, string>>): string[];
}

/** True for the name of an app (`app.kubernetes.io/component` of its workloads). */
export function isApp(name: string): name is AppKind {
  return Object.hasOwn(APP_CONFIGS, name);
}

/**
 * The configuration of `apps/<app>` as its start-up validates it: the app's shape and rules from
 * libs/app-config, the same the app's config namespace loads.
 */
export function appConfig(app: string): AppConfig {
  if (!isApp(app)) throw new Error(`${app} is not an app of libs/app-config`);
  const { shape, rules } = APP_CONFIGS[app];
  return {
    variables: new Set(Object.keys(shape)),
    problems(env) {
      try {
        loadConfig(shape, env, rules);
        return [];
      } catch (error) {
        if (error instanceof ConfigError) return [...error.problems];
        throw error;
      }
    },
  };
}
