import { abSection } from '../ab/report';
import { timeSplitSection } from '../trace/report';
import type { EventLoopUsage, StackRunResult } from '../stack-run';
import { costByRole, generatorCpuMsPerEvent, stackCpuMsPerEvent } from './cost';
import { formatNumber, percentileCells, table } from './format';
import type { BenchReport } from './model';
import { changeOf, NOISE_SHARE } from './regression';
import { NODE_APPS } from '../measure/processes';
import { TARGETS } from './targets';

function statuses(run: StackRunResult): string {
  const other = Object.entries(run.load.statuses).filter(([s]) => s !== '202');
  const parts = other.map(([s, c]) => `${c}×${s}`);
  if (run.load.dropped) parts.push(`${run.load.dropped} not offered`);
  return parts.length ? parts.join(', ') : '—';
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'not measured' : met ? '**met**' : '**missed**';
}

function runTable(runs: readonly StackRunResult[], first: string, label: (r: StackRunResult) => string): string {
  return table(
    [first, 'accepted/s', 'counted/s (end to end)', 'p50 ms', 'p95 ms', 'p99 ms', 'max lag', 'accepted', 'counted', 'lost', 'duplicates', 'other answers', 'load avg (1 min) start → end'],
    runs.map((r) => [
      label(r),
      formatNumber(r.acceptedRate),
      formatNumber(r.endToEndRate),
      formatNumber(r.load.latency.p50, 1),
      formatNumber(r.load.latency.p95, 1),
      formatNumber(r.load.latency.p99, 1),
      formatNumber(r.lag.max),
      formatNumber(r.load.accepted),
      formatNumber(r.counted),
      String(r.lost),
      String(r.duplicates),
      statuses(r),
      r.loadAverage ? `${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}` : '—',
    ]),
    [false, true, true, true, true, true, true, true, true, true, true, false, true],
  );
}

function processTable(run: StackRunResult): string {
  const stack = run.processes.filter((p) => p.name !== 'load generator');
  return table(
    ['process', 'CPU % of one core', 'CPU ms per event', 'RSS peak MiB', 'RSS mean MiB', 'V8 heap used / reserved at end, MiB'],
    [
      ...run.processes.map((p) => {
        const heap = run.heaps?.[p.name];
        return [p.name, formatNumber(p.cpuPercent), formatNumber(p.cpuMsPerEvent, 3), formatNumber(p.rssMaxMiB), formatNumber(p.rssMeanMiB), heap ? `${formatNumber(heap.usedMiB)} / ${formatNumber(heap.totalMiB)}` : '—'];
      }),
      ['**stack (apps + broker + Valkey)**', formatNumber(stack.reduce((sum, p) => sum + p.cpuPercent, 0)), `**${formatNumber(stackCpuMsPerEvent(run), 3)}**`, '', '', ''],
    ],
    [false, true, true, true, true, true],
  );
}

/** Every measured run of the report, labelled, for the cost table. */
function costRuns(report: BenchReport): Array<{ label: string; run: StackRunResult }> {
  const runs: Array<{ label: string; run: StackRunResult }> = report.sweep.map((run) => ({ label: `${formatNumber(run.offeredRate)}/s offered`, run }));
  if (report.sustainedOffered) runs.push({ label: `sustained: ${report.sustainedOffered.label}`, run: report.sustainedOffered });
  if (report.sustained) runs.push({ label: `saturation: ${report.sustained.label}`, run: report.sustained });
  for (const run of report.writers) if (run !== report.sustained && !run.label.endsWith('(default)')) runs.push({ label: run.label, run });
  for (const run of report.brokers) runs.push({ label: `broker ${run.label}`, run });
  if (report.profileRun) runs.push({ label: `${report.profileRun.label} (profiler overhead included)`, run: report.profileRun });
  for (const run of report.direct ?? []) runs.push({ label: `direct: ${run.label}`, run });
  return runs;
}

/**
 * CPU milliseconds per counted event of each role and of the whole stack, per run: the figure that
 * does not depend on how much of the machine was free, and that the stack's ceiling follows from.
 */
