/**
 * The fault suite: breaks the pipeline on purpose — crashes, a broker outage, overload, poison
 * records, hostile input — and proves that every accepted event is counted exactly once and that
 * nothing reaches data it should not. Real servers on the suite's own ports (Kafka 29192/29193,
 * Valkey 26479, and for the RabbitMQ path RabbitMQ 25673–25675), every app a real process. Writes
 * the measured tables to .cache/reports/faults/ (OLEADA_REPORT_DIR), and into docs/reliability.md
 * only when asked for, from a whole run (node --test takes no flags of its own, hence the variable):
 *   npm run test:faults
 *   OLEADA_WRITE_DOCS=1 npm run test:faults      # refresh docs/reliability.md; a filtered run is refused
 * (Named *.fault.ts, not *.spec.ts: it takes minutes, so `npm test` does not pick it up.)
 */
import { after, before, describe } from 'node:test';
import { FaultSuite } from './harness';
import { RabbitMQFaultStack } from './rabbitmq-stack';
import { brokerOutageTests } from './scenarios/broker-outage';
import { crashTests } from './scenarios/crashes';
import { fuzzTests } from './scenarios/fuzz';
import { hostileInputTests } from './scenarios/hostile';
import { overloadTests } from './scenarios/overload';
import { poisonTests } from './scenarios/poison';
import { rabbitmqTests } from './scenarios/rabbitmq';
import { shutdownTests } from './scenarios/shutdown';
import { valkeyAccessTests } from './scenarios/valkey-access';

const suite = new FaultSuite();

before(() => suite.start(), { timeout: 240_000 });
after(() => suite.cleanup(), { timeout: 120_000 });
// After the cleanup (a failing hook stops the later ones: a run that cannot clean up publishes nothing).
after(() => {
  const doc = suite.results.publish();
  process.stdout.write(`faults: report in ${suite.results.reportFile}${doc ? `, and ${doc} rewritten` : ''}\n`);
});

describe('Valkey access control', () => valkeyAccessTests(suite));
describe('poison records', () => poisonTests(suite));
describe('crashes under load', () => crashTests(suite));
describe('broker outage', () => brokerOutageTests(suite));
describe('rabbitmq path: the node and the consumer killed', () => {
  // Its own node and stack, started only here: a failure to start fails these tests with the reason.
  const rabbit = new RabbitMQFaultStack(suite);
  before(() => rabbit.start(), { timeout: 240_000 });
  after(() => rabbit.cleanup(), { timeout: 120_000 });
  rabbitmqTests(rabbit);
});
describe('hostile input', () => {
  fuzzTests(suite);
  hostileInputTests(suite);
});
describe('overload', () => overloadTests(suite));
describe('shutdown', () => shutdownTests(suite, 'z-shutdown', 'after every fault'));
