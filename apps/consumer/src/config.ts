import { registerAs, type ConfigType } from '@nestjs/config';
import { consumerConfigRules, consumerConfigShape } from '@oleada/app-config';
import { loadConfigOrExit } from '@oleada/shared';

/**
 * The consumer's configuration as a Nest config namespace: its environment validated once at start-up
 * against consumerConfigShape (libs/app-config; the process stops naming every missing or bad
 * variable), then injected with `@Inject(consumerConfig.KEY)`.
 */
export const consumerConfig = registerAs('consumer', () => loadConfigOrExit('consumer', consumerConfigShape, process.env, consumerConfigRules));
export type ConsumerConfig = ConfigType<typeof consumerConfig>;
