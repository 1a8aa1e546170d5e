import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const LIB = resolve(__dirname, '..');

describe('cdk8s imports', () => {
  const out = mkdtempSync(join(tmpdir(), 'oleada-imports-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('src/imports is exactly what `node libs/k8s/scripts/import.mjs` generates from charts/schemas', () => {
    execFileSync(process.execPath, [join(LIB, 'scripts', 'import.mjs'), out], { stdio: 'pipe' });
    const committed = join(LIB, 'src', 'imports');
    assert.deepEqual(readdirSync(out).sort(), readdirSync(committed).sort());
    for (const file of readdirSync(out)) {
      assert.ok(readFileSync(join(out, file), 'utf8') === readFileSync(join(committed, file), 'utf8'), `${file} is stale: run node libs/k8s/scripts/import.mjs`);
    }
  });
});
