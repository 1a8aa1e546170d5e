/**
 * Faults on the cluster (issue "Faults on the cluster"): load through Traefik at a steady rate with
 * one Idempotency-Key per event, one fault per row, then exact counting in Valkey. Run by
 * `npm run test:k8s:faults` (tools/cluster/test-k8s.sh faults: the Kafka phase's deployment made
 * afresh, then the rows; it sets the environment, see cluster.ts); the
 * table goes to .cache/reports/test-k8s-faults/reliability.md, and into docs/reliability.md ("On
 * Kubernetes") only with OLEADA_WRITE_DOCS=1 from a whole run.
 * OLEADA_K8S_FAULT_RATE: new events per second in every row (default 100).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ClusterFaults, clusterEnv, Kubectl } from './cluster';

const run = promisify(execFile);
const suite = new ClusterFaults(clusterEnv());
const k = suite.kubectl;
const rate = Number(process.env.OLEADA_K8S_FAULT_RATE ?? 100);
const ROW_TIMEOUT = 900_000;
/** The HPA row's rate: load dropped so far that fewer gateways suffice, yet still flowing. */
const LIGHT_RATE = 10;
/**
 * OLEADA_K8S_FAULTS: `ci` (what .ci/run runs: rollouts, an image upgrade, the HPA scaling down, a
 * Kafka broker and the controller lost, the Valkey primary lost) or `all` (also the entry's
 * rollout, Kafka paused, an OOM kill, a NetworkPolicy cut, containerd and the kubelet restarted).
 */
const selection = process.env.OLEADA_K8S_FAULTS ?? 'ci';
if (selection !== 'ci' && selection !== 'all') throw new Error(`OLEADA_K8S_FAULTS=${selection}: use ci or all`);

/** A row of the table, run when the selection includes its set. */
function row(set: 'ci' | 'extra', name: string, fn: () => Promise<void>): void {
  if (set === 'ci' || selection === 'all') it(name, { timeout: ROW_TIMEOUT }, fn);
}
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

after(() => {
  const doc = suite.results.publish();
  process.stdout.write(`k8s faults: report in ${suite.results.reportFile}${doc ? `, and ${doc} rewritten` : ''}\n`);
});

/** The Kafka pods' names, by node id (the StatefulSet's ordinal). */
async function kafkaPods(): Promise<string[]> {
  const pods = await k.pods('app.kubernetes.io/name=kafka');
  assert.equal(pods.length, 3, `three Kafka pods running (${pods.join(', ')})`);
  return pods.sort();
}

/** The KRaft quorum's leader (the active controller), asked through the Admin API as the admin user. */
async function activeController(pods: readonly string[]): Promise<number> {
  const out = await k.run([
    'exec',
    pods[0],
    '-c',
    'kafka',
    '--',
    'java',
    '-Xmx96m',
    '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=error',
    '-cp',
    '/opt/kafka/libs/*:/opt/kafka/classes',
    'KafkaAdmin',
    'quorum',
    '/tmp/kafka/admin.properties',
  ]);
  const [leader] = out.trim().split(/\s+/);
  const id = Number(leader);
  assert.ok(Number.isInteger(id) && id >= 0, `the quorum names a leader (${out.trim()})`);
  return id;
}

/** Polls `condition` every 2 s until it holds; fails naming `what` after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await sleep(2000);
  }
}

async function firstContainer(pod: string): Promise<string> {
  return k.run(['get', 'pod', pod, '-o', 'jsonpath={.spec.containers[0].name}']);
}

async function restarts(pod: string): Promise<number> {
  return Number(await k.run(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']));
}

/** The memory cgroup (v1, the kubelet's cgroupfs driver) of a container: its limit file on the node. */
async function memoryLimitFile(id: string): Promise<string> {
  const { stdout } = await run('find', ['/sys/fs/cgroup/memory/kubepods', '-type', 'd', '-name', `*${id}*`]);
  const [dir] = stdout.split('\n').filter(Boolean);
  assert.ok(dir, `the memory cgroup of container ${id.slice(0, 12)} under /sys/fs/cgroup/memory/kubepods`);
  return `${dir}/memory.limit_in_bytes`;
}

