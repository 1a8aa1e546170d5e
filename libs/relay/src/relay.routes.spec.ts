import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { httpStatusFor } from './relay.routes';

describe('gRPC status → HTTP', () => {
  it('maps caller errors to 422, transient faults to 503/504, the rest to 502', () => {
    assert.equal(httpStatusFor(status.INVALID_ARGUMENT), 422);
    assert.equal(httpStatusFor(status.UNAVAILABLE), 503);
    assert.equal(httpStatusFor(status.RESOURCE_EXHAUSTED), 503);
    assert.equal(httpStatusFor(status.DEADLINE_EXCEEDED), 504);
    assert.equal(httpStatusFor(status.INTERNAL), 502);
    assert.equal(httpStatusFor(status.UNKNOWN), 502);
  });
});
