import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateKeys, operationsFor, ScenarioKeys } from '@oleada/valkey-schema';
import { seededRandom } from './random';
import { getScenario, scenarioForTopic, SCENARIOS, selectScenarios } from './registry';

describe('every scenario', () => {
  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      it('draws valid, reproducible samples from its dataset', () => {
        assert.equal((scenario.dataset as { scenario?: string }).scenario, scenario.name);
        const a = seededRandom(11);
        const b = seededRandom(11);
        for (let i = 0; i < 500; i++) {
          const body = scenario.sample(a);
          assert.deepEqual(body, scenario.sample(b));
          const parsed = scenario.body.safeParse(body);
          assert.ok(parsed.success, `${JSON.stringify(body)}: ${parsed.success ? '' : parsed.error.message}`);
        }
      });

      it('round-trips samples through the wire and writes only declared fields and keys', () => {
        const random = seededRandom(5);
        const keys = new ScenarioKeys(scenario.name);
        const declared = new Set(scenario.aggregates.flatMap((a) => aggregateKeys(a, keys)));
        for (let i = 0; i < 200; i++) {
          const message = scenario.toMessage(scenario.body.parse(scenario.sample(random)));
          assert.equal(scenario.checkMessage(message), undefined);
          const topic = scenario.route(message, random);
          assert.ok(scenario.topics.includes(topic), `route gave ${topic}`);
          assert.equal(typeof scenario.partitionKey(message), 'string');
          const record = scenario.decode(scenario.encode(message), { eventId: 'e', acceptedAt: 0, topic });
          for (const op of operationsFor(scenario.aggregates, keys, record, 0)) {
            if (op.code === 'E' || op.key.includes(':per_minute:')) continue;
            assert.ok(declared.has(op.key), `${op.key} is not declared by an aggregate`);
          }
          for (const aggregate of scenario.aggregates) {
            if ('fields' in aggregate && 'field' in aggregate) assert.ok(aggregate.fields.includes(aggregate.field(record)), `${aggregate.metric}: ${aggregate.field(record)}`);
          }
        }
      });

      it('names a headline hash, dead-letter queue and seed-compatible routes', () => {
        assert.ok(scenario.aggregates.some((a) => a.kind === 'hash' && a.metric === scenario.headline));
        assert.ok(scenario.aggregates.some((a) => a.kind === 'counter'));
        assert.equal(scenario.queues.deadLetter, scenario.deadLetterTopic);
        for (const alias of scenario.aliases) assert.match(alias, /^\/[a-z/]+$/);
      });
    });
  }

  it('owns distinct topics, so the consumer can tell scenarios apart', () => {
    const topics = SCENARIOS.flatMap((s) => [...s.topics, s.deadLetterTopic]);
    assert.equal(new Set(topics).size, topics.length);
    for (const s of SCENARIOS) for (const t of s.topics) assert.equal(scenarioForTopic(SCENARIOS, t), s);
  });

  it('resolves SCENARIOS lists and names unknown ones', () => {
    assert.deepEqual(selectScenarios(['weather', 'olympics']).map((s) => s.name), ['weather', 'olympics']);
    assert.throws(() => getScenario('nope'), /unknown scenario "nope" \(known: blackfriday, weather, olympics\)/);
  });
});
