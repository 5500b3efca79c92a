// Failures injected in the emulator, bad input and dry runs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { loadDefinition } from '../lib/definition.mjs';
import {
  DEST, MACHINE, SOURCE, assertRoute, createTable, noTempTablesLeft, runWithFault, startTestHost, state, tempTableName, toolBackups, userTables, writes,
} from '../testhost.mjs';

describe('a restore that fails for one table', () => {
  let h;
  let result;
  before(async () => {
    h = await startTestHost();
    for (const t of ['alpha', 'broken', 'gamma']) await createTable(h, SOURCE, t);
    await h.admin('POST', 'faults', {
      operation: 'RestoreTableFromBackup', errorCode: 'InternalServerError', message: 'injected restore failure',
      tablePattern: `xrb-tmp.*.broken`, times: 0,
    });
    result = await h.run();
  });
  after(() => h?.stop());

  test('fails the execution, naming the table', () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed');
    const cause = JSON.parse(result.cause);
    assert.deepEqual(cause.failures.map((f) => f.table), ['broken']);
    assert.equal(cause.failures[0].region, DEST);
    // The cause says what failed; Summarize cuts it to 300 characters.
    assert.match(cause.failures[0].cause, /RestoreTableFromBackup/);
    assert.match(cause.message, /1 of 3 tables failed/);
  });

  test('takes the failure path for that table, and only for it', () => {
    assertRoute(result, {
      table: 'broken', region: DEST,
      enters: ['RestoreTemporaryTable', 'CleanUpTemporaryTable', 'RecordCopyOutcome'],
      avoids: ['PollTemporaryTable', 'FinishCopy'],
    });
    // The table's iteration goes on: the source is still pruned.
    assertRoute(result, { table: 'broken', enters: ['BackUpSourceTable', 'CopyToDestinations', 'PruneSource'], avoids: ['RecordTableOutcome'] });
    for (const t of ['alpha', 'gamma']) {
      assertRoute(result, {
        table: t, region: DEST,
        enters: ['RestoreTemporaryTable', 'PollTemporaryTable', 'FinishCopy'],
        avoids: ['CleanUpTemporaryTable', 'RecordCopyOutcome'],
      });
    }
    assertRoute(result, { table: null, enters: ['ListTables', 'SweepOrphans', 'CopyTables', 'Summarize', 'TablesFailed'], avoids: ['Done'] });
  });

  test('still backs up the other tables', async () => {
    assert.equal(result.results.alpha.status, 'succeeded');
    assert.equal(result.results.gamma.status, 'succeeded');
    const inv = await h.inventory();
    assert.deepEqual(toolBackups(inv[DEST]).map((b) => b.name.split('.').pop()).toSorted(), ['alpha', 'gamma']);
  });

  test('leaves no temporary table behind', async () => {
    await noTempTablesLeft(h, [SOURCE, DEST]);
  });
});

describe('a table whose child execution fails outright', () => {
  let h;
  let result;
  before(async () => {
    h = await startTestHost();
    for (const t of ['alpha', 'broken']) await createTable(h, SOURCE, t);
    // An error the iteration does not catch: in this copy of the machine,
    // BackUpSourceTable lets its errors through.
    const definition = loadDefinition(MACHINE);
    delete definition.States.CopyTables.ItemProcessor.States.BackUpSourceTable.Catch;
    await h.admin('POST', 'faults', { operation: 'CreateBackup', errorCode: 'InternalServerError', message: 'injected backup failure', tablePattern: 'broken', times: 0 });
    result = await h.run({}, { definition });
  });
  after(() => h?.stop());

  test('does not stop the other tables, and the summary names its table and error', () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed', result.cause);
    assertRoute(result, { table: 'broken', enters: ['BackUpSourceTable'], avoids: ['RecordTableOutcome', 'CopyToDestinations'] });
    assert.equal(result.results.alpha.status, 'succeeded');
    const cause = JSON.parse(result.cause);
    assert.match(cause.message, /1 of 2 tables failed/);
    assert.deepEqual(cause.failures.map((f) => f.table), ['broken']);
    assert.equal(cause.failures[0].error, result.results.broken.error);
    assert.match(cause.failures[0].cause, /injected backup failure/);
  });
});

