import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RESULTS_BEGIN, RESULTS_END, ResultsBook, renderResults, spliceResults } from './results';

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

  it('write the JSON and the document after every row', () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-'));
    writeFileSync(join(dir, 'doc.md'), `# Doc\n\n${RESULTS_BEGIN}\n${RESULTS_END}\n`);
    const book = new ResultsBook(join(dir, 'r.json'), join(dir, 'doc.md'), 'test');
    book.fault(row);
    assert.match(readFileSync(join(dir, 'doc.md'), 'utf8'), /\| kill \\\| it \|/);
    assert.equal(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).faults['01-x'].counted, 10);
  });
});