export function costSection(report: BenchReport): string[] {
  const runs = costRuns(report);
  if (runs.length === 0) return [];
  const roles = [...new Set(runs.flatMap(({ run }) => [...costByRole(run.processes).keys()]))];
  const cores = report.machine.nproc;
  return [
    '## Cost per event',
    '',
    `CPU milliseconds per counted event (\`/proc/<pid>/stat\` CPU time over the run ÷ events counted in Valkey), per role (replicas summed) and for the whole stack: every app, the broker and Valkey, the load generator not included (shown apart). ` +
      `This is the figure to compare across machines and busy periods; the stack's ceiling on ${cores} free cores is ${cores} × 1000 ÷ it events/s.`,
    '',
    table(
      ['run', 'counted', ...roles.map((r) => `${r} ms`), '**stack ms**', `ceiling on ${cores} cores, events/s`, 'load generator ms', 'load avg (1 min) start → end'],
      runs.map(({ label, run }) => {
        const byRole = costByRole(run.processes);
        const total = stackCpuMsPerEvent(run);
        return [
          label,
          formatNumber(run.counted),
          ...roles.map((r) => formatNumber(byRole.get(r), 3)),
          `**${formatNumber(total, 3)}**`,
          total ? formatNumber((cores * 1000) / total) : '—',
          formatNumber(generatorCpuMsPerEvent(run), 3),
          run.loadAverage ? `${run.loadAverage[0].toFixed(1)} → ${run.loadAverage[1].toFixed(1)}` : '—',
        ];
      }),
      [false, true, ...roles.map(() => true), true, true, true, true],
    ),
    '',
  ];
}

/** This run's figures beside the previous results.json's, each change judged against the noise. */
export function regressionSection(report: BenchReport): string[] {
  const base = report.baseline;
  if (!base) return [];
  const rows = report.regression ?? [];
  const out = [
    '## Against the previous run',
    '',
    `Compared with the \`results.json\` written on ${base.generatedAt}${base.commit ? ` at ${base.commit}` : ''} by \`${base.command}\` (load average before it ${base.loadAverageBefore.map((v) => v.toFixed(2)).join(', ')}; ` +
      `this run: ${report.loadAverage.before.map((v) => v.toFixed(2)).join(', ')}). Changes under ${formatNumber(NOISE_SHARE * 100)} % are marked ≈ and not judged. ` +
      'Throughput and latency follow the CPU left free, and so does the saturation run\'s CPU-ms per event (its batches grow and shrink with its rate); the fixed-rate steps\' CPU-ms per event much less so.',
    '',
  ];
  if (rows.length === 0) out.push('The two runs measured no figure in common.');
  else
    out.push(
      table(
        ['figure', 'previous', 'this run', 'change'],
        rows.map((r) => [r.figure, formatNumber(r.previous, r.digits), formatNumber(r.current, r.digits), changeOf(r)]),
        [false, true, true, false],
      ),
    );
  out.push('');
  return out;
}

