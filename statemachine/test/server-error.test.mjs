// DynamoDB's InternalServerError that outlasts the SDK's own retries
// reaches the state machine as ServiceError, which it retries with backoff;
// a ValidationException reaches it as RequestRejected, which it does not.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEST, assertRoute, runWithFault } from '../testhost.mjs';

describe('an InternalServerError past the SDK\'s retries', () => {
  let h;
  let result;
  let retried;
  before(async () => {
    // The SDK makes 3 attempts; the third failure reaches the state machine.
    ({ h, result, retried } = await runWithFault({ operation: 'CreateBackup', errorCode: 'InternalServerError', tablePattern: 'xrb-tmp.*', times: 3 }));
  });
  after(() => h?.stop());

  test('is retried by the state machine, and the table succeeds', () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.ok(retried.some((e) => e.state.name === 'PollTemporaryTable' && e.retry.retrier.ErrorEquals.includes('ServiceError')), 'no ServiceError retry');
    assertRoute(result, { table: 'orders', region: DEST, enters: ['PollTemporaryTable', 'FinishCopy'], avoids: ['CleanUpTemporaryTable'] });
  });
});

describe('a request DynamoDB rejects', () => {
  let h;
  let result;
  let retried;
  before(async () => {
    ({ h, result, retried } = await runWithFault({
      operation: 'CreateBackup', errorCode: 'ValidationException', tablePattern: 'xrb-tmp.*', times: 0, message: 'injected: 1 validation error detected',
    }));
  });
  after(() => h?.stop());

  test('fails the copy as RequestRejected, not InvalidInput, without a retry', () => {
    assert.equal(result.status, 'FAILED');
    const cause = JSON.parse(result.cause);
    assert.deepEqual(cause.failures.map((f) => [f.table, f.error]), [['orders', 'RequestRejected']]);
    assert.match(cause.failures[0].cause, /DynamoDB rejected CreateBackup/);
    assert.match(cause.failures[0].cause, /injected: 1 validation error detected/);
    assert.deepEqual(retried.filter((e) => e.state.name === 'PollTemporaryTable'), []);
    assertRoute(result, { table: 'orders', region: DEST, enters: ['PollTemporaryTable', 'CleanUpTemporaryTable', 'RecordCopyOutcome'] });
  });
});
