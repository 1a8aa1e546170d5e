import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INDEX, readSnapshots, serializeIndex, snapshotTree, storedName, writeSnapshots } from './testing/snapshots';
import { synth, VARIANT_NAMES } from './testing/variants';

/**
 * Every synthesized file of every variant equals its committed copy: charts/snapshots/index.json names,
 * per variant and file, the stored file under charts/snapshots/files/ (each distinct content once).
 * A change to the manifests shows up as a diff there; accept it with
 *   UPDATE_SNAPSHOTS=1 node --test charts/dist/snapshot.spec.js
 */
const update = process.env.UPDATE_SNAPSHOTS === '1';
const ACCEPT = 'UPDATE_SNAPSHOTS=1 node --test charts/dist/snapshot.spec.js to accept, then commit charts/snapshots';

/** The first differing line, to make a failure readable without a diff tool. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}:\n  snapshot: ${a[i] ?? '<end of file>'}\n  synth:    ${b[i] ?? '<end of file>'}`;
  }
  return 'identical';
}

describe('snapshots of every chart (charts/snapshots)', () => {
  if (update) {
    it('UPDATE_SNAPSHOTS=1 rewrites charts/snapshots', () => {
      writeSnapshots(snapshotTree(Object.fromEntries(VARIANT_NAMES.map((variant) => [variant, synth(variant).files]))));
    });
  }

  for (const variant of VARIANT_NAMES) {
    it(`${variant} matches the files ${INDEX} names for it`, () => {
      const { files } = synth(variant);
      const stored = readSnapshots();
      const named = stored.index[variant];
      assert.ok(named, `${INDEX} has no entry for ${variant} (${ACCEPT})`);
      const added = Object.keys(files).filter((file) => !(file in named));
      const removed = Object.keys(named).filter((file) => !(file in files));
      assert.ok(
        added.length + removed.length === 0,
        `${variant}: synth writes other files than ${INDEX} names (${ACCEPT}):\n  new:  ${added.join(', ') || '-'}\n  gone: ${removed.join(', ') || '-'}`,
      );
      for (const [file, content] of Object.entries(files)) {
        const snapshot = stored.files[named[file]];
        assert.ok(snapshot !== undefined, `${variant}/${file}: ${INDEX} names ${named[file]}, which is not there (${ACCEPT})`);
        assert.ok(content === snapshot, `${variant}/${file} drifted from its snapshot ${named[file]} (${ACCEPT}):\n${firstDifference(snapshot, content)}`);
        assert.equal(named[file], storedName(file, content), `${variant}/${file}: stored under a name that is not its content's (${ACCEPT})`);
      }
    });
  }

  it(`charts/snapshots holds ${INDEX}, sorted, and the files it names, nothing else`, () => {
    const { indexText, index, files } = readSnapshots();
    assert.deepEqual(Object.keys(index).sort(), [...VARIANT_NAMES].sort(), `${INDEX} names other variants than the tests synthesize (${ACCEPT})`);
    assert.equal(indexText, serializeIndex(index), `${INDEX} is not in its sorted form (${ACCEPT})`);
    const named = new Set(Object.values(index).flatMap((variantFiles) => Object.values(variantFiles)));
    const orphans = Object.keys(files).filter((name) => !named.has(name)).sort();
    assert.deepEqual(orphans, [], `charts/snapshots holds files ${INDEX} does not name (${ACCEPT}: it removes them)`);
  });
});
