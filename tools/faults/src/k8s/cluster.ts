import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { reportPlace, totalMetric } from '@oleada/local';
import { canonicalRoute, getScenario, type AnyScenario } from '@oleada/scenarios';
import { uuidv5 } from '@oleada/shared';
import { ScenarioKeys } from '@oleada/valkey-schema';
import { sampleEvent } from '../harness';
import { runLoad, summarize, type LoadReport } from '../load-client';
import { ResultsBook, type FaultRow, type ResultsSection } from '../results';

const run = promisify(execFile);

/** The cluster suite's tables in docs/reliability.md, beside the local suite's. */
export const K8S_RESULTS: ResultsSection = {
  begin: '<!-- reliability-k8s:begin (written by tools/faults/src/k8s; do not edit by hand) -->',
  end: '<!-- reliability-k8s:end -->',
  heading: '## On Kubernetes',
  json: 'results-k8s.json',
};

/** What test-k8s.sh hands the suite: the cluster it built and the entry in front of the apps. */
export interface ClusterEnv {
  readonly kubectl: string;
  readonly namespace: string;
  /** Traefik on 127.0.0.1 (its NodePort). */
  readonly entryUrl: string;
  readonly scenario: AnyScenario;
  /** tools/cluster/images.sh, for the image-upgrade row. */
  readonly imagesScript: string;
  /** tools/cluster/cluster.sh, for the node rows (containerd, kubelet restarted). */
  readonly clusterScript: string;
  /** The apps' image tag applied, and the registry. */
  readonly tag: string;
}

