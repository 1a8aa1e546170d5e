import { scenariosVariable } from '@oleada/scenarios';
import { baseConfigShape, telemetryEnvShape, env } from '@oleada/shared';
import { z } from 'zod';

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

/** The relay's environment (apps/relay): every variable, its default and its meaning. */
export const relayConfigShape = {
  ...baseConfigShape,
  ...telemetryEnvShape,
  SCENARIOS: scenariosVariable(),
  WRITER_TARGETS: env
    .list()
    .describe('comma-separated gRPC targets: `dns:///writer-1-headless.oleada.svc.cluster.local:50051`, `ipv4:127.0.0.1:15051,127.0.0.1:15052`'),
  FANOUT_TARGETS: targetGroups().describe(
    'more writer groups, `;`-separated (each comma-separated like `WRITER_TARGETS`): every event also goes to one writer of each group, and is accepted only when every group acknowledged (e.g. RabbitMQ writers beside the Kafka writers of `WRITER_TARGETS`)',
  ),
  GRPC_DEADLINE_MS: env.positiveInt().default(3000).describe("deadline of an event's writer call, its retries on the other targets included"),
  MAX_IN_FLIGHT: env.positiveInt().default(2048).describe('events in flight before new ones get a fast `503`'),
  BATCH_MAX_EVENTS: env.positiveInt().default(1000).describe("most events in one batch request from a gateway (internal `…/events:batch`)"),
};
