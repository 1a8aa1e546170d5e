import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { opt, parseCommandLine, UsageError } from '@oleada/local';
import { abEnv, AB_OPTIONS, checkAbOptions, wantsAb } from './options';

const spec = { usage: 'bench', summary: 'test', options: { ...AB_OPTIONS, only: opt.string('sections') } };
const parse = (...argv: string[]) => parseCommandLine(spec, argv)?.values;

describe('the A/B options', () => {
  it('read a ref, a planted cost, and the defaults of rounds, rate and seconds', () => {
    const values = parse('--ab', 'HEAD~1', '--ab-planted', '25');
    assert.ok(values);
    assert.equal(values.ab, 'HEAD~1');
    assert.equal(values['ab-planted'], 25);
    assert.equal(values['ab-rounds'], 5);
    assert.equal(values['ab-rate'], undefined, 'unset: AB_DEFAULT_RATE, unless --ab-saturate');
    assert.equal(values['ab-saturate'], false);
    assert.equal(values['ab-seconds'], 15);
    assert.ok(wantsAb(values));
    assert.equal(wantsAb(parse() ?? {}), false);
  });

  it('refuse fewer than 2 rounds, a planted cost of 0, and a ref that names no commit', () => {
    assert.throws(() => parse('--ab-rounds', '1'), UsageError);
    assert.throws(() => parse('--ab-planted', '0'), UsageError);
    assert.match(checkAbOptions({ ab: 'no-such-ref-of-oleada' }) ?? '', /--ab: no-such-ref-of-oleada names no commit/);
    assert.equal(checkAbOptions({ ab: 'HEAD' }), undefined);
    assert.match(checkAbOptions({ only: 'sweep,ab' }) ?? '', /--only ab needs --ab/);
    assert.equal(checkAbOptions({ only: 'ab', 'ab-planted': 20 }), undefined);
  });

  it('read a tracing ratio and saturation; refuse a ratio above 1, a negative one, and saturation with a rate', () => {
    const values = parse('--ab-tracing', '0.01', '--ab-saturate');
    assert.ok(values);
    assert.equal(values['ab-tracing'], 0.01);
    assert.equal(values['ab-saturate'], true);
    assert.ok(wantsAb(values));
    assert.equal(checkAbOptions(values), undefined);
    assert.equal(checkAbOptions({ only: 'ab', 'ab-tracing': 0 }), undefined, '0: the SDK on, nothing sampled');
    assert.match(checkAbOptions({ 'ab-tracing': 1.5 }) ?? '', /--ab-tracing: a ratio of events from 0 to 1 \(0\.01 is 1 %\), got 1\.5/);
    assert.throws(() => parse('--ab-tracing=-0.1'), /must be a number ≥ 0, got "-0\.1"/);
    assert.throws(() => parse('--ab-tracing', 'all'), UsageError);
    assert.match(checkAbOptions(parse('--ab-tracing', '1', '--ab-saturate', '--ab-rate', '500') ?? {}) ?? '', /--ab-saturate and --ab-rate/);
    assert.match(checkAbOptions({ only: 'ab' }) ?? '', /--only ab needs --ab <ref>, --ab-planted <µs>, --ab-tracing <ratio> or --ab-env <NAME=VALUE>/);
  });

  it("read B's environment, NAME=VALUE, repeatable; refuse an entry without a name", () => {
    const values = parse('--ab-env', 'MALLOC_ARENA_MAX=2', '--ab-env', 'OLEADA_X=a=b', '--only', 'ab');
    assert.ok(values);
    assert.ok(wantsAb(values));
    assert.equal(checkAbOptions(values), undefined);
    assert.deepEqual(abEnv(values['ab-env']), { MALLOC_ARENA_MAX: '2', OLEADA_X: 'a=b' });
    assert.deepEqual(abEnv(undefined), {});
    assert.match(checkAbOptions({ 'ab-env': ['=2'] }) ?? '', /--ab-env: NAME=VALUE .* got "=2"/);
    assert.match(checkAbOptions({ 'ab-env': ['lower=1'] }) ?? '', /--ab-env/);
    assert.match(checkAbOptions({ 'ab-env': ['NOVALUE'] }) ?? '', /--ab-env/);
  });
});