/** Facts the profile and the process figures support, stated without guessing beyond them. */
function profileVerdict(report: BenchReport): string[] {
  const lines: string[] = [];
  const run = report.sustained;
  if (run) {
    const total = run.processes.reduce((s, p) => s + p.cpuPercent, 0);
    const perEvent = stackCpuMsPerEvent(run) ?? Number.NaN;
    const capacity = report.machine.nproc * 100;
    const ranked = [...run.processes].sort((a, b) => (b.cpuMsPerEvent ?? 0) - (a.cpuMsPerEvent ?? 0));
    lines.push(
      `- At saturation the measured processes used **${formatNumber(total)} % CPU of the machine's ${capacity} %** ` +
        `(load average ${report.loadAverage.before.map((v) => v.toFixed(2)).join(', ')} before the run, ${report.loadAverage.after.map((v) => v.toFixed(2)).join(', ')} after; ` +
        `other work on the machine is included in the load average, not in the process figures).`,
    );
    lines.push(
      `- The chain costs **${formatNumber(perEvent, 2)} CPU-ms per event** summed over the apps, the broker and Valkey (the load generator adds ${formatNumber(generatorCpuMsPerEvent(run), 2)} ms), so ${report.machine.nproc} cores can carry at most ` +
        `≈ ${formatNumber((report.machine.nproc * 1000) / perEvent)} events/s even if nothing else ran.`,
    );
    lines.push(`- Heaviest per event: ${ranked.slice(0, 4).map((p) => `${p.name} ${formatNumber(p.cpuMsPerEvent, 2)} ms`).join(', ')}.`);
    const biggest = [...run.processes].filter((p) => NODE_APPS.test(p.name)).sort((a, b) => b.rssMaxMiB - a.rssMaxMiB)[0];
    const heap = biggest && run.heaps?.[biggest.name];
    if (biggest && heap) {
      lines.push(
        `- Memory: the largest Node app, ${biggest.name}, peaked at ${formatNumber(biggest.rssMaxMiB)} MiB RSS while its V8 heap held ${formatNumber(heap.usedMiB)} MiB of ${formatNumber(heap.totalMiB)} MiB reserved when the run ended. ` +
          `Every app ran with the old-space heap Kubernetes gives it (\`--max-old-space-size\` and \`--max-semi-space-size\` of APP_MEMORY, libs/shared/src/runtime.ts; \`NODE_OPTIONS\` in the charts); without it V8 sizes its heap from the machine's ${formatNumber(report.machine.memoryGiB)} GiB and collects late.`,
      );
    }
  }
  if (report.bare && run) {
    lines.push(
      `- A bare Node HTTP server answers ${formatNumber(report.bare.requestsPerSecond)} requests/s with the same generator and connections: Oleada's whole chain reaches ` +
        `${formatNumber((run.acceptedRate / report.bare.requestsPerSecond) * 100, 1)} % of that single hop.`,
    );
  }
  return lines;
}

/** The report, as docs/performance/README.md. */
/** The chain's order, for columns. */
const ROLES = ['gateway', 'relay', 'writer', 'consumer'];

/** Apps of a run grouped by role (writer-1, writer-2a → writer), the worst of each group, in the chain's order. */
function worstByRole(eventLoop: Readonly<Record<string, EventLoopUsage>>): Map<string, EventLoopUsage> {
  const roles = new Map<string, EventLoopUsage>();
  const roleOf = (app: string) => app.replace(/-\d+[a-z]?$/, '');
  const rank = (app: string) => (ROLES.includes(roleOf(app)) ? ROLES.indexOf(roleOf(app)) : ROLES.length);
  for (const [app, usage] of Object.entries(eventLoop).sort(([a], [b]) => rank(a) - rank(b))) {
    const role = roleOf(app);
    const worst = roles.get(role);
    if (!worst || usage.delayP99Ms > worst.delayP99Ms) roles.set(role, usage);
  }
  return roles;
}

function eventLoopTable(runs: readonly StackRunResult[]): string[] {
  const roles = [...new Set(runs.flatMap((r) => [...worstByRole(r.eventLoop ?? {}).keys()]))];
  return [
    "How late each app's event loop ran what was ready (prom-client's `nodejs_eventloop_lag_*` over the step, less its 10 ms sampling period): p99 / worst ms, and ms of garbage-collection pauses. " +
      'Delay is time that ready work (an answer that arrived, a timer) waited because the loop was busy with other callbacks, collecting garbage, or not given a CPU; of several replicas, the one with the highest p99.',
    '',
    table(
      ['offered/s', ...roles.map((r) => `${r}: delay p99 / max ms, GC ms`)],
      runs.map((r) => {
        const worst = worstByRole(r.eventLoop ?? {});
        return [formatNumber(r.offeredRate), ...roles.map((role) => {
          const u = worst.get(role);
          return u ? `${formatNumber(u.delayP99Ms, 1)} / ${formatNumber(u.delayMaxMs, 0)}, ${formatNumber(u.gcMs, 0)}` : '—';
        })];
      }),
      [true, ...roles.map(() => true)],
    ),
  ];
}