/** Deletes a pod and waits until its controller's replacement (same name, new uid) is Ready. */
async function replacePod(pod: string, timeoutMs = 300_000): Promise<number> {
  const t0 = Date.now();
  const uid = await k.run(['get', 'pod', pod, '-o', 'jsonpath={.metadata.uid}']);
  await k.run(['delete', 'pod', pod, '--wait=false']);
  await waitFor(
    async () => {
      const state = await k.run(['get', 'pod', pod, '--ignore-not-found', '-o', 'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}']);
      const [newUid, ready] = state.trim().split(' ');
      return newUid !== undefined && newUid !== '' && newUid !== uid && ready === 'True';
    },
    timeoutMs,
    `${pod} replaced and Ready`,
  );
  return Math.round((Date.now() - t0) / 1000);
}

/** The containerd id of a pod's first container (the container the pause acts on). */
async function containerId(pod: string, container: string): Promise<string> {
  const id = await k.run(['get', 'pod', pod, '-o', `jsonpath={.status.containerStatuses[?(@.name=="${container}")].containerID}`]);
  assert.match(id, /^containerd:\/\/[0-9a-f]{64}$/, `${pod}'s ${container} container id`);
  return id.replace('containerd://', '');
}

/** containerd's own client on the node, in the CRI's namespace. */
async function ctr(...args: string[]): Promise<void> {
  const address = process.env.OLEADA_CONTAINERD_SOCK;
  assert.ok(address, 'OLEADA_CONTAINERD_SOCK is set by test-k8s.sh');
  await run('ctr', ['--address', address, '-n', 'k8s.io', ...args]);
}

