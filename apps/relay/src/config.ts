import { registerAs, type ConfigType } from '@nestjs/config';
import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, env, loadConfigOrExit } from '@oleada/shared';
import { z } from 'zod';
import { telemetryEnvShape } from '@oleada/telemetry';

/** `a,b;c,d` → [[a, b], [c, d]]: groups of writer targets. */
const targetGroups = () =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(';')
            .map((group) => group.split(',').map((t) => t.trim()).filter(Boolean))
            .filter((group) => group.length > 0)
        : [],
    z.array(z.array(z.string().min(1)).min(1)),
  );

/** The relay's environment; see docs/architecture.md. */
export const relayConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  SCENARIOS: scenariosVariable(),
  WRITER_TARGETS: env.list(),
  /**
   * More writer groups, `;`-separated (each a comma-separated target list): every event also goes
   * to one writer of each, and is accepted only when all acknowledged (e.g. RabbitMQ writers beside
   * the Kafka writers of WRITER_TARGETS).
   */
  FANOUT_TARGETS: targetGroups(),
  GRPC_DEADLINE_MS: env.positiveInt().default(3000),
  MAX_IN_FLIGHT: env.positiveInt().default(2048),
  /** Most events in one batch request from a gateway. */
  BATCH_MAX_EVENTS: env.positiveInt().default(1000),
};

/**
 * The relay's configuration as a Nest config namespace: validated once at start-up (the process
 * stops naming every missing or bad variable), then injected with `@Inject(relayConfig.KEY)`.
 */
export const relayConfig = registerAs('relay', () => loadConfigOrExit('relay', relayConfigShape));
export type RelayConfig = ConfigType<typeof relayConfig>;
