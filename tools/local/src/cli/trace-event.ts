import { canonicalRoute, getScenario, seededRandom } from '@oleada/scenarios';
import { opt, parseCli } from '../cli-args';
import { awaitEventTrace, hopsOf, sampledTraceparent } from '../trace/event-trace';
import { describeTrace, JaegerQuery } from '../trace/jaeger-query';

const { values: args, fail } = parseCli({
  usage: 'node tools/local/dist/cli/trace-event.js',
  summary:
    "Sends one event through an entry with a sampled W3C traceparent, then finds its trace in the trace store's query API and prints, per hop, the instances (pods) that made its spans (`hop <service> <instance,...>`) and the trace. Exits 1 when a hop has no span. test:k8s's tracing step (tools/cluster/lib/tracing.sh) runs it.",
  options: {
    'entry-url': opt.string('base URL the event is posted to (the gateway, or the entry in front of it)'),
    'query-url': opt.string("Jaeger's query API base URL (e.g. a port-forwarded one)"),
    scenario: opt.string('the scenario whose canonical route takes the event', { default: 'blackfriday' }),
    attempts: opt.int('polls of the store, one a second, before giving up', { default: 60, min: 1 }),
  },
});

async function main(): Promise<void> {
  const entryUrl = args['entry-url'] ?? fail('--entry-url is required');
  const query = new JaegerQuery(args['query-url'] ?? fail('--query-url is required'));
  const scenario = getScenario(args.scenario);
  const { traceId, traceparent } = sampledTraceparent();
  const response = await fetch(`${entryUrl}${canonicalRoute(scenario)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent },
    body: JSON.stringify(scenario.sample(seededRandom(Date.now() % 2 ** 31))),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string };
  if (response.status !== 202 || typeof body.id !== 'string') throw new Error(`the entry answered ${response.status} ${JSON.stringify(body).slice(0, 200)}, not 202 with the event's id`);
  const eventId = body.id;
  process.stdout.write(`event ${eventId} trace ${traceId}\n`);
  const { found, missing } = await awaitEventTrace(query, eventId, { traceId, attempts: args.attempts });
  if (found) {
    for (const [service, instances] of hopsOf(found)) process.stdout.write(`hop ${service} ${[...instances].sort().join(',')}\n`);
    process.stdout.write(`${describeTrace(found.trace, found.linked).join('\n')}\n`);
  }
  if (missing.length > 0) {
    process.stdout.write(`missing ${missing.join(' ')}: ${found ? 'no span of these hops' : 'no trace of the event'} in ${query.baseUrl} after ${args.attempts} polls\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[trace-event] ${(error as Error).message}\n`);
  process.exit(1);
});
