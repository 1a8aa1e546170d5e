import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appImage, checkTag, imageTag } from './images';

describe('appImage', () => {
  it('builds ${registry}/oleada/<app>:<tag>', () => {
    assert.equal(appImage('10.0.0.5:5000', 'gateway', '0.1.0'), '10.0.0.5:5000/oleada/gateway:0.1.0');
    assert.equal(appImage('zot.example.com/mirror', 'writer', 'abc123'), 'zot.example.com/mirror/oleada/writer:abc123');
  });

  it('rejects latest, malformed tags and registries with a scheme', () => {
    assert.throws(() => checkTag('latest'), /latest/);
    assert.throws(() => checkTag(''), /not a valid tag/);
    assert.throws(() => checkTag('a b'), /not a valid tag/);
    assert.throws(() => appImage('https://zot:5000', 'relay', '1'), /without a scheme/);
    assert.throws(() => appImage('zot:5000/', 'relay', '1'), /trailing slash/);
  });

  it('reads the tag of a reference, ignoring registry ports and digests', () => {
    assert.equal(imageTag('zot:5000/oleada/relay:1.2.3'), '1.2.3');
    assert.equal(imageTag('zot:5000/oleada/relay'), undefined);
    assert.equal(imageTag('quay.io/containerdisks/fedora:42@sha256:abc'), '42');
  });
});
