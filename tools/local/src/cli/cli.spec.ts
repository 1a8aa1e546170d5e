import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { canonicalRoute, seededRandom, weatherScenario } from '@oleada/scenarios';
import { opt, parseCommandLine, UsageError } from '../cli-args';
import { probeKafkaProtocol, repoRoot, runDir } from '../infra';
import { waitFor } from '../load';
import { assertHelp, assertUsageError, runCli, testPortOffset, testRabbitMQ, testServers } from '../testing';

const START = 'tools/local/dist/cli/start.js';
const DEMO = 'tools/local/dist/cli/demo.js';
const INFRA = 'tools/local/dist/cli/infra.js';
const TRACE = 'tools/local/dist/cli/trace.js';

/** When a file was last written (undefined: it does not exist). */
const mtime = (file: string) => statSync(file, { throwIfNoEntry: false })?.mtimeMs;

describe('the shared command-line parser', () => {
  const spec = {
    usage: 'tool --',
    summary: 'a tool',
    options: { n: opt.int('a number', { default: 3, min: 1 }), mode: opt.choice('a mode', ['a', 'b'] as const, { default: 'a' }), tag: opt.list('tags'), quiet: opt.flag('less') },
  };

  it('gives typed values and defaults', () => {
    assert.deepEqual(parseCommandLine(spec, ['--n', '7', '--tag', 'x', '--tag=y', '--quiet'])?.values, { n: 7, mode: 'a', tag: ['x', 'y'], quiet: true });
    assert.deepEqual(parseCommandLine(spec, [])?.values, { n: 3, mode: 'a', tag: undefined, quiet: false });
    assert.equal(parseCommandLine(spec, ['--n', 'x', '-h']), undefined, '--help wins over everything else');
  });

  for (const [args, message] of [
    [['--n', 'abc'], '--n must be a whole number ≥ 1, got "abc"'],
    [['--n', '2.5'], '--n must be a whole number ≥ 1, got "2.5"'],
    [['--n', '0'], '--n must be a whole number ≥ 1, got "0"'],
    [['--n'], '--n needs a value (N)'],
    [['--n', '--quiet'], '--n needs a value (N); one starting with "-" is written --n=VALUE'],
    [['--mode', 'c'], '--mode must be a or b, got "c"'],
    [['--quiet=yes'], '--quiet takes no value, got "yes"'],
    [['--nope'], 'unknown option --nope'],
    [['-x'], 'unknown option -x'],
    [['extra'], 'unexpected argument "extra"'],
  ] as const) {
    it(`refuses ${args.join(' ')} in one line`, () => {
      assert.throws(() => parseCommandLine(spec, args), (error: unknown) => error instanceof UsageError && error.message === message);
    });
  }
});

