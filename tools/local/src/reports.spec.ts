import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './infra/paths';
import { reportPlace, writeReportFile } from './reports';
import { treeState } from './testing';

/** A test-k8s.sh output directory with what write-report.sh reads (no cluster needed). */
function fakeRun(): string {
  const out = mkdtempSync(join(tmpdir(), 'test-k8s-run-'));
  writeFileSync(join(out, 'results.env'), 'TAG=abc123def456\nCLUSTER_UP_SECONDS=40\nIMAGES_SECONDS=20\nTOTAL_SECONDS=400\nDRY_RUN_SECONDS=30\n');
  writeFileSync(join(out, 'checks.md'), '| check | result |\n|---|---|\n| every rollout complete | pass |\n');
  return out;
}

/** tools/cluster/write-report.sh from `root` (the repository, or a copy), with `env`. */
function writeReport(root: string, out: string, env: NodeJS.ProcessEnv) {
  const clean = { ...process.env };
  delete clean.OLEADA_WRITE_DOCS;
  delete clean.OLEADA_REPORT_DIR;
  return spawnSync('bash', [join(root, 'tools/cluster/write-report.sh'), out], { encoding: 'utf8', env: { ...clean, OLEADA_CLUSTER_CACHE: join(out, 'no-cache'), ...env } });
}

describe('reports: a run writes its own, the committed docs only when asked', () => {
  it('writeReportFile writes the report directory, and the docs only when asked (once when they are the same)', () => {
    const root = mkdtempSync(join(tmpdir(), 'reports-'));
    const place = { dir: join(root, 'out'), docsDir: join(root, 'docs'), writeDocs: false };
    assert.deepEqual(writeReportFile(place, 'a/b.md', 'x'), [join(root, 'out/a/b.md')]);
    assert.deepEqual(writeReportFile({ ...place, writeDocs: true }, 'b.md', 'y'), [join(root, 'out/b.md'), join(root, 'docs/b.md')]);
    assert.deepEqual(writeReportFile({ ...place, dir: place.docsDir, writeDocs: true }, 'c.md', 'z'), [join(root, 'docs/c.md')]);
    assert.equal(readFileSync(join(root, 'docs/b.md'), 'utf8'), 'y');
    assert.equal(reportPlace('x', 'docs', { out: 'rel/dir', env: {} }).dir, join(repoRoot(), 'rel/dir'), 'a relative --out is from the repository root');
  });

  it('test:k8s (write-report.sh) writes .cache/reports/test-k8s or OLEADA_REPORT_DIR and leaves docs/deploy/local.md alone', () => {
    const before = treeState('docs/deploy');
    const run = fakeRun();
    const report = mkdtempSync(join(tmpdir(), 'test-k8s-report-'));
    const result = writeReport(repoRoot(), run, { OLEADA_REPORT_DIR: report });
    assert.equal(result.status, 0, result.stderr);
    const doc = readFileSync(join(report, 'local.md'), 'utf8');
    assert.match(doc, /^# Oleada on a real single-node Kubernetes on this machine\n/);
    assert.match(doc, /Images: tag `abc123def456`/);
    assert.match(doc, /\| every rollout complete \| pass \|/);
    assert.match(result.stderr, new RegExp(`report: ${report}/local\\.md`));
    assert.doesNotMatch(result.stderr, /rewrote/);
    assert.equal(treeState('docs/deploy'), before, 'git status and docs/deploy as they were');
  });

  it('write-report.sh rewrites the committed page with OLEADA_WRITE_DOCS=1, and refuses other values', () => {
    // A copy of the script and what it sources, so the committed page written is the copy's.
    const root = mkdtempSync(join(tmpdir(), 'test-k8s-root-'));
    for (const file of ['write-report.sh', 'lib/common.sh', 'images.env', 'manifest-problems.md']) cpSync(join(repoRoot(), 'tools/cluster', file), join(root, 'tools/cluster', file));
    mkdirSync(join(root, 'docs/deploy'), { recursive: true });
    const run = fakeRun();
    const asked = writeReport(root, run, { OLEADA_WRITE_DOCS: '1' });
    assert.equal(asked.status, 0, asked.stderr);
    assert.equal(readFileSync(join(root, 'docs/deploy/local.md'), 'utf8'), readFileSync(join(root, '.cache/reports/test-k8s/local.md'), 'utf8'));
    const bad = writeReport(root, run, { OLEADA_WRITE_DOCS: 'yes' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /OLEADA_WRITE_DOCS=yes is invalid: use 1 \(refresh docs\/deploy\/local\.md\) or 0/);
    const none = writeReport(root, join(run, 'missing'), {});
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no test-k8s results in .*missing \(results\.env\): run npm run test:k8s first/);
  });
});
