import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentOf, summarizeProfile, type CpuProfile } from './cpu-profile';

describe('CPU profile summary', () => {
  it('names the component a frame belongs to', () => {
    assert.equal(componentOf('file:///work/main/node_modules/@grpc/grpc-js/build/src/client.js', 'makeUnaryRequest'), '@grpc/grpc-js');
    assert.equal(componentOf('/work/main/node_modules/undici/lib/dispatcher/pool.js', 'x'), 'undici');
    assert.equal(componentOf('node:internal/http2/core', 'request'), 'node http2');
    assert.equal(componentOf('node:_http_server', 'parserOnIncoming'), 'node http');
    assert.equal(componentOf('node:internal/streams/readable', 'read'), 'node net/streams');
    assert.equal(componentOf('/work/main/libs/gateway/dist/gateway.routes.js', 'single'), 'oleada code');
    assert.equal(componentOf('', '(garbage collector)'), 'GC');
    assert.equal(componentOf('', '(idle)'), '(idle)');
    assert.equal(componentOf('', 'writev'), 'native (writev)');
  });

  it('counts self time of non-idle samples inside the window only', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', '') },
        { id: 2, callFrame: frame('request', '/x/node_modules/undici/lib/a.js') },
        { id: 3, callFrame: frame('parse', '/x/node_modules/zod/lib/b.js') },
        { id: 4, callFrame: frame('wrapSafe', 'node:internal/modules/cjs/loader') },
      ],
      startTime: 1_000,
      // at 1100 (startup, outside), then 2000, 2100, 2200, 2300 inside [2000, 2300], then 5000 outside
      samples: [4, 2, 2, 3, 1, 4],
      timeDeltas: [100, 900, 100, 100, 100, 2700],
    };
    const summary = summarizeProfile(profile, { fromUs: 2000, toUs: 2300 });
    assert.equal(summary.busyMs, 1.1);
    assert.deepEqual(
      summary.components.map((c) => [c.name, Number(c.share.toFixed(3))]),
      [
        ['undici', 0.909],
        ['zod', 0.091],
      ],
    );
    assert.equal(summary.functions[0].name, 'request undici/lib/a.js:1');
    assert.equal(summarizeProfile(profile).components.length, 3, 'without a window every busy sample counts');
  });
});