function need(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the cluster fault suite runs from tools/cluster/test-k8s.sh (npm run test:k8s), which builds the cluster it needs`);
  return value;
}

export function clusterEnv(env: NodeJS.ProcessEnv = process.env): ClusterEnv {
  need(env, 'KUBECONFIG');
  return {
    kubectl: need(env, 'OLEADA_KUBECTL'),
    namespace: env.OLEADA_K8S_NAMESPACE ?? 'oleada',
    entryUrl: need(env, 'OLEADA_ENTRY_URL'),
    scenario: getScenario(env.OLEADA_SCENARIO ?? 'blackfriday'),
    imagesScript: need(env, 'OLEADA_IMAGES_SCRIPT'),
    clusterScript: need(env, 'OLEADA_CLUSTER_SCRIPT'),
    tag: need(env, 'OLEADA_APP_TAG'),
  };
}

/** kubectl of the test cluster, in the apps' namespace unless told otherwise. */
export class Kubectl {
  constructor(
    private readonly bin: string,
    readonly namespace: string,
  ) {}

  async run(args: readonly string[], input?: string): Promise<string> {
    if (input === undefined) {
      const { stdout } = await run(this.bin, ['-n', this.namespace, ...args], { maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    }
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, ['-n', this.namespace, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
      child.stdin.end(input);
    });
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as T;
  }

  /** Names of the Deployments of the namespace. */
  async deployments(): Promise<string[]> {
    const list = await this.json<{ items: { metadata: { name: string } }[] }>(['get', 'deploy']);
    return list.items.map((d) => d.metadata.name).sort();
  }

  /** Waits until the workload's rollout is complete (every replica updated and available). */
  async rolloutStatus(workload: string, timeoutSeconds = 300): Promise<void> {
    await this.run(['rollout', 'status', workload, `--timeout=${timeoutSeconds}s`]);
  }

  /** Names of the running pods matching a label selector. */
  async pods(selector: string): Promise<string[]> {
    const list = await this.json<{ items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] }>(['get', 'pods', '-l', selector]);
    return list.items.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
  }
}

/**
 * Reads of the Valkey primary as the consumer user (it may read `oleada:*`), through `kubectl
 * exec` and the pod's own valkey-cli: the password travels on stdin, never on a command line.
 */
export class ClusterValkey {
  constructor(private readonly kubectl: Kubectl) {}

  private async password(): Promise<string> {
    const b64 = await this.kubectl.run(['get', 'secret', 'valkey-auth', '-o', 'jsonpath={.data.consumer-password}']);
    return Buffer.from(b64, 'base64').toString('utf8');
  }

  /** valkey-cli's raw output for commands sent on stdin to `pod`. */
  async raw(commands: readonly string[], pod = 'valkey-primary-0'): Promise<string> {
    const input = `${await this.password()}\n${commands.join('\n')}\n`;
    return this.kubectl.run(['exec', '-i', pod, '-c', 'valkey', '--', 'sh', '-c', 'read -r p; REDISCLI_AUTH="$p" exec valkey-cli --no-auth-warning --user consumer'], input);
  }

  /** Runs commands with one-line answers (keys are plain: no quoting needed); one answer per command. */
  async commands(commands: readonly string[]): Promise<string[]> {
    const out = await this.raw(commands);
    const answers = out.replace(/\r/g, '').split('\n');
    if (answers.at(-1) === '') answers.pop();
    if (answers.length !== commands.length) throw new Error(`valkey-cli answered ${answers.length} lines to ${commands.length} commands: ${out.slice(0, 300)}`);
    return answers;
  }

  async counter(key: string): Promise<number> {
    const [value] = await this.commands([`GET ${key}`]);
    return value === '' ? 0 : Number(value);
  }

  /** How many of `keys` do not exist. */
  async missing(keys: readonly string[]): Promise<number> {
    let missing = 0;
    for (let i = 0; i < keys.length; i += 2000) {
      const answers = await this.commands(keys.slice(i, i + 2000).map((key) => `EXISTS ${key}`));
      missing += answers.filter((a) => a !== '1').length;
    }
    return missing;
  }
}

/** What a row must show, besides nothing lost and nothing twice. */
export type RowExpectation = 'no-failed-requests' | 'only-503-while-down';

export interface RowOptions {
  /** Stable id (the table's order). */
  readonly id: string;
  /** The fault, as the table names it. */
  readonly fault: string;
  readonly expect: RowExpectation;
  /** New events per second while the row runs. */
  readonly eventsPerSecond: number;
  /** Seconds of load before the fault. */
  readonly leadSeconds?: number;
  /** Seconds of load after the fault's action returned. */
  readonly trailSeconds?: number;
  /** Breaks something; resolves when the fault is over (e.g. the rollout is complete). Returns notes. */
  readonly action: () => Promise<string | void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The cluster under fault: load through the entry (the faults harness's client, one
 * Idempotency-Key per event, retries on 503/429/5xx and failed connections), one fault per row,
 * then the exact accounting in Valkey — and what the pods and Kubernetes warned about meanwhile.
 */
export class ClusterFaults {
  readonly kubectl: Kubectl;
  readonly valkey: ClusterValkey;
  readonly keys: ScenarioKeys;
  readonly results = new ResultsBook(
    reportPlace('test-k8s-faults', 'docs'),
    `the local single-node cluster (tools/cluster), ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(1)} at start), load through Traefik`,
    K8S_RESULTS,
  );
  readonly runId = Date.now().toString(36);

  constructor(readonly env: ClusterEnv) {
    this.kubectl = new Kubectl(env.kubectl, env.namespace);
    this.valkey = new ClusterValkey(this.kubectl);
    this.keys = new ScenarioKeys(env.scenario.name);
  }

  total(): Promise<number> {
    return this.valkey.counter(this.keys.metric(totalMetric(this.env.scenario)));
  }

  /** Runs one row: load, the fault at `leadSeconds`, load until `trailSeconds` after it, then the accounting. */
  async row(options: RowOptions): Promise<FaultRow> {
    const { id, fault, expect, eventsPerSecond } = options;
    const baseline = await this.total();
    const since = new Date();
    const stop = new AbortController();
    const load = runLoad({
      baseUrl: this.env.entryUrl,
      path: canonicalRoute(this.env.scenario),
      events: Number.MAX_SAFE_INTEGER,
      eventsPerSecond,
      stop: stop.signal,
      body: (i) => sampleEvent(this.env.scenario, i),
      key: (i) => `k8s-${this.runId}-${id}-${i}`,
      maxOutstanding: 64,
      giveUpAfterMs: 180_000,
    });
    const loadStarted = performance.now();
    let faultAt = 0;
    let faultOver = 0;
    let actionNotes = '';
    let actionError: unknown;
    try {
      await sleep((options.leadSeconds ?? 10) * 1000);
      faultAt = performance.now();
      actionNotes = (await options.action()) ?? '';
      faultOver = performance.now();
      await sleep((options.trailSeconds ?? 15) * 1000);
    } catch (error) {
      actionError = error;
    } finally {
      stop.abort();
    }
    const report = await load;
    if (actionError) throw actionError;
    return this.account({ id, fault, expect, report, baseline, since, faultAt, faultOver, loadStarted, eventsPerSecond, actionNotes });
  }

  private async account(a: {
    id: string;
    fault: string;
    expect: RowExpectation;
    report: LoadReport;
    baseline: number;
    since: Date;
    faultAt: number;
    faultOver: number;
    loadStarted: number;
    eventsPerSecond: number;
    actionNotes: string;
  }): Promise<FaultRow> {
    const s = summarize(a.report);
    const counted = await this.waitCounted(a.baseline, s.accepted);
    const missingIds = await this.valkey.missing(s.acceptedIds.map((eventId) => this.keys.seen(eventId)));
    const wrongIds = a.report.events.filter((e) => e.id !== undefined && e.id !== uuidv5(`${this.env.scenario.name}:${e.key}`)).length;
    const failed = a.report.attempts.filter((x) => x.status !== 202);
    const byStatus = Object.entries(s.byStatus)
      .filter(([status]) => status !== '202')
      .map(([status, n]) => `${n}× ${status === '0' ? 'no answer' : status}`)
      .join(', ');
    const failedOutsideOutage = failed.filter((x) => x.status !== 503 || x.answeredAt < a.faultAt || x.answeredAt > a.faultOver + 30_000).length;
    const recovery = recoverySeconds(a.report, a.faultAt, a.eventsPerSecond);
    const warnings = await this.warnings(a.since);
    const duration = (a.report.endedAt - a.loadStarted) / 1000;
    const notes = [
      a.actionNotes,
      `${duration.toFixed(0)} s of load at ${a.eventsPerSecond} events/s; fault at ${((a.faultAt - a.loadStarted) / 1000).toFixed(0)} s, over ${((a.faultOver - a.faultAt) / 1000).toFixed(1)} s later`,
      failed.length ? `non-2xx: ${byStatus}` : '0 failed requests',
      recovery === undefined ? 'the rate never dipped' : `rate back ${recovery.toFixed(1)} s after the fault`,
      missingIds > 0 ? `${missingIds} accepted ids without a dedup marker` : '',
      s.gaveUp + s.rejected > 0 ? `${s.gaveUp} given up, ${s.rejected} rejected` : '',
      warnings,
    ]
      .filter(Boolean)
      .join('; ');
    const exact = s.sent === s.accepted && counted === s.accepted && missingIds === 0 && wrongIds === 0 && s.idConflicts === 0;
    const shown = a.expect === 'no-failed-requests' ? failed.length === 0 : failedOutsideOutage === 0;
    const row: FaultRow = {
      id: a.id,
      fault: a.fault,
      sent: s.sent,
      accepted: s.accepted,
      counted,
      lost: s.accepted - counted,
      duplicated: counted - s.accepted,
      requests: s.requests,
      status503: s.status503,
      otherServerErrors: s.otherServerErrors + s.connectionErrors,
      notes,
      passed: exact && shown,
    };
    this.results.fault(row);
    assert.equal(s.gaveUp, 0, `${s.gaveUp} events were never accepted: ${byStatus}`);
    assert.equal(s.rejected, 0, `${s.rejected} valid events were rejected: ${byStatus}`);
    assert.equal(wrongIds, 0, 'every 202 carries the id derived from its Idempotency-Key');
    assert.equal(row.lost, 0, `lost: accepted ${s.accepted}, counted ${counted}`);
    assert.equal(row.duplicated, 0, `duplicated: accepted ${s.accepted}, counted ${counted}`);
    assert.equal(missingIds, 0, 'every accepted id has its dedup marker in Valkey');
    if (a.expect === 'no-failed-requests') assert.equal(failed.length, 0, `this fault must cost no failed request: ${byStatus}`);
    else assert.equal(failedOutsideOutage, 0, `only 503s, and only while the fault lasts: ${byStatus}`);
    return row;
  }

  /** Waits until Valkey counted `accepted` more than `baseline`, then a little longer for late duplicates. */
  private async waitCounted(baseline: number, accepted: number): Promise<number> {
    const deadline = Date.now() + 180_000;
    let counted = (await this.total()) - baseline;
    while (counted < accepted && Date.now() < deadline) {
      await sleep(2000);
      counted = (await this.total()) - baseline;
    }
    await sleep(5000);
    return (await this.total()) - baseline;
  }

  /**
   * The Warning events of the namespace since the row began, and the apps' warn/error log lines
   * of the pods alive now (a deleted pod's log went with it), by reason or message.
   */
  private async warnings(since: Date): Promise<string> {
    const events = await this.kubectl.json<{ items: { type: string; reason: string; involvedObject: { name: string }; lastTimestamp?: string; eventTime?: string; count?: number }[] }>([
      'get',
      'events',
      '--field-selector',
      'type=Warning',
    ]);
    const byReason = new Map<string, number>();
    for (const e of events.items) {
      const at = new Date(e.lastTimestamp ?? e.eventTime ?? 0);
      if (at < since) continue;
      const key = `${e.reason} ${e.involvedObject.name.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$|-[a-z0-9]{5}$/, '')}`;
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    }
    const logs = new Map<string, number>();
    const pods = await this.kubectl.pods('app.kubernetes.io/part-of=oleada');
    const sinceSeconds = Math.ceil((Date.now() - since.getTime()) / 1000) + 5;
    // read four at a time (a kubectl each, ~15 pods), then counted in the pods' order
    const texts = await mapLimit(pods, 4, (pod) =>
      this.kubectl.run(['logs', pod, '--all-containers', `--since=${sinceSeconds}s`]).catch(() => ''), // a pod just replaced: nothing to read
    );
    for (const [i, pod] of pods.entries()) {
      for (const line of texts[i].split('\n')) {
        const brace = line.indexOf('{');
        if (brace < 0) continue;
        try {
          const entry = JSON.parse(line.slice(brace)) as { level?: string | number; msg?: string; service?: string };
          const level = entry.level;
          if (level !== 'warn' && level !== 'error' && level !== 'fatal' && !(typeof level === 'number' && level >= 40)) continue;
          const key = `${entry.service ?? pod.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '')}: ${(entry.msg ?? '').slice(0, 80)}`;
          logs.set(key, (logs.get(key) ?? 0) + 1);
        } catch {
          // not a JSON line
        }
      }
    }
    const top = (m: Map<string, number>) =>
      [...m.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 4)
        .map(([k, n]) => `${n}× ${k}`)
        .join(', ');
    return [byReason.size ? `Kubernetes warnings: ${top(byReason)}` : 'no Kubernetes warning', logs.size ? `app warnings: ${top(logs)}` : 'no app warning'].join('; ');
  }
}

/** `fn` over `items`, at most `limit` at a time; the results in the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Seconds from the fault until the accepted rate was back: the start of the first 1-s window after
 * the fault from which on three windows in a row answered at least 90 % of the offered rate with
 * 202 and nothing else; undefined when no window after the fault fell short.
 */
export function recoverySeconds(report: LoadReport, faultAt: number, eventsPerSecond: number): number | undefined {
  const windows = new Map<number, { ok: number; bad: number }>();
  for (const a of report.attempts) {
    if (a.answeredAt < faultAt) continue;
    const w = Math.floor((a.answeredAt - faultAt) / 1000);
    const slot = windows.get(w) ?? { ok: 0, bad: 0 };
    if (a.status === 202) slot.ok++;
    else slot.bad++;
    windows.set(w, slot);
  }
  const last = Math.max(-1, ...windows.keys());
  const good = (w: number) => {
    const slot = windows.get(w);
    return slot !== undefined && slot.bad === 0 && slot.ok >= 0.9 * eventsPerSecond;
  };
  let dipped = false;
  // the last window is partial (the load stopped within it)
  for (let w = 0; w < last - 2; w++) {
    if (good(w) && good(w + 1) && good(w + 2)) return dipped ? w : undefined;
    dipped = true;
  }
  return dipped ? last : undefined;
}
