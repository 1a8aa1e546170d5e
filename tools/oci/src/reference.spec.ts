import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReference, isLoopbackRegistry, manifestReference, parseReference } from './reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it('reads host:port, nested repository and tag, with or without oci://', () => {
    for (const text of ['zot.example.com:5000/oleada/datasets/blackfriday:v1', 'oci://zot.example.com:5000/oleada/datasets/blackfriday:v1']) {
      assert.deepEqual(parseReference(text), {
        registry: 'zot.example.com:5000',
        repository: 'oleada/datasets/blackfriday',
        tag: 'v1',
        digest: undefined,
      });
    }
  });

  it('reads a digest, and asks for it rather than the tag', () => {
    const ref = parseReference(`127.0.0.1:5000/oleada/datasets/weather:v2@${DIGEST}`);
    assert.equal(ref.tag, 'v2');
    assert.equal(ref.digest, DIGEST);
    assert.equal(manifestReference(ref), DIGEST);
    assert.equal(formatReference(ref), `127.0.0.1:5000/oleada/datasets/weather:v2@${DIGEST}`);
  });

  it('rejects references without host, tag, or with upper-case repositories', () => {
    assert.throws(() => parseReference('oleada:v1'), /no registry host/);
    assert.throws(() => parseReference('zot:5000/oleada/datasets/blackfriday'), /no tag or digest/);
    assert.throws(() => parseReference('zot:5000/Oleada/x:v1'), /bad repository component "Oleada"/);
    assert.throws(() => parseReference('zot:5000/oleada/x:bad/tag'), /bad repository component|bad tag/);
  });
});

describe('isLoopbackRegistry', () => {
  it('accepts localhost, 127.0.0.0/8 and ::1 and nothing else', () => {
    for (const r of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.equal(isLoopbackRegistry(r), true, r);
    for (const r of ['10.0.0.1:5000', 'zot.example.com', '128.0.0.1:5000', 'localhost.evil.com:5000']) {
      assert.equal(isLoopbackRegistry(r), false, r);
    }
  });
});
