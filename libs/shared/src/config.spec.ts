import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseConfigShape, ConfigError, configRule, env, kafkaSasl, loadConfig } from './config';

const shape = { ...baseConfigShape, RELAY_URL: env.url(), TARGETS: env.list(), MAX: env.positiveInt().default(10) };

describe('loadConfig', () => {
  it('returns typed values with defaults', () => {
    const config = loadConfig(shape, { RELAY_URL: 'http://relay:8080', TARGETS: 'a:1, b:2,' });
    assert.equal(config.PORT, 8080);
    assert.equal(config.HOST, '0.0.0.0', 'pods listen on every address; local runs set HOST');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.MAX, 10);
    assert.deepEqual(config.TARGETS, ['a:1', 'b:2']);
  });

  it('names every missing or bad variable at once', () => {
    assert.throws(
      () => loadConfig(shape, { PORT: '99999', HOST: 'localhost', MAX: '-3', TARGETS: '' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        assert.match(text, /RELAY_URL is required but not set/);
        assert.match(text, /TARGETS is required but not set/);
        assert.match(text, /PORT is invalid/);
        assert.match(text, /HOST is invalid/);
        assert.match(text, /MAX is invalid/);
        return true;
      },
    );
  });

  it('runs a rule whose own variables are valid beside the problems of the others', () => {
    const rule = configRule({ MODE: env.string().default('a'), B_URL: env.url().optional() }, (c) => (c.MODE === 'b' && !c.B_URL ? ['B_URL is required but not set (MODE=b)'] : []));
    assert.throws(
      () => loadConfig(shape, { MODE: 'b', TARGETS: 'x' }, [rule]),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2 && /RELAY_URL/.test(error.problems[0]) && /B_URL is required/.test(error.problems[1]),
    );
    assert.throws(() => loadConfig(shape, { MODE: 'b', RELAY_URL: 'http://r', TARGETS: 'x' }, [rule]), /B_URL is required/);
    assert.equal(loadConfig(shape, { MODE: 'b', B_URL: 'http://b', RELAY_URL: 'http://r', TARGETS: 'x' }, [rule]).PORT, 8080);
  });

  it('treats an empty variable as unset', () => {
    assert.throws(() => loadConfig(shape, { RELAY_URL: '', TARGETS: 'x' }), /RELAY_URL is required/);
  });

  it('requires SASL credentials when a mechanism is chosen', () => {
    assert.equal(kafkaSasl({}), undefined);
    assert.throws(() => kafkaSasl({ KAFKA_SASL_MECHANISM: 'scram-sha-512' }), /KAFKA_USERNAME and KAFKA_PASSWORD/);
    assert.deepEqual(kafkaSasl({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'p' }), {
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
  });
});
