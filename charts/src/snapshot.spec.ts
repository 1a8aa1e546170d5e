import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { CHARTS_ROOT, synth, VARIANT_NAMES } from './testing/variants';

/**
 * Every synthesized file of every variant equals its committed copy in charts/snapshots/<variant>/.
 * A change to the manifests shows up as a diff there; accept it with
 *   UPDATE_SNAPSHOTS=1 node --test charts/dist/snapshot.spec.js
 */
const SNAPSHOTS = join(CHARTS_ROOT, 'snapshots');
const update = process.env.UPDATE_SNAPSHOTS === '1';

function committed(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
  return Object.fromEntries(walk(dir).map((path) => [relative(dir, path), readFileSync(path, 'utf8')]));
}

/** The first differing line, to make a failure readable without a diff tool. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  snapshot: ${a[i] ?? '<end of file>'}\n  synth:    ${b[i] ?? '<end of file>'}`;
  }
  return 'identical';
}

describe('snapshots of every chart', () => {
  for (const variant of VARIANT_NAMES) {
    it(`${variant} matches charts/snapshots/${variant}`, () => {
      const { files } = synth(variant);
      const dir = join(SNAPSHOTS, variant);
      if (update) {
        rmSync(dir, { recursive: true, force: true });
        for (const [file, content] of Object.entries(files)) {
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          writeFileSync(join(dir, file), content);
        }
        return;
      }
      const expected = committed(dir);
      assert.ok(Object.keys(expected).length > 0, `no snapshot in ${dir}: run with UPDATE_SNAPSHOTS=1 and commit it`);
      assert.deepEqual(Object.keys(files).sort(), Object.keys(expected).sort(), 'synth writes different files than the snapshot holds');
      for (const [file, content] of Object.entries(files)) {
        assert.ok(
          content === expected[file],
          `${variant}/${file} drifted from its snapshot (UPDATE_SNAPSHOTS=1 to accept):\n${firstDifference(expected[file], content)}`,
        );
      }
    });
  }
});