describe('a table that is left behind mid-copy', () => {
  let h;
  let result;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    // The temporary table is restored, but its backup cannot be made.
    await h.admin('POST', 'faults', { operation: 'CreateBackup', errorCode: 'InternalServerError', tablePattern: 'xrb-tmp.*', times: 0 });
    result = await h.run();
  });
  after(() => h?.stop());

  test('is cleaned up by the failure path', async () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed');
    assertRoute(result, {
      table: 'orders', region: DEST,
      enters: ['RestoreTemporaryTable', 'PollTemporaryTable', 'CleanUpTemporaryTable', 'RecordCopyOutcome'],
      avoids: ['FinishCopy'],
    });
    const s = await state(h);
    const temp = s.regions[DEST]?.tables?.[tempTableName(SOURCE, 'orders')];
    assert.ok(!temp || temp.status === 'DELETING', `temporary table left ${temp?.status}`);
    await noTempTablesLeft(h, [SOURCE, DEST]);
  });
});

describe('a restore quota error', () => {
  let h;
  let result;
  let retried;
  before(async () => {
    // The SDK retries LimitExceededException itself (3 attempts); the third
    // failure reaches the state machine as QuotaExceeded.
    ({ h, result, retried } = await runWithFault({ operation: 'RestoreTableFromBackup', errorCode: 'LimitExceededException', message: 'Too many concurrent restores', times: 3 }));
  });
  after(() => h?.stop());

  test('is retried by the state machine, and the table succeeds', async () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.ok(retried.some((e) => e.state.name === 'RestoreTemporaryTable' && e.retry.retrier.ErrorEquals.includes('QuotaExceeded')), 'no QuotaExceeded retry');
    assert.equal(result.metrics.dynamodbCallsByOperation.RestoreTableFromBackup, 4);
    assertRoute(result, {
      table: 'orders', region: DEST,
      enters: ['RestoreTemporaryTable', 'PollTemporaryTable', 'FinishCopy'],
      avoids: ['CleanUpTemporaryTable', 'RecordCopyOutcome'],
    });
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    assert.equal(toolBackups(inv[DEST]).length, 1);
  });
});

describe('bad input', () => {
  let h;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
  });
  after(() => h?.stop());

  const cases = [
    { name: 'an unknown field', input: { retentionDay: 7 }, field: 'retentionDay' },
    { name: 'a bad region', input: { destinationRegions: ['mars-north-1x'] }, field: 'destinationRegions' },
    { name: 'the source region as destination', input: { destinationRegions: [SOURCE] }, field: 'destinationRegions' },
    { name: 'keepLast 0', input: { keepLast: 0 }, field: 'keepLast' },
    { name: 'a value of the wrong type', input: { retentionDays: '7' }, field: 'retentionDays' },
    { name: 'a non-object', input: ['orders'], field: 'input' },
  ];
  for (const c of cases) {
    test(`${c.name} is rejected with InvalidInput naming the field, touching nothing`, async () => {
      const r = await h.run(c.input);
      assert.equal(r.status, 'FAILED');
      assert.equal(r.error, 'InvalidInput', r.cause);
      assertRoute(r, { enters: ['ListTables', 'InvalidInput'], avoids: ['SweepOrphans', 'CopyTables', 'Summarize'] });
      const cause = JSON.parse(r.cause);
      assert.equal(cause.errorType, 'InvalidInput');
      assert.match(cause.errorMessage, new RegExp(`invalid ${c.field}:`));
      assert.deepEqual(writes(r.metrics.dynamodbCallsByOperation), {});
      assert.equal(r.metrics.dynamodbCalls, 0, JSON.stringify(r.metrics.dynamodbCallsByOperation));
      assert.equal(r.metrics.lambdaInvocations, 1);
    });
  }

  test('nothing was created', async () => {
    const inv = await h.inventory();
    assert.deepEqual(inv[SOURCE].backups, []);
    assert.deepEqual(userTables(inv[DEST]), []);
  });
});

describe('a dry run', () => {
  let h;
  let result;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    await createTable(h, SOURCE, 'customers');
    result = await h.run({ dryRun: true });
  });
  after(() => h?.stop());

  test('reports what it would copy, and creates and deletes nothing', async () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.deepEqual(result.output.decided, { copy: 2 });
    assert.equal(result.output.tables, 0);
    // The plan admits nothing: the Map starts no child execution.
    assertRoute(result, { table: null, enters: ['ListTables', 'PlanCopies', 'CopyTables', 'Summarize', 'Done'] });
    assert.deepEqual(result.route.filter((e) => e.table !== undefined), []);
    // The only writes are the run ledger's.
    const { BatchWriteItem, PutItem, ...others } = writes(result.metrics.dynamodbCallsByOperation);
    assert.deepEqual(others, {});
    assert.ok(BatchWriteItem + (PutItem ?? 0) > 0);
    const inv = await h.inventory();
    assert.deepEqual(inv[SOURCE].backups, []);
    assert.deepEqual(inv[DEST].backups, []);
    assert.deepEqual(userTables(inv[DEST]), []);
  });
});