describe('faults on the cluster, under load through Traefik', { concurrency: 1 }, () => {
  row('ci', 'every Deployment of the apps restarted (kubectl rollout restart), one after another', async () => {
    const deployments = await k.deployments();
    assert.ok(deployments.includes('gateway') && deployments.includes('consumer'), `the apps' Deployments (${deployments.join(', ')})`);
    await suite.row({
      id: '01-rollout-restart',
      fault: `\`kubectl rollout restart\` of every Deployment of the apps, one after another (${deployments.join(', ')})`,
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        const seconds: string[] = [];
        for (const d of deployments) {
          const t0 = Date.now();
          await k.run(['rollout', 'restart', `deploy/${d}`]);
          await k.rolloutStatus(`deploy/${d}`);
          seconds.push(`${d} ${Math.round((Date.now() - t0) / 1000)} s`);
        }
        return `rollouts: ${seconds.join(', ')}`;
      },
    });
  });

  row('extra', "the entry's own rollout (Traefik restarted)", async () => {
    const edge = new Kubectl(suite.env.kubectl, 'oleada-edge');
    await suite.row({
      id: '02-rollout-entry',
      fault: '`kubectl rollout restart` of the entry (Traefik, namespace oleada-edge)',
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        const t0 = Date.now();
        await edge.run(['rollout', 'restart', 'deploy/traefik']);
        await edge.rolloutStatus('deploy/traefik');
        return `rollout ${Math.round((Date.now() - t0) / 1000)} s`;
      },
    });
  });

  row('ci', 'a new image tag rolled out for gateway, relay, writers and consumer', async () => {
    const next = `${suite.env.tag}-upgrade`;
    // a new image of each app (the same build plus a label: another digest, another tag), pushed to the registry
    await run('bash', [suite.env.imagesScript, 'upgrade', suite.env.tag, next], { maxBuffer: 16 * 1024 * 1024 });
    const deployments = (await k.deployments()).filter((d) => /^(gateway|relay|writer-\d+|consumer)$/.test(d));
    await suite.row({
      id: '03-image-upgrade',
      fault: `a new image tag (\`${next}\`) set on ${deployments.join(', ')} one after another (\`kubectl set image\`)`,
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        for (const d of deployments) {
          const spec = await k.json<{ spec: { template: { spec: { containers: { name: string; image: string }[] } } } }>(['get', `deploy/${d}`]);
          const sets = spec.spec.template.spec.containers.map((c) => `${c.name}=${c.image.replace(/:[^:/]+$/, `:${next}`)}`);
          await k.run(['set', 'image', `deploy/${d}`, ...sets]);
          await k.rolloutStatus(`deploy/${d}`);
        }
      },
    });
  });

  row('ci', 'the gateway HPA scaling 3 → 1 with load still flowing', async () => {
    const hpa = await k.json<{ spec: { minReplicas?: number; behavior?: unknown } }>(['get', 'hpa/gateway']);
    const minReplicas = hpa.spec.minReplicas ?? 1;
    const patch = (body: unknown) => k.run(['patch', 'hpa/gateway', '--type=merge', '-p', JSON.stringify(body)]);
    const replicas = async () => (await k.pods('app.kubernetes.io/name=gateway')).length;
    // three gateways first (the HPA's floor raised), and no 5-minute stabilization window on the way down
    await patch({ spec: { minReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } });
    try {
      await waitFor(async () => (await replicas()) === 3, 240_000, 'three gateway pods running');
      await k.rolloutStatus('deploy/gateway');
      await suite.row({
        id: '04-hpa-scale-down',
        fault: `the gateway HPA scaling down from 3 (its floor lowered back to ${minReplicas}) after the load dropped to ${LIGHT_RATE} events/s, still flowing`,
        expect: 'no-failed-requests',
        // At the rows' rate the busy node kept three gateways above the HPA's CPU target: the load drops first.
        eventsPerSecond: LIGHT_RATE,
        action: async () => {
          const t0 = Date.now();
          await patch({ spec: { minReplicas } });
          let desired = 3;
          await waitFor(
            async () => {
              const status = (await k.json<{ status: { desiredReplicas?: number } }>(['get', 'hpa/gateway'])).status;
              desired = status.desiredReplicas ?? 3;
              return desired < 3 && (await replicas()) === desired;
            },
            300_000,
            'the HPA scaled the gateway down from 3',
          );
          return `3 → ${desired} gateways in ${Math.round((Date.now() - t0) / 1000)} s`;
        },
      });
    } finally {
      await patch({ spec: { minReplicas, behavior: hpa.spec.behavior ?? null } });
    }
  });

  row('ci', 'one Kafka broker deleted (of 3, not the active controller)', async () => {
    const pods = await kafkaPods();
    const leader = await activeController(pods);
    const victim = pods.find((p) => !p.endsWith(`-${leader}`)) as string;
    await suite.row({
      id: '05-kafka-broker',
      fault: `one Kafka broker pod deleted (${victim}; RF 3, min.insync.replicas 2)`,
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        const seconds = await replacePod(victim);
        return `back in ${seconds} s; active controller ${leader} kept`;
      },
    });
  });

  row('ci', 'the active KRaft controller deleted', async () => {
    const pods = await kafkaPods();
    const leader = await activeController(pods);
    const victim = pods.find((p) => p.endsWith(`-${leader}`));
    assert.ok(victim, `the leader ${leader} is one of ${pods.join(', ')}`);
    await suite.row({
      id: '06-kafka-controller',
      fault: `the active KRaft controller's pod deleted (${victim}, combined controller+broker)`,
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        const seconds = await replacePod(victim as string);
        return `back in ${seconds} s; controller ${leader} → ${await activeController(await kafkaPods())}`;
      },
    });
  });

  row('extra', 'every Kafka pod paused for 20 s (containerd task pause)', async () => {
    const pods = await kafkaPods();
    const ids = await Promise.all(pods.map((p) => containerId(p, 'kafka')));
    await suite.row({
      id: '07-kafka-all-paused',
      fault: `all three Kafka containers paused for 20 s (\`ctr task pause\`: frozen, as a stalled VM), then resumed`,
      expect: 'only-503-while-down',
      eventsPerSecond: rate,
      trailSeconds: 30,
      action: async () => {
        try {
          for (const id of ids) await ctr('task', 'pause', id);
          await sleep(20_000);
        } finally {
          for (const id of ids) await ctr('task', 'resume', id).catch(() => undefined);
        }
      },
    });
  });

  row('ci', 'the Valkey primary deleted', async () => {
    await suite.row({
      id: '08-valkey-primary',
      fault: 'the Valkey primary pod deleted (AOF on its volume; the consumer retries)',
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      trailSeconds: 20,
      action: async () => {
        const seconds = await replacePod('valkey-primary-0');
        // the replica's link to the new primary process is back up
        const deadline = Date.now() + 120_000;
        let link = '';
        while (Date.now() < deadline) {
          link = await suite.valkey.raw(['INFO replication'], 'valkey-replica-0').catch(() => '');
          if (/master_link_status:up/.test(link)) break;
          await sleep(2000);
        }
        assert.match(link, /master_link_status:up/, 'the replica resyncs with the new primary within 120 s');
        return `primary back in ${seconds} s; the replica resynced (master_link_status:up)`;
      },
    });
  });
  row('extra', 'a writer killed by the kernel for hitting its memory limit (OOM)', async () => {
    const [pod] = await k.pods('app.kubernetes.io/name=writer-1');
    assert.ok(pod, 'a writer-1 pod runs');
    const id = await containerId(pod, await firstContainer(pod));
    const restartsBefore = await restarts(pod);
    await suite.row({
      id: '09-oom',
      fault: `writer-1's memory limit lowered on the node to just above what it uses (its cgroup), so that the load makes the kernel OOM-kill it (${pod})`,
      expect: 'no-failed-requests',
      eventsPerSecond: rate,
      action: async () => {
        const limitFile = await memoryLimitFile(id);
        const usageFile = limitFile.replace(/limit_in_bytes$/, 'usage_in_bytes');
        // A v1 memory cgroup refuses a limit below what it uses (EBUSY) rather than kill: the limit
        // follows the usage from just above it until the writer's next allocation crosses it.
        let lowest = Number.POSITIVE_INFINITY;
        await waitFor(
          async () => {
            if ((await restarts(pod)) > restartsBefore) return true;
            const usage = Number((await readFile(usageFile, 'utf8').catch(() => '0')).trim());
            if (usage > 0) {
              lowest = Math.min(lowest, usage + 256 * 1024);
              await writeFile(limitFile, String(lowest)).catch(() => undefined);
            }
            return false;
          },
          180_000,
          `${pod} was OOM-killed and restarted`,
        );
        await k.rolloutStatus('deploy/writer-1');
        const reason = await k.run(['get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0].lastState.terminated.reason}']);
        assert.equal(reason, 'OOMKilled', `${pod}'s container ended OOMKilled (${reason})`);
        return `limit lowered to ${(lowest / 1048576).toFixed(1)} MiB; ${pod} OOMKilled and restarted by the kubelet`;
      },
    });
  });

  row('extra', 'a NetworkPolicy change that cuts the writers from Kafka for 20 s, then undone', async () => {
    const name = 'oleada-kafka-network-policy';
    const policy = await k.json<{ spec: { ingress: { from: { podSelector?: { matchLabels?: Record<string, string> } }[] }[] } }>(['get', 'networkpolicy', name]);
    const isWriter = (f: { podSelector?: { matchLabels?: Record<string, string> } }) => /^writer-/.test(f.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '');
    const cut = { ...policy.spec, ingress: policy.spec.ingress.map((rule) => ({ ...rule, from: rule.from.filter((f) => !isWriter(f)) })) };
    assert.ok(JSON.stringify(cut) !== JSON.stringify(policy.spec), `${name} lets the writers in`);
    const writerIps = (await k.json<{ items: { status: { podIP?: string }; metadata: { labels: Record<string, string> } }[] }>(['get', 'pods'])).items
      .filter((p) => /^writer-/.test(p.metadata.labels['app.kubernetes.io/name'] ?? ''))
      .flatMap((p) => (p.status.podIP ? [p.status.podIP] : []));
    await suite.row({
      id: '10-netpol-cut',
      fault: `the writers removed from ${name} for 20 s (their open connections to Kafka dropped from the node's connection tracking, so the cut applies to them too), then the policy restored`,
      expect: 'only-503-while-down',
      eventsPerSecond: rate,
      trailSeconds: 30,
      action: async () => {
        const patch = (spec: unknown) => k.run(['patch', 'networkpolicy', name, '--type=merge', '-p', JSON.stringify({ spec })]);
        try {
          await patch(cut);
          await sleep(2000);
          // kube-router accepts packets of tracked connections: forget the writers' ones (their pod IPs only)
          for (const ip of writerIps) await run('conntrack', ['-D', '-p', 'tcp', '-s', ip, '--dport', '9092']).catch(() => undefined);
          await sleep(18_000);
        } finally {
          await patch(policy.spec);
        }
        return `writers ${writerIps.join(', ')} cut`;
      },
    });
  });

  for (const component of ['containerd', 'kubelet'] as const) {
    row('extra', `${component} restarted on the node`, async () => {
      await suite.row({
        id: component === 'containerd' ? '11-containerd-restart' : '12-kubelet-restart',
        fault: `${component} stopped (SIGTERM) and started again on the node (\`cluster.sh restart ${component}\`); the pods' containers run on`,
        expect: 'no-failed-requests',
        eventsPerSecond: rate,
        action: async () => {
          const t0 = Date.now();
          await run('bash', [suite.env.clusterScript, 'restart', component], { maxBuffer: 16 * 1024 * 1024 });
          await waitFor(async () => (await k.run(['get', 'node', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}'])) === 'True', 120_000, 'the node Ready');
          return `back in ${Math.round((Date.now() - t0) / 1000)} s`;
        },
      });
    });
  }
});
