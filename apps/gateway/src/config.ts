import { registerAs, type ConfigType } from '@nestjs/config';
import { gatewayConfigShape } from '@oleada/app-config';
import { loadConfigOrExit } from '@oleada/shared';

/**
 * The gateway's configuration as a Nest config namespace: its environment validated once at start-up
 * against gatewayConfigShape (libs/app-config; the process stops naming every missing or bad
 * variable), then injected with `@Inject(gatewayConfig.KEY)`.
 */
export const gatewayConfig = registerAs('gateway', () => loadConfigOrExit('gateway', gatewayConfigShape));
export type GatewayConfig = ConfigType<typeof gatewayConfig>;
