import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { weather as pb } from '@oleada/contracts';
import { operationsFor, ScenarioKeys } from '@oleada/valkey-schema';
import { InvalidRecordError } from '../scenario';
import { weatherScenario as scenario } from './weather.scenario';

const valid = { municipality: 'mixco', temperature: 23.5, humidity: 61, weather: 'cloudy' };
const meta = { eventId: '01930000-0000-7000-8000-000000000000', acceptedAt: 0, topic: 'weather.reports' };

function fieldOf(body: unknown): string | undefined {
  const result = scenario.body.safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path.join('.');
}

describe('weather REST schema', () => {
  it('accepts a report by names or enum numbers, at the edges of the ranges', () => {
    assert.ok(scenario.body.safeParse(valid).success);
    assert.ok(scenario.body.safeParse({ ...valid, municipality: 4, weather: 1 }).success);
    assert.ok(scenario.body.safeParse({ ...valid, temperature: -20, humidity: 0 }).success);
    assert.ok(scenario.body.safeParse({ ...valid, temperature: 50, humidity: 100 }).success);
  });

  const rejected: Array<[string, unknown, string]> = [
    ['unknown municipality', { ...valid, municipality: 'antigua' }, 'municipality'],
    ['municipality 0', { ...valid, municipality: 0 }, 'municipality'],
    ['municipality in capitals', { ...valid, municipality: 'Mixco' }, 'municipality'],
    ['unknown condition', { ...valid, weather: 'snowy' }, 'weather'],
    ['condition 5', { ...valid, weather: 5 }, 'weather'],
    ['temperature too low', { ...valid, temperature: -20.1 }, 'temperature'],
    ['temperature too high', { ...valid, temperature: 50.5 }, 'temperature'],
    ['temperature with two decimals', { ...valid, temperature: 21.25 }, 'temperature'],
    ['temperature as string', { ...valid, temperature: '21' }, 'temperature'],
    ['negative humidity', { ...valid, humidity: -1 }, 'humidity'],
    ['humidity over 100', { ...valid, humidity: 100.1 }, 'humidity'],
    ['missing humidity', { municipality: 'mixco', temperature: 20, weather: 'sunny' }, 'humidity'],
    ['extra field', { ...valid, wind: 3 }, 'wind'],
  ];
  for (const [name, body, field] of rejected) {
    it(`rejects ${name}, naming ${field}`, () => assert.equal(fieldOf(body), field));
  }
});

describe('weather wire mapping and aggregates', () => {
  it('maps the body to the message and back, readings in integer tenths', () => {
    const message = scenario.toMessage(scenario.body.parse({ ...valid, temperature: -3.5 }));
    assert.deepEqual(message, { municipality: pb.Municipality.MUNICIPALITY_MIXCO, temperature: -3.5, humidity: 61, weather: pb.Condition.CONDITION_CLOUDY });
    const record = scenario.decode(scenario.encode(message), meta);
    assert.deepEqual(record, { municipality: 'mixco', condition: 'cloudy', temperatureTenths: -35, humidityTenths: 610 });
  });

  it('counts conditions per municipality and keeps sum and count of each reading together', () => {
    const keys = new ScenarioKeys('weather');
    const record = scenario.decode(scenario.encode(scenario.toMessage(scenario.body.parse(valid))), meta);
    const ops = operationsFor(scenario.aggregates, keys, record, 0).filter((op) => op.code !== 'E');
    const by = (key: string) => ops.filter((op) => op.key === key).map((op) => [op.field, op.value]);
    assert.deepEqual(by('oleada:weather:conditions:mixco'), [['cloudy', 1]]);
    assert.deepEqual(by('oleada:weather:reports'), [['mixco', 1]]);
    assert.deepEqual(by('oleada:weather:temperature_tenths'), [['mixco:sum', 235], ['mixco:count', 1]]);
    assert.deepEqual(by('oleada:weather:humidity_tenths'), [['mixco:sum', 610], ['mixco:count', 1]]);
    assert.deepEqual(by('oleada:weather:total'), [['', 1]]);
  });

  it('refuses unspecified enums, out-of-range readings and undecodable bytes on the wire', () => {
    const message: pb.WeatherReportRequest = { municipality: 1, temperature: 20, humidity: 50, weather: 1 };
    assert.match(scenario.checkMessage({ ...message, municipality: 0 }) ?? '', /municipality 0/);
    assert.match(scenario.checkMessage({ ...message, weather: 9 as pb.Condition }) ?? '', /weather 9/);
    assert.match(scenario.checkMessage({ ...message, temperature: 80 }) ?? '', /temperature 80/);
    assert.match(scenario.checkMessage({ ...message, humidity: Number.NaN }) ?? '', /humidity NaN/);
    assert.throws(() => scenario.decode(scenario.encode({ ...message, weather: 0 }), meta), InvalidRecordError);
    assert.throws(() => scenario.decode(Buffer.from([0xff, 0xff, 0xff]), meta), InvalidRecordError);
  });
});
