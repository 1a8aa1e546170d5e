import { UUID_PATTERN } from '@oleada/shared';
import { opt, parseCli } from '../cli-args';
import { DEFAULT_JAEGER_PORT, jaegerPorts } from '../infra';
import { describeTrace, JaegerQuery } from '../trace/jaeger-query';

const { values: args, argument: eventId, fail } = parseCli({
  usage: 'npm run trace --',
  argument: 'EVENT_ID',
  summary: "Prints an event's trace from the trace store: every hop's span (gateway in → Valkey applied), with start offsets and durations.",
  options: {
    'jaeger-port': opt.port('the Jaeger `npm start -- --tracing` started (its first port; the query API is the next)', { default: DEFAULT_JAEGER_PORT }),
    'query-url': opt.string("Jaeger's query API base URL instead (e.g. a port-forwarded one)"),
  },
});

async function main(): Promise<void> {
  if (!UUID_PATTERN.test(eventId)) fail(`EVENT_ID must be a UUID (the \`id\` the gateway answered with), got "${eventId}"`);
  const query = new JaegerQuery(args['query-url'] ?? `http://127.0.0.1:${jaegerPorts(args['jaeger-port']).query}`);
  const traces = await query.tracesOfEvent(eventId);
  if (traces.length === 0) {
    process.stdout.write(`no trace of event ${eventId} in ${query.baseUrl} (not sampled, not yet exported, or older than the store keeps)\n`);
    process.exitCode = 1;
    return;
  }
  for (const trace of traces) {
    process.stdout.write(`event ${eventId}\n${describeTrace(trace, await query.linked(trace)).join('\n')}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[trace] ${(error as Error).message}\n`);
  process.exit(1);
});