describe('npm run trace explains itself', () => {
  it('--help; a missing or malformed event id is a usage error; a store that does not answer is named', () => {
    assertHelp(runCli(TRACE, ['--help']), ['--jaeger-port', '--query-url'], ['14318']);
    assertUsageError(runCli(TRACE, []), 'EVENT_ID is needed');
    assertUsageError(runCli(TRACE, ['not-a-uuid']), 'EVENT_ID must be a UUID');
    assertUsageError(runCli(TRACE, ['0190a000-0000-7000-8000-000000000000', 'more']), 'unexpected argument "more"');
    const down = runCli(TRACE, ['0190a000-0000-7000-8000-000000000000', '--jaeger-port', String(testPortOffset(18820))]);
    assert.equal(down.status, 1, down.stderr);
    assert.match(down.stderr, /cannot reach the trace store at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });
});

describe('npm start, npm run demo and npm run infra explain themselves', () => {
  it('--help lists every option with its default and exits 0', () => {
    assertHelp(runCli(START, ['--help']), ['--scenario', '--broker', '--kafka-port', '--valkey-port', '--rabbitmq-port', '--port-offset', '--host', '--tracing', '--jaeger-port'], ['kafka', '19092', '127.0.0.1', '14318']);
    assertHelp(runCli(DEMO, ['-h']), ['--scenario', '--broker', '--events', '--concurrency', '--seed', '--port-offset', '--host'], ['blackfriday', 'kafka', '10000', '64', '127.0.0.1']);
    assertHelp(runCli(INFRA, ['--help']), ['--fresh', '--all', '--kafka-port', '--controller-port', '--valkey-port', '--rabbitmq', '--rabbitmq-port'], ['19092', '16379']);
    assert.match(runCli(INFRA, ['--help']).stdout, /^ {2}status +what answers/m, 'the commands too');
  });

  it('refuses an unknown option or a bad value in one line with exit 64, before starting anything', () => {
    const png = join(repoRoot(), '.cache', 'dashboard', 'blackfriday.png');
    const pngBefore = mtime(png);
    // Ports of their own, so what the demo would start is seen: a record under .cache/run.
    const kafkaPort = testPortOffset(24152);
    assertUsageError(runCli(DEMO, ['--events', 'abc', '--kafka-port', String(kafkaPort)]), '--events');
    assertUsageError(runCli(DEMO, ['--help-me']), '--help-me');
    assertUsageError(runCli(DEMO, ['--broker', 'kafak', '--kafka-port', String(kafkaPort)]), '--broker');
    assertUsageError(runCli(START, ['--scenario', 'nope', '--kafka-port', String(kafkaPort)]), '--scenario');
    assertUsageError(runCli(START, ['--host', 'everywhere', '--kafka-port', String(kafkaPort)]), '--host');
    assertUsageError(runCli(START, ['--verbose']), '--verbose');
    assertUsageError(runCli(INFRA, ['status', '--kafka-port', '99999']), '--kafka-port');
    assertUsageError(runCli(INFRA, ['stat']), 'stat');
    assertUsageError(runCli(INFRA, []), 'command');
    assert.equal(mtime(png), pngBefore, 'the demo PNG is untouched');
    assert.equal(existsSync(runDir(`kafka-${kafkaPort}`)), false, 'no Kafka was started');
  });

  describe('tools/scripts/run-cli.sh (the npm scripts) with a built CLI', () => {
    // A CLI of the shared parser that records each run that got past it, in a project of its own that
    // tsc built after its last change (its build info newer than its sources).
    const dir = mkdtempSync(join(tmpdir(), 'oleada-cli-'));
    const ran = join(dir, 'ran');
    const cli = join(dir, 'dist', 'cli.mjs');
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'tsconfig.tsbuildinfo'), '{}');
    writeFileSync(
      cli,
      `import { appendFileSync } from 'node:fs';
import { opt, parseCli } from ${JSON.stringify(join(repoRoot(), 'tools/local/dist/index.js'))};
parseCli({ usage: 'fake --', summary: 'records its runs', options: { n: opt.int('a number', { default: 1 }) } });
appendFileSync(${JSON.stringify(ran)}, 'ran\\n');
`,
    );
    after(() => rmSync(dir, { recursive: true, force: true }));
    // The parser's project built after its sources, as `npm run build` leaves it (a no-op then; after
    // a checkout that only touched the sources, tsc records that they are unchanged).
    before(() => {
      const tsc = spawnSync(process.execPath, [join(repoRoot(), 'node_modules/typescript/bin/tsc'), '-b', 'tools/local'], { cwd: repoRoot(), encoding: 'utf8' });
      assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    });
    const runScript = (args: string[]) => spawnSync('bash', [join(repoRoot(), 'tools/scripts/run-cli.sh'), cli, ...args], { cwd: repoRoot(), encoding: 'utf8' });
    const buildLog = join(repoRoot(), '.cache', 'build.log');

    it('answers --help and refuses a bad line without setup or build', () => {
      const before = mtime(buildLog);
      const help = runScript(['--help']);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: fake -- \[options\]/);
      assertUsageError(runScript(['--n', 'abc']), '--n');
      assert.equal(mtime(buildLog), before, 'no build ran');
      assert.equal(existsSync(ran), false, 'the CLI itself never ran past its parser');
    });
  });
});

describe('npm start --broker rabbitmq', () => {
  it('starts no Kafka: RabbitMQ and Valkey carry the events', async () => {
    // The test servers' Valkey and RabbitMQ are reused (start never stops what it reused); Kafka
    // would be started on a port of its own, where nothing may answer afterwards.
    const { valkeyUrl } = testServers();
    const rabbitPort = new URL(testRabbitMQ().RABBITMQ_URL).port;
    const kafkaPort = testPortOffset(24142);
    assert.equal((await probeKafkaProtocol(kafkaPort)).state, 'closed', `port ${kafkaPort} is free before the test`);
    const offset = testPortOffset(750);
    const args = ['--broker', 'rabbitmq', '--scenario', 'weather', '--kafka-port', String(kafkaPort), '--valkey-port', new URL(valkeyUrl).port, '--rabbitmq-port', rabbitPort, '--port-offset', String(offset)];
    const child = spawn(process.execPath, [join(repoRoot(), START), ...args], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => output.includes('Ctrl-C stops everything') || child.exitCode !== null, 300_000, 'npm start ready');
      assert.match(output, /events through rabbitmq/, output);
      assert.doesNotMatch(output, /Kafka/, 'no Kafka named');
      assert.equal((await probeKafkaProtocol(kafkaPort)).state, 'closed', 'nothing listens on the Kafka port');
      assert.equal(existsSync(runDir(`kafka-${kafkaPort}`)), false, 'no Kafka recorded under .cache/run');
      const answer = await fetch(`http://127.0.0.1:${18080 + offset}${canonicalRoute(weatherScenario)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(weatherScenario.sample(seededRandom(1))),
      });
      assert.equal(answer.status, 202, `${answer.status} ${await answer.text()}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
  });
});
