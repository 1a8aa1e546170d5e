import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { blackfriday, olympics, weather } from '@oleada/contracts';
import { SCENARIOS, scenarioNames } from './registry';
import { batchRoute, canonicalRoute, type AnyScenario } from './scenario';

const ROOT = resolve(__dirname, '..', '..', '..');

/** The protobuf JSON codec of each scenario's request message, by gRPC service. */
const REQUESTS: Record<string, { fromJSON(json: unknown): unknown; toJSON(message: never): unknown }> = {
  'blackfriday.ProductSaleService': blackfriday.ProductSaleRequest,
  'weather.WeatherService': weather.WeatherReportRequest,
  'olympics.OlympicsService': olympics.ParticipantRequest,
};

/** Every command in the README's bash blocks, continuation lines joined. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```bash\n([^]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'));
}

/** The JSON after `-d '…'` in a command. */
function body(command: string): unknown {
  const data = /\s-d\s+'([^']*)'/.exec(command);
  assert.ok(data, `no -d '…' body in: ${command}`);
  return JSON.parse(data[1]);
}

function scenarioOfRoute(path: string): { scenario: AnyScenario; batch: boolean } {
  for (const scenario of SCENARIOS) {
    if (path === canonicalRoute(scenario) || scenario.aliases.includes(path)) return { scenario, batch: false };
    if (path === batchRoute(scenario)) return { scenario, batch: true };
  }
  assert.fail(`the README posts to ${path}, which no scenario serves`);
}

describe('the README shows request bodies the scenarios accept', () => {
  const commands = readmeCommands();
  const posts = commands.filter((c) => /^\s*curl\s/.test(c) && /\s-d\s/.test(c));
  const calls = commands.filter((c) => /^\s*grpcurl\s/.test(c));

  it('every curl body passes its scenario schema, and each scenario has one', () => {
    const shown = new Set<string>();
    for (const command of posts) {
      const url = /(?:localhost|127\.0\.0\.1):\d+(\/\S*)/.exec(command);
      assert.ok(url, `no local URL in: ${command}`);
      const { scenario, batch } = scenarioOfRoute(url[1]);
      const json = body(command);
      for (const event of batch ? (json as unknown[]) : [json]) {
        const parsed = scenario.body.safeParse(event);
        assert.ok(parsed.success, `${scenario.name} body ${JSON.stringify(event)}: ${parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      shown.add(scenario.name);
    }
    assert.deepEqual([...shown].sort(), scenarioNames().sort(), 'a curl example for every scenario');
  });

  it('the grpcurl call names a real method and proto, and its body is the valid message in protobuf JSON', () => {
    assert.ok(calls.length >= 1, 'the README shows a grpcurl call');
    for (const command of calls) {
      const proto = /-import-path\s+(\S+)\s+-proto\s+(\S+)/.exec(command);
      assert.ok(proto && existsSync(join(ROOT, proto[1], proto[2])), `-import-path/-proto name no file: ${command}`);
      const target = /\s(\S+)\/(\w+)\s*$/.exec(command);
      assert.ok(target, `no service/Method at the end of: ${command}`);
      const [, service, method] = target;
      const scenario = SCENARIOS.find((s) => s.grpc.serviceName === service);
      assert.ok(scenario, `no scenario serves ${service}`);
      const definition = scenario.grpc.service[scenario.grpc.method] as { path: string };
      assert.equal(definition.path, `/${service}/${method}`);
      const json = body(command);
      const codec = REQUESTS[service];
      const message = codec.fromJSON(json);
      // toJSON drops what fromJSON ignored (unknown or misspelt fields): the body must survive unchanged.
      assert.deepEqual(codec.toJSON(message as never), json);
      assert.equal(scenario.checkMessage(message), undefined);
    }
  });

  it('would notice a body its schema refuses', () => {
    const { scenario } = scenarioOfRoute('/api/v1/weather/events');
    assert.equal(scenario.body.safeParse({ municipality: 'mixco', temperature: 24.55, humidity: 61.2, weather: 'cloudy' }).success, false);
  });
});
