import { registerAs, type ConfigType } from '@nestjs/config';
import { relayConfigShape } from '@oleada/app-config';
import { loadConfigOrExit } from '@oleada/shared';

/**
 * The relay's configuration as a Nest config namespace: its environment validated once at start-up
 * against relayConfigShape (libs/app-config; the process stops naming every missing or bad
 * variable), then injected with `@Inject(relayConfig.KEY)`.
 */
export const relayConfig = registerAs('relay', () => loadConfigOrExit('relay', relayConfigShape));
export type RelayConfig = ConfigType<typeof relayConfig>;
