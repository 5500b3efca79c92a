// A DeleteTable that IAM refuses, as in a region where DynamoDB's
// attribute-based access control is off and the policy still conditions the
// delete on a tag: the copy fails with AccessDenied at once (no retry can
// cure it), and the summary names the table, the error and what to check.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEST, SOURCE, assertRoute, createTable, startTestHost } from '../testhost.mjs';

describe('a temporary table whose delete is denied', () => {
  let h;
  let result;
  const retried = [];
  before(async () => {
    h = await startTestHost();
    for (const t of ['orders', 'users']) await createTable(h, SOURCE, t);
    await h.admin('POST', 'faults', {
      operation: 'DeleteTable', errorCode: 'AccessDeniedException', tablePattern: 'xrb-tmp.*.orders', times: 0,
      message: 'User: arn:aws:sts::123456789012:assumed-role/delete-table/fn is not authorized to perform: dynamodb:DeleteTable',
    });
    result = await h.run({}, { onEvent: (e) => e.type === 'StateRetried' && retried.push(e) });
  });
  after(() => h?.stop());

  test('fails the execution, naming the table and AccessDenied', () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed');
    const cause = JSON.parse(result.cause);
    assert.deepEqual(cause.failures.map((f) => [f.table, f.region, f.error]), [['orders', DEST, 'AccessDenied']]);
    assert.match(cause.failures[0].cause, /DeleteTable/);
    assert.match(cause.failures[0].cause, /IAM policy/);
  });

  test('is not retried', () => {
    assert.deepEqual(retried.filter((e) => e.state.name === 'FinishCopy' || e.state.name === 'CleanUpTemporaryTable'), []);
    assert.equal(result.metrics.dynamodbCallsByOperation.DeleteTable, 3, 'one delete of each temporary table, and the clean-up\'s of the refused one');
  });

  test('takes the failure path for that copy, and only for it', () => {
    assertRoute(result, {
      table: 'orders', region: DEST,
      enters: ['RestoreTemporaryTable', 'PollTemporaryTable', 'FinishCopy', 'CleanUpTemporaryTable', 'RecordCopyOutcome'],
    });
    assertRoute(result, {
      table: 'users', region: DEST,
      enters: ['FinishCopy'],
      avoids: ['CleanUpTemporaryTable', 'RecordCopyOutcome'],
    });
  });
});