/** Title and provenance: the command, time, commit and kind of run that wrote the page. */
function headerLines(report: BenchReport): string[] {
  const out: string[] = [];
  out.push('# Oleada performance');
  out.push('');
  out.push(
    `Written by \`${report.command}\` on ${report.generatedAt}${report.commit ? ` at ${report.commit}` : ''} (${report.quick ? 'quick run' : 'full run'}, ${formatNumber(report.minutes, 1)} min, scenario \`${report.scenario}\`). ` +
      'Every figure below comes from that run; `npm run bench -- --write-docs` (a full run) regenerates this page, its charts and `results.json`.',
  );
  out.push('');
  return out;
}

/** The targets with this run's figures and verdicts, and the sections that failed. */
function targetsSection(report: BenchReport): string[] {
  const out: string[] = [];
  out.push('## Targets');
  out.push('');
  out.push(table(['target', 'measured', 'verdict'], report.targets.map((t) => [t.target, t.measured, verdict(t.met)])));
  out.push('');
  if (report.failures.length) {
    out.push('Sections that failed in this run:');
    out.push('');
    for (const f of report.failures) out.push(`- ${f.section}: \`${f.error.split('\n')[0]}\``);
    out.push('');
  }
  return out;
}

/** What the run costs per event, how it compares with the baseline, and the A/B comparison when there was one. */
function comparisonSections(report: BenchReport): string[] {
  const out: string[] = [];
  out.push(...costSection(report));
  out.push(...regressionSection(report));
  if (report.traces) out.push(...timeSplitSection(report.traces));
  if (report.ab) out.push(...abSection(report.ab));
  return out;
}

/** The machine and its load before and after. */
function machineSection(report: BenchReport): string[] {
  const out: string[] = [];
  const m = report.machine;
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.nproc} CPUs (\`nproc\`)`],
        ['memory', `${formatNumber(m.memoryGiB, 1)} GiB`],
        ['OS', m.os],
        ['Node.js', m.node],
        ['Java', m.java],
        ['Kafka', m.kafka],
        ['Valkey', m.valkey],
        ['load average (1, 5, 15 min) before', report.loadAverage.before.map((v) => v.toFixed(2)).join(', ')],
        ['load average (1, 5, 15 min) after', report.loadAverage.after.map((v) => v.toFixed(2)).join(', ')],
      ],
    ),
  );
  out.push('');
  out.push(
    'Everything runs on this one machine: the load generator, gateway, relay, three writer processes, the consumer, Kafka and Valkey share its CPUs. ' +
      'A load average above the CPU count means other work was competing for them; every table of runs shows the 1-minute load average when each run began and ended, ' +
        'so compare two rows only when those are close.',
  );
  out.push('');
  return out;
}

