import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basicAuthorization, parseChallenge } from './auth';
import { readOciEnvironment } from './config';
import { RegistryClient } from './registry-client';

describe('parseChallenge', () => {
  it('parses a Basic challenge', () => {
    assert.deepEqual(parseChallenge('Basic realm="zot"'), { scheme: 'basic', params: { realm: 'zot' } });
  });

  it('parses a Bearer challenge whose scope contains commas', () => {
    const c = parseChallenge('Bearer realm="https://auth.example.com/token",service="registry",scope="repository:oleada/x:pull,push"');
    assert.equal(c.scheme, 'bearer');
    assert.deepEqual(c.params, {
      realm: 'https://auth.example.com/token',
      service: 'registry',
      scope: 'repository:oleada/x:pull,push',
    });
  });

  it('encodes Basic credentials', () => {
    assert.equal(basicAuthorization({ username: 'u', password: 'p:w' }), `Basic ${Buffer.from('u:p:w').toString('base64')}`);
  });
});

describe('readOciEnvironment', () => {
  it('needs both ZOT_USERNAME and ZOT_PASSWORD or neither', () => {
    assert.throws(() => readOciEnvironment({ ZOT_USERNAME: 'u' }), /ZOT_PASSWORD is missing/);
    assert.throws(() => readOciEnvironment({ ZOT_PASSWORD: 'p' }), /ZOT_USERNAME is missing/);
    assert.equal(readOciEnvironment({}).credentials, undefined);
  });

  it('rejects a REGISTRY with a scheme', () => {
    assert.throws(() => readOciEnvironment({ REGISTRY: 'https://zot:5000' }), /without a scheme/);
  });

  it('reads REGISTRY_INSECURE as a flag', () => {
    assert.equal(readOciEnvironment({ REGISTRY_INSECURE: '1' }).insecure, true);
    assert.equal(readOciEnvironment({ REGISTRY_INSECURE: '0' }).insecure, false);
  });
});

describe('RegistryClient', () => {
  it('refuses plain HTTP to a registry that is not on loopback', () => {
    assert.throws(() => new RegistryClient({ registry: 'zot.example.com:5000', insecure: true }), /only allowed for a loopback registry/);
    assert.equal(new RegistryClient({ registry: '127.0.0.1:5000', insecure: true }).baseUrl, 'http://127.0.0.1:5000');
    assert.equal(new RegistryClient({ registry: 'zot.example.com:5000' }).baseUrl, 'https://zot.example.com:5000');
  });
});
