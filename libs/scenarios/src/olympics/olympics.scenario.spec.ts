import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { olympics as pb } from '@oleada/contracts';
import { operationsFor, ScenarioKeys } from '@oleada/valkey-schema';
import { uuidv5 } from '@oleada/shared';
import { eventRandom, seededRandom } from '../random';
import { InvalidRecordError } from '../scenario';
import { olympicsScenario as scenario, OUTCOME_TOPICS } from './olympics.scenario';

const valid = { name: 'María López', age: 21, faculty: 'Ingenieria', discipline: 'swimming' };

function fieldOf(body: unknown): string | undefined {
  const result = scenario.body.safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.join('.');
}

describe('olympics REST schema', () => {
  it('accepts a participant by names or enum numbers', () => {
    assert.ok(scenario.body.safeParse(valid).success);
    assert.ok(scenario.body.safeParse({ ...valid, faculty: 2, discipline: 3 }).success);
  });

  const rejected: Array<[string, unknown, string]> = [
    ['unknown faculty', { ...valid, faculty: 'Medicina' }, 'faculty'],
    ['faculty 0', { ...valid, faculty: 0 }, 'faculty'],
    ['unknown discipline', { ...valid, discipline: 'chess' }, 'discipline'],
    ['discipline 4', { ...valid, discipline: 4 }, 'discipline'],
    ['too young', { ...valid, age: 14 }, 'age'],
    ['too old', { ...valid, age: 81 }, 'age'],
    ['fractional age', { ...valid, age: 20.5 }, 'age'],
    ['empty name', { ...valid, name: '' }, 'name'],
    ['name of digits', { ...valid, name: '1234' }, 'name'],
    ['name too long', { ...valid, name: 'a'.repeat(101) }, 'name'],
    ['missing discipline', { name: 'Ana', age: 20, faculty: 'Agronomia' }, 'discipline'],
    ['extra field', { ...valid, outcome: 'winner' }, 'outcome'],
  ];
  for (const [name, body, field] of rejected) {
    it(`rejects ${name}, naming ${field}`, () => assert.equal(fieldOf(body), field));
  }
});

describe('olympics: the writer decides, the topic carries the outcome', () => {
  const message = scenario.toMessage(scenario.body.parse(valid));

  it('routes to winners or losers by the injected random source', () => {
    assert.deepEqual(message, { name: 'María López', age: 21, faculty: pb.Faculty.FACULTY_INGENIERIA, discipline: pb.Discipline.DISCIPLINE_SWIMMING });
    assert.equal(scenario.route(message, () => 0.1), OUTCOME_TOPICS.winners);
    assert.equal(scenario.route(message, () => 0.9), OUTCOME_TOPICS.losers);
    const a = seededRandom(3);
    const b = seededRandom(3);
    const outcomes = Array.from({ length: 1000 }, () => scenario.route(message, a));
    assert.deepEqual(outcomes, Array.from({ length: 1000 }, () => scenario.route(message, b)), 'a seed reproduces the decisions');
    const winners = outcomes.filter((t) => t === OUTCOME_TOPICS.winners).length;
    assert.ok(winners > 0 && winners < 1000, 'both outcomes occur');
  });

  it("decides from the event: the same id and seed give the same outcome in every writer, about half win", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => uuidv5(`participant-${i}`));
    // Two writers (e.g. the Kafka and the RabbitMQ path), each deciding in its own order.
    const first = new Map(ids.map((id) => [id, scenario.route(message, eventRandom(id, 7))]));
    const second = new Map([...ids].reverse().map((id) => [id, scenario.route(message, eventRandom(id, 7))]));
    assert.deepEqual(ids.map((id) => second.get(id)), ids.map((id) => first.get(id)));
    const winners = [...first.values()].filter((t) => t === OUTCOME_TOPICS.winners).length;
    assert.ok(winners > 4_700 && winners < 5_300, `${winners} of 10000 win`);
    const reseeded = ids.filter((id) => scenario.route(message, eventRandom(id, 8)) !== first.get(id)).length;
    assert.ok(reseeded > 4_700 && reseeded < 5_300, `another seed is another draw (${reseeded} of 10000 change)`);
  });

  it('aggregates each outcome per faculty and per discipline', () => {
    const keys = new ScenarioKeys('olympics');
    const record = scenario.decode(scenario.encode(message), { eventId: 'e', acceptedAt: 0, topic: OUTCOME_TOPICS.losers });
    assert.equal(record.outcome, 'losers');
    const ops = operationsFor(scenario.aggregates, keys, record, 0).filter((op) => op.code === 'H' && !op.key.includes('per_minute'));
    assert.deepEqual(
      ops.map((op) => [op.key, op.field, op.value]),
      [
        ['oleada:olympics:results', 'losers', 1],
        ['oleada:olympics:by_faculty:losers', 'Ingenieria', 1],
        ['oleada:olympics:by_discipline:losers', 'swimming', 1],
        ['oleada:olympics:age', 'Ingenieria:sum', 21],
        ['oleada:olympics:age', 'Ingenieria:count', 1],
      ],
    );
  });

  it('dead-letters a record read from a topic that carries no outcome, and bad messages', () => {
    assert.throws(() => scenario.decode(scenario.encode(message), { eventId: 'e', acceptedAt: 0, topic: 'elsewhere' }), InvalidRecordError);
    assert.match(scenario.checkMessage({ ...message, faculty: 0 }) ?? '', /faculty 0/);
    assert.match(scenario.checkMessage({ ...message, age: 200 }) ?? '', /age 200/);
    assert.throws(() => scenario.decode(Buffer.from([0xff, 0xff]), { eventId: 'e', acceptedAt: 0, topic: OUTCOME_TOPICS.winners }), InvalidRecordError);
  });
});