/** How each figure is measured. */
function methodSection(report: BenchReport): string[] {
  const out: string[] = [];
  out.push('## How it is measured');
  out.push('');
  out.push(
    [
      '- **Rate sweep**: an open-loop generator (undici, keep-alive) offers each rate for a fixed time; a request is due at n / rate seconds whether or not earlier ones were answered, and its latency counts from when it was due, so queueing is never hidden. ' +
        'When too many requests are outstanding a due request is not sent and is reported as "not offered".',
      `- **Sustained**: the same open-loop generator at \`--sustained-rate\` (${formatNumber(report.settings.sustainedRate ?? TARGETS.sustainedRate)}/s in this run; the target is ${formatNumber(TARGETS.sustainedRate)}/s) for the sustained window; the target is met only when every request due in the window was sent, accepted and counted exactly once.`,
      '- **Saturation**: autocannon, closed loop, a fixed number of connections each with one request in flight, for a fixed time: in rounds of a fixed number of requests, each round ending only once all of its requests were answered, so every request has a known outcome.',
      '- **End to end**: the scenario\'s total counter in Valkey is read before and after; "counted/s" is the events counted divided by the time from the first send until Valkey showed the last accepted one. ' +
        '`lost` = accepted − counted, `duplicates` = counted − accepted.',
      '- **Lag**: asked of the broker every second: Kafka, the consumer group\'s committed offsets against the partitions\' end offsets; RabbitMQ, the messages ready in the queue (those delivered but not yet acknowledged are not included).',
      '- **CPU and memory**: `/proc/<pid>/stat` and `/proc/<pid>/status` of every app, Kafka, Valkey and the generator, every 500 ms, from the first send until Valkey counted everything.',
      '- **Per-hop latency** in the stack comes from each app\'s own Prometheus histograms (`/metrics`), differenced before and after a run.',
      `- **Apps** run as \`npm start\` runs them (three writer processes, default configuration, each with the heap Kubernetes gives it: \`--max-old-space-size\` and \`--max-semi-space-size\` from APP_MEMORY in libs/shared/src/runtime.ts)${report.settings.nodeArgs ? `, and \`node ${report.settings.nodeArgs}\`` : ', and no other node flags'}.`,
    ].join('\n'),
  );
  out.push('');
  return out;
}

/** (a) Kafka under an offered-rate sweep: runs, where the time goes, event loops. */
function sweepSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## (a) Kafka under an offered-rate sweep');
  out.push('');
  if (has('sweep.svg')) out.push('![offered-rate sweep](sweep.svg)\n');
  if (report.sweep.length) {
    out.push(runTable(report.sweep, 'offered/s', (r) => formatNumber(r.offeredRate)));
    out.push('');
  }
  if (report.sweep.length) {
    const meanAndP99 = (h: { meanMs: number; p99Ms: number }) => `${formatNumber(h.meanMs, 1)} (${formatNumber(h.p99Ms, 0)})`;
    out.push("Where the time goes, from each app's own histograms: mean ms (p99 ms, interpolated within buckets) of each span, per offered rate.");
    out.push('');
    out.push(
      table(
        ['offered/s', 'gateway: request → chain answered', 'relay: gRPC call to a writer', 'writer: RPC → Kafka ack', 'writer: one produce request', 'consumer: one Valkey batch', 'REST hop ≈', 'gRPC hop ≈'],
        report.sweep.map((r) => {
          const h = r.hops;
          return [
            formatNumber(r.offeredRate),
            meanAndP99(h.gateway),
            meanAndP99(h.relayGrpc),
            meanAndP99(h.writerRpc),
            meanAndP99(h.produce),
            meanAndP99(h.valkeyApply),
            formatNumber(h.gateway.meanMs - h.relayGrpc.meanMs, 1),
            formatNumber(h.relayGrpc.meanMs - h.writerRpc.meanMs, 1),
          ];
        }),
        [true, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
    out.push(
      'The REST hop (gateway → relay, the relay\'s own work included) is the gateway\'s time minus the relay\'s gRPC call; the gRPC hop is the relay\'s call minus the writer\'s own time ' +
        '(differences of means). Beyond the stack\'s capacity they are mostly waiting: for a connection of the gateway\'s pool to the relay, and for the CPUs.',
    );
    out.push('');
    const fresh = [...report.sweep, ...(report.sustained ? [report.sustained] : [])].filter((r) => r.hops.freshness !== undefined && r.hops.freshness.count > 0);
    if (fresh.length) {
      out.push("Freshness: from the gateway accepting an event to Valkey applying it, per offered rate and at saturation (the consumer's `oleada_event_freshness_seconds`, interpolated within its buckets).");
      out.push('');
      out.push(table(['offered/s', 'events', 'p50 ms', 'p99 ms'], fresh.map((r) => [r.offeredRate === undefined ? `saturation (${r.connections} connections)` : formatNumber(r.offeredRate), formatNumber(r.hops.freshness!.count), formatNumber(r.hops.freshness!.p50Ms, 0), formatNumber(r.hops.freshness!.p99Ms, 0)]), [true, true, true, true]));
      out.push('');
    }
    const withLoops = report.sweep.filter((r) => r.eventLoop !== undefined);
    if (withLoops.length) out.push(...eventLoopTable(withLoops), '');
  }
  return out;
}

/** The sustained run, the saturation run and the single-hop bound beside it. */
function saturationSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  if (report.sustainedOffered) {
    const o = report.sustainedOffered;
    out.push(`### Sustained: ${formatNumber(o.offeredRate ?? 0)} events/s offered for ${formatNumber(report.settings.sustainedSeconds)} s`);
    out.push('');
    out.push('The sustained target, measured as it is stated: the open-loop generator offers the rate for the whole window, latency counted from when each request was due.');
    out.push('');
    out.push(runTable([o], 'run', (r) => r.label));
    out.push('');
  }
  if (report.sustained) {
    const s = report.sustained;
    out.push(`### Saturation and the single-hop upper bound`);
    out.push('');
    if (has('saturation.svg')) out.push('![saturation](saturation.svg)\n');
    out.push(runTable([s], 'run', (r) => r.label));
    out.push('');
    if (report.bare) {
      const b = report.bare;
      out.push(
        `A bare Node HTTP server (a handler that answers 202) on this machine, driven by the same autocannon settings (${b.connections} connections): ` +
          `**${formatNumber(b.requestsPerSecond)} requests/s**, p50 ${formatNumber(b.load.latency.p50, 1)} ms, p99 ${formatNumber(b.load.latency.p99, 1)} ms. ` +
          `Oleada's accepted rate is **${formatNumber((s.acceptedRate / b.requestsPerSecond) * 100, 1)} %** of it.`,
      );
      out.push('');
    }
    out.push('CPU and memory per process during the saturation run:');
    out.push('');
    out.push(processTable(s));
    out.push('');
    out.push(...memorySection(s));
  }
  return out;
}

