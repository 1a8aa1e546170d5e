import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cacheDir, reportPlace, repoRoot, treeState, type ReportPlace } from '@oleada/local';
import { FaultSuite } from './harness';
import { countResultRows, RESULTS_BEGIN, RESULTS_END, ResultsBook, renderResults, spliceResults, testFilter } from './results';

const row = { id: '01-x', fault: 'kill | it', sent: 10, accepted: 10, counted: 10, lost: 0, duplicated: 0, requests: 12, status503: 2, otherServerErrors: 0, notes: 'p99 5 ms', passed: true };

describe('reliability results', () => {
  it('render one table row per fault and attack, escaping pipes, marking failures', () => {
    const text = renderResults({
      startedAt: 's',
      updatedAt: 'u',
      environment: 'env',
      faults: { b: { ...row, id: 'b', passed: false }, a: row },
      attacks: { z: { id: 'z', attack: 'wrong password', expected: 'refused', observed: 'WRONGPASS', passed: true } },
    });
    const lines = text.split('\n');
    assert.match(lines.find((l) => l.startsWith('| kill')) ?? '', /^\| kill \\\| it \| 10 \| 10 \| 10 \| 0 \| 0 \| 12 \| 2 \| 0 \| p99 5 ms \| pass \|$/);
    assert.ok(text.indexOf('| pass |') < text.indexOf('**FAIL**'), 'rows sorted by id');
    assert.match(text, /\| wrong password \| refused \| WRONGPASS \| pass \|/);
  });

  it('replace only the marked section of the document, or append one', () => {
    const doc = `# R\n\nprose\n\n${RESULTS_BEGIN}\nold\n${RESULTS_END}\n\nmore prose\n`;
    const out = spliceResults(doc, 'new');
    assert.equal(out, `# R\n\nprose\n\n${RESULTS_BEGIN}\nnew\n${RESULTS_END}\n\nmore prose\n`);
    assert.ok(spliceResults('# R\n', 't').endsWith(`## Measured\n\n${RESULTS_BEGIN}\nt\n${RESULTS_END}\n`));
  });

  it('write the JSON and the report after every row, leaving the committed document alone', () => {
    const place = tempPlace(false);
    const book = new ResultsBook(place, 'test');
    book.fault(row);
    const report = readFileSync(join(place.dir, 'reliability.md'), 'utf8');
    assert.match(report, /^# Doc\n\nprose/, 'the report keeps the page around the tables');
    assert.match(report, /\| kill \\\| it \|/);
    assert.equal(JSON.parse(readFileSync(join(place.dir, 'results.json'), 'utf8')).faults['01-x'].counted, 10);
    assert.equal(book.publish(''), undefined, 'nothing published when not asked');
    assert.equal(readFileSync(join(place.docsDir, 'reliability.md'), 'utf8'), COMMITTED);
  });

  it('rewrite the committed document when asked, from a whole run only', () => {
    const place = tempPlace(true);
    const book = new ResultsBook(place, 'test');
    book.fault(row);
    assert.throws(() => book.checkPublishable('--test-name-pattern=kill'), /whole run only: this one is filtered \(--test-name-pattern=kill\)/);
    assert.throws(() => book.publish('--test-name-pattern=kill'), /not rewriting .*reliability\.md: the run was filtered/);
    assert.throws(() => book.publish(''), /it has 1 rows where the committed tables have 2/);
    assert.equal(readFileSync(join(place.docsDir, 'reliability.md'), 'utf8'), COMMITTED, 'a refused publish writes nothing');
    book.attack({ id: 'z', attack: 'wrong password', expected: 'refused', observed: 'WRONGPASS', passed: true });
    book.checkPublishable('');
    assert.equal(book.publish(''), join(place.docsDir, 'reliability.md'));
    const doc = readFileSync(join(place.docsDir, 'reliability.md'), 'utf8');
    assert.equal(countResultRows(doc), 2);
    assert.match(doc, /more prose\n$/);
  });

  it('count the rows of the committed tables, and see the test filters node --test passes its test process', () => {
    assert.equal(countResultRows(COMMITTED), 2);
    assert.equal(countResultRows('# no tables\n'), 0);
    assert.equal(testFilter(['--test-concurrency=1', '--test-name-pattern=Valkey']), '--test-name-pattern=Valkey');
    assert.equal(testFilter(['--test-skip-pattern=x']), '--test-skip-pattern=x');
    assert.equal(testFilter(['--test-only']), '--test-only');
    assert.equal(testFilter(['--test-concurrency=1', '--test-timeout=900000']), undefined);
  });

  it('put the report in .cache/reports/faults, or OLEADA_REPORT_DIR; the docs only with OLEADA_WRITE_DOCS=1', () => {
    const docs = join(repoRoot(), 'docs');
    assert.deepEqual(reportPlace('faults', 'docs', { env: {} }), { dir: join(cacheDir(), 'reports', 'faults'), docsDir: docs, writeDocs: false });
    assert.deepEqual(reportPlace('faults', 'docs', { env: { OLEADA_WRITE_DOCS: '1', OLEADA_REPORT_DIR: '/tmp/r' } }), { dir: '/tmp/r', docsDir: docs, writeDocs: true });
    assert.equal(reportPlace('faults', 'docs', { env: { OLEADA_WRITE_DOCS: '0' } }).writeDocs, false);
    assert.throws(() => reportPlace('faults', 'docs', { env: { OLEADA_WRITE_DOCS: 'yes' } }), /OLEADA_WRITE_DOCS=yes is invalid/);
    assert.throws(() => new ResultsBook(reportPlace('faults', 'docs', { env: { OLEADA_REPORT_DIR: 'docs' } }), 'test'), /cannot go to .*docs itself/);
  });

  it("the suite's own results book writes its report outside the tree and changes no tracked file", () => {
    const before = treeState('docs');
    const out = mkdtempSync(join(tmpdir(), 'faults-report-'));
    const saved = { OLEADA_REPORT_DIR: process.env.OLEADA_REPORT_DIR, OLEADA_WRITE_DOCS: process.env.OLEADA_WRITE_DOCS };
    process.env.OLEADA_REPORT_DIR = out;
    delete process.env.OLEADA_WRITE_DOCS;
    try {
      // The FaultSuite as `npm run test:faults` builds it (nothing starts until start()).
      const suite = new FaultSuite();
      suite.results.fault(row);
      assert.equal(suite.results.publish(), undefined);
      assert.match(readFileSync(join(out, 'reliability.md'), 'utf8'), /^# Reliability: faults, overload and hostile input\n[^]*\| kill \\\| it \|/);
      assert.ok(existsSync(join(out, 'results.json')));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    assert.equal(treeState('docs'), before, 'git status and docs/ as they were');
  });
});

const COMMITTED = `# Doc\n\nprose\n\n${RESULTS_BEGIN}\n| a | pass |\n| b | **FAIL** |\n${RESULTS_END}\n\nmore prose\n`;

/** A report place in a temporary directory, with a committed document of two rows. */
function tempPlace(writeDocs: boolean): ReportPlace {
  const root = mkdtempSync(join(tmpdir(), 'results-'));
  const place = { dir: join(root, 'out'), docsDir: join(root, 'docs'), writeDocs };
  mkdirSync(place.docsDir);
  writeFileSync(join(place.docsDir, 'reliability.md'), COMMITTED);
  return place;
}
