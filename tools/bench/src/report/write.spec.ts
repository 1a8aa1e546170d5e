import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheDir, EXIT_USAGE, reportPlace, repoRoot, treeState } from '@oleada/local';
import type { BenchReport } from './model';
import { BENCH_DOCS, baselineFile, checkWriteDocs, writeBenchReport } from './write';

const docs = join(repoRoot(), BENCH_DOCS);

function fixture(): BenchReport {
  return JSON.parse(readFileSync(join(repoRoot(), 'tools/bench/src/report/fixtures/results-2026-11-22.json'), 'utf8')) as BenchReport;
}

/** The bench command as `npm run bench` runs it (after the build), with `args`. */
function bench(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(repoRoot(), 'tools/bench/dist/cli/bench.js'), ...args], { cwd: repoRoot(), encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
}

describe('where the bench report goes', () => {
  it('to .cache/reports/bench or --out; docs/performance only with --write-docs (or --out naming it)', () => {
    assert.deepEqual(reportPlace('bench', BENCH_DOCS, { env: {} }), { dir: join(cacheDir(), 'reports', 'bench'), docsDir: docs, writeDocs: false });
    assert.deepEqual(reportPlace('bench', BENCH_DOCS, { out: '/tmp/b', env: {} }), { dir: '/tmp/b', docsDir: docs, writeDocs: false });
    assert.equal(reportPlace('bench', BENCH_DOCS, { writeDocs: true, env: {} }).writeDocs, true);
    assert.equal(reportPlace('bench', BENCH_DOCS, { out: BENCH_DOCS, env: {} }).writeDocs, true, '--out docs/performance is asking by name');
    assert.equal(reportPlace('bench', BENCH_DOCS, { env: { OLEADA_WRITE_DOCS: '1' } }).writeDocs, true, 'without the flag, the variable asks');
  });

  it('refuse --write-docs for a quick or --only run', () => {
    const asked = reportPlace('bench', BENCH_DOCS, { writeDocs: true, env: {} });
    assert.throws(() => checkWriteDocs(asked, { quick: true }), /from a full run only: drop --quick/);
    assert.throws(() => checkWriteDocs(asked, { quick: false, only: 'sweep' }), /drop --only/);
    checkWriteDocs(asked, { quick: false });
    checkWriteDocs(reportPlace('bench', BENCH_DOCS, { env: {} }), { quick: true, only: 'sweep' });
  });

  it("compare with --baseline, else the report directory's previous results, else the committed ones", () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-baseline-'));
    const place = reportPlace('bench', BENCH_DOCS, { out, env: {} });
    assert.equal(baselineFile(place), join(docs, 'results.json'), 'no previous run: the committed one');
    writeFileSync(join(out, 'results.json'), '{}');
    assert.equal(baselineFile(place), join(out, 'results.json'));
    assert.equal(baselineFile({ ...place, writeDocs: true }), join(docs, 'results.json'), 'refreshing the docs: the results it replaces');
    assert.equal(baselineFile(place, '/tmp/x.json'), '/tmp/x.json');
  });

  it('write the whole report to --out and change no tracked file', async () => {
    const before = treeState(BENCH_DOCS);
    const out = join(mkdtempSync(join(tmpdir(), 'bench-out-')), 'report');
    const written = await writeBenchReport(fixture(), reportPlace('bench', BENCH_DOCS, { out, env: {} }), new Map([['flame-gateway.svg', '<svg/>']]));
    assert.deepEqual(written, [join(out, 'README.md')]);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const file of ['results.json', 'flame-gateway.svg', 'sweep.svg', 'sweep.vl.json']) assert.ok(existsSync(join(out, file)), file);
    assert.match(readme, /\(sweep\.svg\)/, 'the page links its charts beside it');
    assert.equal(treeState(BENCH_DOCS), before, 'git status and docs/performance as they were');
  });

  it('write both copies when asked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bench-docs-'));
    mkdirSync(join(root, 'docs'));
    const written = await writeBenchReport(fixture(), { dir: join(root, 'out'), docsDir: join(root, 'docs'), writeDocs: true }, new Map());
    assert.deepEqual(written, [join(root, 'out', 'README.md'), join(root, 'docs', 'README.md')]);
    assert.equal(readFileSync(written[0], 'utf8'), readFileSync(written[1], 'utf8'));
  });

  it('the command refuses a partial run with --write-docs in one line, before starting anything, and changes nothing', () => {
    const before = treeState(BENCH_DOCS);
    // OLEADA_CLI_CHECK_ONLY: should the check let the line through, the command ends (status 0) before any server starts.
    const quick = bench(['--quick', '--write-docs'], { OLEADA_CLI_CHECK_ONLY: '1' });
    assert.equal(quick.status, EXIT_USAGE, quick.stderr);
    assert.equal(quick.stderr, 'npm run bench: --write-docs refreshes docs/performance from a full run only: drop --quick (or write this run\'s report with --out <dir>) (--help lists the options)\n');
    assert.equal(quick.stdout, '', 'no server started, nothing measured');
    const bad = bench(['--quick'], { OLEADA_WRITE_DOCS: 'yes', OLEADA_CLI_CHECK_ONLY: '1' });
    assert.equal(bad.status, EXIT_USAGE, bad.stderr);
    assert.match(bad.stderr, /^npm run bench: OLEADA_WRITE_DOCS=yes is invalid: use 1 \(refresh the committed docs\) or 0 \(--help lists the options\)\n$/);
    assert.equal(treeState(BENCH_DOCS), before);
  });
});