/**
 * Where each app's resident memory was when the saturation load ended: /proc/<pid>/smaps split by
 * what backs each page, and V8's own account of its heap (prom-client) for the anonymous part.
 */
export function memorySection(run: StackRunResult): string[] {
  const apps = Object.entries(run.memory ?? {});
  if (apps.length === 0) return [];
  const rows = apps.map(([name, m]) => {
    const heap = run.heaps?.[name];
    const young = heap?.newSpaceMiB;
    const outside = heap ? m.anonymousMiB - heap.totalMiB : undefined;
    return [
      name,
      formatNumber(m.rssMiB),
      formatNumber(m.executableMiB),
      formatNumber(m.otherFilesMiB),
      formatNumber(m.anonymousMiB),
      young === undefined ? '—' : formatNumber(young),
      heap && young !== undefined ? formatNumber(heap.totalMiB - young) : '—',
      outside === undefined ? '—' : formatNumber(outside),
      heap?.externalMiB === undefined ? '—' : formatNumber(heap.externalMiB),
    ];
  });
  return [
    "Each app's resident memory as the saturation load ended, by what backs it (`/proc/<pid>/smaps`; V8's heap from the app's own metrics, read when the run ended):",
    '',
    table(
      ['app', 'RSS MiB', 'node executable (file, shared)', 'other files', 'anonymous', 'V8 young generation', 'V8 rest of heap', 'anonymous outside V8 heap', 'of it Buffers (external)'],
      rows,
      [false, true, true, true, true, true, true, true, true],
    ),
    '',
    "The executable's pages are those of the one `node` binary every app maps: the kernel keeps one copy, but each process's RSS counts it whole. " +
      "The young generation is what `--max-semi-space-size` allows (two semi-spaces once grown); outside V8's heap are malloc's arenas, thread stacks and the Buffers V8 objects hold.",
    '',
  ];
}

