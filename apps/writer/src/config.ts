import { registerAs, type ConfigType } from '@nestjs/config';
import { writerConfigRules, writerConfigShape } from '@oleada/app-config';
import { loadConfigOrExit } from '@oleada/shared';

/**
 * The writer's configuration as a Nest config namespace: its environment validated once at start-up
 * against writerConfigShape (libs/app-config; the process stops naming every missing or bad
 * variable), then injected with `@Inject(writerConfig.KEY)`.
 */
export const writerConfig = registerAs('writer', () => loadConfigOrExit('writer', writerConfigShape, process.env, writerConfigRules));
export type WriterConfig = ConfigType<typeof writerConfig>;
