import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROFILES } from './profiles';
import { REPO_ROOT } from './testing/variants';

/** The local profile names the images tools/cluster/images.sh builds: one tag each, in both places. */
describe('local profile images', () => {
  const env = readFileSync(join(REPO_ROOT, 'tools/cluster/images.env'), 'utf8');
  const value = (name: string): string => {
    const line = env.split('\n').find((l) => l.startsWith(`${name}=`));
    assert.ok(line, `${name} missing from tools/cluster/images.env`);
    return line.slice(name.length + 1).replace(/^"|"$/g, '');
  };
  const standalone = PROFILES.local.standalone!;

  it('Valkey, Kafka, RabbitMQ, Traefik, Prometheus and Jaeger: the tags images.env builds', () => {
    assert.equal(standalone.prometheusImage, value('PROMETHEUS_IMAGE').replace('$PROMETHEUS_VERSION', value('PROMETHEUS_VERSION')));
    const build = readFileSync(join(REPO_ROOT, 'tools/cluster/build.sh'), 'utf8');
    assert.match(build, new RegExp(`^PROMETHEUS_VERSION=${value('PROMETHEUS_VERSION').slice(1).replace(/\./g, '\\.')}$`, 'm'), 'the Prometheus build.sh builds');
    assert.equal(standalone.valkeyImage, value('VALKEY_IMAGE'));
    assert.equal(standalone.traefikImage, value('TRAEFIK_IMAGE').replace('$TRAEFIK_VERSION', value('TRAEFIK_VERSION')));
    const wrapper = readFileSync(join(REPO_ROOT, 'tools/cluster/go/traefik/go.mod'), 'utf8');
    assert.match(wrapper, new RegExp(`github\\.com/traefik/traefik/v3 ${value('TRAEFIK_VERSION').replace(/\./g, '\\.')}\\b`), 'the Traefik the wrapper module builds');
    assert.equal(standalone.kafkaImage, value('KAFKA_IMAGE').replace('$KAFKA_VERSION', value('KAFKA_VERSION')));
    assert.equal(standalone.rabbitmqImage, value('RABBITMQ_IMAGE'));
    assert.equal(standalone.jaegerImage, value('JAEGER_IMAGE').replace('$JAEGER_VERSION', value('JAEGER_VERSION')));
    const jaeger = readFileSync(join(REPO_ROOT, 'tools/cluster/go/jaeger/go.mod'), 'utf8');
    assert.match(jaeger, new RegExp(`github\\.com/jaegertracing/jaeger ${value('JAEGER_VERSION').replace(/\./g, '\\.')}\\b`), 'the Jaeger the wrapper module builds');
    assert.ok(standalone.rabbitmqImage.endsWith(`-${value('RABBITMQ_SUITE')}`), 'the RabbitMQ tag names the Debian suite it is built from');
  });

  it("the gateway trusts X-Forwarded-For from the cluster's own pod range only", () => {
    const common = readFileSync(join(REPO_ROOT, 'tools/cluster/lib/common.sh'), 'utf8');
    assert.match(common, new RegExp(`^POD_CIDR=${standalone.podCidr.replace(/\./g, '\\.')}$`, 'm'));
  });
});