/** (b) Valkey with 0, 1 and 2 replicas. */
function valkeySection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## (b) Valkey with 0, 1 and 2 replicas');
  out.push('');
  if (has('valkey-replicas.svg')) out.push('![Valkey replicas](valkey-replicas.svg)\n');
  if (report.valkey.length) {
    out.push(
      'The real aggregation function (`applyBatch`: one `FCALL` per batch of prepared events, built from the scenario\'s sample data as the consumer builds them), ' +
        `batches of ${report.valkey[0].batchSize} events, ${report.valkey[0].concurrency} batches in flight, against a fresh primary with replicas attached by \`replicaof\`. ` +
        'Replication is asynchronous except in the `WAIT 1` row, where every batch also waits until one replica acknowledged it.',
    );
    out.push('');
    out.push(
      table(
        ['setup', 'events/s', 'batches', 'batch p50 ms', 'batch p95 ms', 'batch p99 ms', 'replica behind at end (bytes)', 'primary CPU ms per 1000 events'],
        report.valkey.map((r) => [
          r.label,
          formatNumber(r.eventsPerSecond),
          formatNumber(r.batches),
          ...percentileCells(r.batchLatency, 2),
          formatNumber(r.replicaLagBytes),
          formatNumber((r.processes.find((p) => p.name === 'valkey primary')?.cpuMsPerEvent ?? Number.NaN) * 1000, 1),
        ]),
        [false, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
  }
  return out;
}

/** (c) REST versus gRPC: each hop alone, and in the running stack. */
function transportSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## (c) REST versus gRPC');
  out.push('');
  if (has('rest-vs-grpc.svg')) out.push('![REST vs gRPC](rest-vs-grpc.svg)\n');
  if (report.hops.length) {
    out.push(
      'Each hop alone, with the same event: undici keep-alive pool → Fastify (the gateway → relay hop) against one grpc-js channel → grpc-js server with the scenario\'s service ' +
        '(the relay → writer hop). The servers only decode and answer, so what differs is the transport and its encoding. Both sides run as separate processes.',
    );
    out.push('');
    out.push(
      table(
        ['transport', 'in flight', 'requests/s', 'p50 ms', 'p95 ms', 'p99 ms', 'client CPU µs/req', 'server CPU µs/req', 'body bytes'],
        report.hops.map((r) => [
          r.transport,
          String(r.concurrency),
          formatNumber(r.requestsPerSecond),
          ...percentileCells(r.latency, 2),
          formatNumber(r.clientCpuUs),
          formatNumber(r.serverCpuUs),
          String(r.payloadBytes),
        ]),
        [false, true, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
  }
  const calm = report.sweep[0];
  if (calm) {
    const h = calm.hops;
    out.push(
      `In the running stack at ${formatNumber(calm.offeredRate)} events/s offered (the histogram table under (a)), the REST hop took ≈ ${formatNumber(h.gateway.meanMs - h.relayGrpc.meanMs, 2)} ms ` +
        `and the gRPC hop ≈ ${formatNumber(h.relayGrpc.meanMs - h.writerRpc.meanMs, 2)} ms on average, waiting for the shared CPUs included.`,
    );
    out.push('');
  }
  return out;
}

/** (d) One versus two writer processes. */
function writersSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## (d) One versus two writer processes');
  out.push('');
  if (has('writers.svg')) out.push('![writers](writers.svg)\n');
  if (report.writers.length) {
    out.push('The same saturation run with the relay sending to one, two, or (the default, the longer saturation run above) three writer processes.');
    out.push('');
    out.push(runTable(report.writers, 'writers', (r) => r.label));
    out.push('');
  }
  return out;
}

/** (e) Kafka versus RabbitMQ. */
function brokersSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## (e) Kafka versus RabbitMQ');
  out.push('');
  if (has('brokers.svg')) out.push('![brokers](brokers.svg)\n');
  if (report.brokers.length) {
    out.push(runTable(report.brokers, 'broker', (r) => r.label));
    out.push('');
  } else {
    const failed = report.failures.find((f) => f.section === 'brokers');
    out.push(`Pending: ${report.brokersPending ?? (failed ? `the comparison failed in this run: \`${failed.error.split('\n')[0]}\`` : 'not measured in this run')}`);
    out.push('');
  }
  return out;
}

/** Profile and verdict: the CPU profiles, their table and flame graphs. */
function profileSection(report: BenchReport, has: (file: string) => boolean): string[] {
  const out: string[] = [];
  out.push('## Profile and verdict');
  out.push('');
  out.push(...profileVerdict(report));
  out.push('');
  if (report.profile.length) {
    out.push(
      `CPU profiles (\`node --cpu-prof\`, passed to every app with \`OLEADA_NODE_ARGS\`) of a separate saturation run, counting only samples taken while load was applied. ` +
        'Share of each app\'s busy time by component:',
    );
    out.push('');
    out.push(
      table(
        ['app', 'busy CPU ms', 'top components', 'top functions (self time)'],
        report.profile.map((p) => [
          p.app,
          formatNumber(p.summary.busyMs),
          p.summary.components
            .slice(0, 5)
            .map((c) => `${c.name} ${formatNumber(c.share * 100)} %`)
            .join(', '),
          p.summary.functions
            .slice(0, 3)
            .map((f) => `\`${f.name}\` ${formatNumber(f.share * 100, 1)} %`)
            .join(', '),
        ]),
        [false, true, false, false],
      ),
    );
    out.push('');
    const drawn = report.profile.filter((p) => p.flameGraph && has(p.flameGraph));
    if (drawn.length) {
      out.push('### Flame graphs');
      out.push('');
      out.push(
        'One per app, drawn from its profile (the same samples as the table): each frame is as wide as the time spent in it and in what it called, callers below callees. ' +
          'Open an SVG on its own to read a frame\'s figures on hover. Under each, the frames with the most time in and below them.',
      );
      out.push('');
      for (const p of drawn) {
        out.push(`#### ${p.app}`);
        out.push('');
        out.push(`![flame graph of ${p.app}](${p.flameGraph})`);
        out.push('');
        if (p.widest?.length) {
          out.push(`Widest: ${p.widest.map((f) => `\`${f.name}\` ${formatNumber(f.share * 100, 1)} %`).join(', ')}.`);
          out.push('');
        }
      }
    }
  }
  return out;
}

/** The commands and options that make this page. */
function commandsSection(report: BenchReport): string[] {
  const out: string[] = [];
  out.push('## Commands');
  out.push('');
  out.push('```bash');
  out.push('npm run bench                   # every comparison, ~10 minutes; the report goes to .cache/reports/bench');
  out.push('npm run bench -- --quick        # shorter steps and fewer rates, ~2 minutes (.cache/reports/bench too)');
  out.push('npm run bench -- --write-docs   # a full run that also rewrites this page (docs/performance)');
  out.push(`${report.command}   # the command that wrote this page`);
  out.push('```');
  out.push('');
  out.push(
    'Options: `--rates 500,1000,1500` (offered rates of the sweep), `--connections 64` (saturation), `--scenario`, `--port-offset 3000` (app ports), ' +
      '`--kafka-port`/`--valkey-port` (servers to start or reuse; `KAFKA_BROKERS` and `VALKEY_URL` point it at running ones), `--out <dir>` (the report directory; `.cache/reports/bench` by default), `--write-docs` (refresh docs/performance too; full runs only), `--no-profile`, `--profile-dir <dir>` (keep the .cpuprofile files), ' +
      '`--only sweep,valkey,hops,writers,brokers,profile,bare`, `--baseline <results.json>` (compare with that run instead of the previous one in `--out`).',
  );
  out.push('');
  return out;
}

/** The report page (docs/performance/README.md): its sections in order, each a named step. */
export function renderMarkdown(report: BenchReport, charts: readonly string[]): string {
  const has = (file: string) => charts.includes(file);
  return [
    ...headerLines(report),
    ...targetsSection(report),
    ...comparisonSections(report),
    ...machineSection(report),
    ...methodSection(report),
    ...sweepSection(report, has),
    ...saturationSection(report, has),
    ...valkeySection(report, has),
    ...transportSection(report, has),
    ...writersSection(report, has),
    ...brokersSection(report, has),
    ...profileSection(report, has),
    ...commandsSection(report),
  ].join('\n');
}
