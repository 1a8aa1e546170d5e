import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { histogramDelta, histogramOf, histogramQuantile, parsePrometheus, valueOf } from './prometheus';

const TEXT = `# HELP oleada_relay_grpc_duration_seconds relay → writer gRPC call latency
# TYPE oleada_relay_grpc_duration_seconds histogram
oleada_relay_grpc_duration_seconds_bucket{le="0.001",service="relay",scenario="blackfriday",code="OK"} 10
oleada_relay_grpc_duration_seconds_bucket{le="0.01",service="relay",scenario="blackfriday",code="OK"} 90
oleada_relay_grpc_duration_seconds_bucket{le="0.1",service="relay",scenario="blackfriday",code="OK"} 100
oleada_relay_grpc_duration_seconds_bucket{le="+Inf",service="relay",scenario="blackfriday",code="OK"} 100
oleada_relay_grpc_duration_seconds_sum{service="relay",scenario="blackfriday",code="OK"} 0.5
oleada_relay_grpc_duration_seconds_count{service="relay",scenario="blackfriday",code="OK"} 100
oleada_relay_grpc_duration_seconds_bucket{le="0.001",service="relay",scenario="blackfriday",code="UNAVAILABLE"} 0
oleada_relay_grpc_duration_seconds_bucket{le="+Inf",service="relay",scenario="blackfriday",code="UNAVAILABLE"} 3
oleada_relay_grpc_duration_seconds_sum{service="relay",scenario="blackfriday",code="UNAVAILABLE"} 9
oleada_relay_grpc_duration_seconds_count{service="relay",scenario="blackfriday",code="UNAVAILABLE"} 3
oleada_consumer_lag{service="consumer",topic="blackfriday.sales",partition="0"} 4
oleada_consumer_lag{service="consumer",topic="blackfriday.sales",partition="1"} 6
weird_label{path="a\\"b"} 1
`;

describe('Prometheus text and histograms', () => {
  const samples = parsePrometheus(TEXT);

  it('parses names, labels (with escapes) and values, skipping comments', () => {
    assert.equal(samples.length, 13);
    assert.deepEqual(samples.at(-1), { name: 'weird_label', labels: { path: 'a"b' }, value: 1 });
    assert.equal(valueOf(samples, 'oleada_consumer_lag'), 10);
    assert.equal(valueOf(samples, 'oleada_consumer_lag', { partition: '1' }), 6);
  });

  it('sums the series a filter selects into one histogram', () => {
    const ok = histogramOf(samples, 'oleada_relay_grpc_duration_seconds', { code: 'OK' });
    assert.deepEqual(ok.le, [0.001, 0.01, 0.1, Number.POSITIVE_INFINITY]);
    assert.deepEqual(ok.counts, [10, 90, 100, 100]);
    assert.equal(ok.count, 100);
    assert.equal(histogramOf(samples, 'oleada_relay_grpc_duration_seconds').count, 103);
  });

  it('interpolates quantiles inside the bucket, as histogram_quantile does', () => {
    const ok = histogramOf(samples, 'oleada_relay_grpc_duration_seconds', { code: 'OK' });
    assert.equal(histogramQuantile(ok, 0.05), 0.0005);
    assert.ok(Math.abs(histogramQuantile(ok, 0.5) - (0.001 + 0.009 * (40 / 80))) < 1e-12);
    assert.ok(Math.abs(histogramQuantile(ok, 0.99) - (0.01 + 0.09 * 0.9)) < 1e-12);
    const slow = histogramOf(samples, 'oleada_relay_grpc_duration_seconds', { code: 'UNAVAILABLE' });
    assert.equal(histogramQuantile(slow, 0.5), 0.001, 'values beyond the last bound report the last finite bound');
    assert.ok(Number.isNaN(histogramQuantile({ le: [], counts: [], sum: 0, count: 0 }, 0.5)));
  });

  it('subtracts an earlier scrape', () => {
    const after = histogramOf(samples, 'oleada_relay_grpc_duration_seconds', { code: 'OK' });
    const before = { le: [0.001, 0.01, 0.1, Number.POSITIVE_INFINITY], counts: [10, 10, 10, 10], sum: 0.01, count: 10 };
    const delta = histogramDelta(after, before);
    assert.deepEqual(delta.counts, [0, 80, 90, 90]);
    assert.equal(delta.count, 90);
    assert.ok(Math.abs(delta.sum - 0.49) < 1e-12);
  });
});
