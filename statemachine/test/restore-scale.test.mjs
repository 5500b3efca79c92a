// A restore of many tables with 255-character names: the plan's tables are
// in the run ledger, each child execution reads its own and writes its
// outcome there, so every state stays far under 256 KiB and every history
// under 25,000 events, as the runner enforces. make test restores 1,000
// tables; XRB_RESTORE_TABLES=10000 restores 10,000.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { historyObserver } from '../lib/bench.mjs';
import { loadDefinition, machineShape } from '../lib/definition.mjs';
import { HISTORY_LIMIT, MAX_PAYLOAD_BYTES } from '../lib/limits.mjs';
import {
  CATALOG, DEST, RESTORE_MACHINE, SOURCE, assertRoute, startTestHost, tempTableName,
} from '../testhost.mjs';

const N = Number(process.env.XRB_RESTORE_TABLES ?? 1000);
// Tables whose restore fails (an error DynamoDB does not retry).
const FAILING = [3, 500 % N, N - 1];
const TAKEN = '2026-11-24T00:00:00Z';

// 255-character names, the longest DynamoDB allows.
const tableName = (i) => `${'r'.repeat(250)}${String(i).padStart(5, '0')}`;

// Runs fn over items, `parallel` at a time.
async function inBatches(items, parallel, fn) {
  for (let i = 0; i < items.length; i += parallel) await Promise.all(items.slice(i, i + parallel).map(fn));
}

/**
 * What the backup workflow leaves in the destination region for each source
 * table, made directly (this test is about the restore): the backup of its
 * temporary table (deleted since), and its catalog entry keyed by source
 * region and table.
 */
async function seedCopies(h, names) {
  const arns = [];
  await inBatches(names.map((n, i) => [n, i]), 50, async ([table, i]) => {
    const temp = tempTableName(SOURCE, table);
    await h.ddb(DEST, 'CreateTable', {
      TableName: temp,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    const name = `xrb.20261124T000000Z.5ca1e0.${table.slice(0, 200)}.${i}`;
    const { BackupDetails } = await h.ddb(DEST, 'CreateBackup', { TableName: temp, BackupName: name });
    arns[i] = { arn: BackupDetails.BackupArn, name };
    // As the backup workflow does: the backup outlives its table.
    await h.ddb(DEST, 'DeleteTable', { TableName: temp });
  });
  const entries = names.map((table, i) => ({
    PutRequest: {
      Item: {
        pk: { S: `${SOURCE}#${table}` },
        sk: { S: arns[i].arn },
        backupCreatedAt: { S: TAKEN },
        entry: {
          S: JSON.stringify({
            sourceTable: table, sourceRegion: SOURCE, backupArn: arns[i].arn, backupName: arns[i].name, backupCreatedAt: TAKEN,
            recordedAt: TAKEN, runId: 'seeded', manifest: { sourceRegion: SOURCE, sourceTable: table, billingMode: 'PAY_PER_REQUEST', tableClass: 'STANDARD' },
          }),
        },
      },
    },
  }));
  const batches = [];
  for (let i = 0; i < entries.length; i += 25) batches.push(entries.slice(i, i + 25));
  await inBatches(batches, 20, (batch) => h.ddb(DEST, 'BatchWriteItem', { RequestItems: { [CATALOG]: batch } }));
}

describe(`a restore of ${N.toLocaleString('en')} tables with 255-character names`, () => {
  let h;
  let result;
  const names = Array.from({ length: N }, (_, i) => tableName(i));
  const shape = machineShape(loadDefinition(RESTORE_MACHINE));
  const history = historyObserver(shape, { FinishRestore: 'restored table' });
  let planSeconds;
  before(async () => {
    h = await startTestHost({ restoreTime: '0s' });
    // The seeding is this test's own set-up, made without the request
    // rates (CreateBackup is 50/s).
    const { rates } = await h.admin('GET', 'model');
    await h.admin('POST', 'model', { rates: Object.fromEntries(Object.keys(rates).map((op) => [op, 0])) });
    await h.admin('POST', 'durations', { tableCreate: 0, tableDelete: 0, backupCreate: 0, restore: 0, perMiB: 0 });
    await seedCopies(h, names);
    await h.admin('POST', 'model', { rates });
    for (const i of FAILING) {
      await h.admin('POST', 'faults', { operation: 'RestoreTableFromBackup', errorCode: 'ValidationException', message: 'injected', tablePattern: names[i], times: 0 });
    }
    // The plan runs at the documented rates: it calls nothing that has one
    // once per table. Each child then calls two operations that have one,
    // once: RestoreTableFromBackup, and ListTagsOfResource (FinishRestore
    // reads the restored table's settings), both 10/s, which would hold
    // 1,000 children for 100 seconds of real time (the SDK's pacing is not
    // on the runner's clock). Those two are relaxed for the Map only, once
    // the plan is made. The concurrent-restore quota stays: the Map runs 40
    // children at once.
    let planStarted;
    let relaxed;
    const started = Date.now();
    result = await h.restore({ tables: ['*'] }, {
      onEvent: (e) => {
        history.event(e);
        if (e.state?.name !== 'PlanRestore') return;
        if (e.type === 'StateEntered') planStarted = Date.now();
        if (e.type === 'StateExited') {
          planSeconds = (Date.now() - planStarted) / 1000;
          relaxed = h.admin('POST', 'model', { rates: { RestoreTableFromBackup: 0, ListTagsOfResource: 0 } });
        }
      },
    });
    await relaxed;
    console.log(`restore of ${N} tables: ${((Date.now() - started) / 1000).toFixed(1)}s (PlanRestore ${planSeconds.toFixed(1)}s at the default rates); `
      + `largest payload ${JSON.stringify(result.metrics.largestPayload)}; `
      + `history ${JSON.stringify(result.history)}; transitions per table ${result.metrics.perTableAverage.stateTransitions}`);
  });
  after(() => h?.stop());

  test('ends with its report: every table restored but the failing ones, each named', () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed', result.cause);
    const report = result.summary;
    assert.equal(report.tables, N);
    assert.equal(report.failed, FAILING.length);
    assert.equal(report.succeeded, N - FAILING.length);
    assert.deepEqual(report.failures.map((f) => f.table), FAILING.map((i) => names[i]).toSorted());
    for (const f of report.failures) {
      assert.equal(f.target, f.table);
      assert.equal(f.error, 'RequestRejected');
      assert.match(f.cause, /injected/);
    }
    assert.equal(report.results.length + (report.moreResults ?? 0), N);
    const ok = report.results.find((r) => r.status === 'succeeded');
    assert.equal(ok.target, ok.table);
    assert.ok(ok.backupArn && ok.backupCreatedAt && ok.itemCountNote, JSON.stringify(ok));
    assertRoute(result, { table: names[FAILING[0]], enters: ['StartRestore', 'RestoreFailed'], avoids: ['FinishRestore', 'TableRestored'] });
    assertRoute(result, { table: names[1], enters: ['StartRestore', 'WaitForRestoredTable', 'FinishRestore', 'RestoreFinished?', 'TableRestored'], avoids: ['RestoreFailed'] });
  });

  test('plans without a call that has a documented rate once per table, well within a Lambda invocation', () => {
    const calls = result.metrics.dynamodbCallsByOperation;
    // Every table ("*") is every table of the catalog: no DescribeBackup
    // (10/s) per table, and no ListBackups (5/s) per 100 backups.
    assert.equal(calls.DescribeBackup, undefined, JSON.stringify(calls));
    assert.equal(calls.ListBackups, undefined, JSON.stringify(calls));
    // Lambda's limit is 15 minutes; the functions are deployed with 5.
    assert.ok(planSeconds < 60, `PlanRestore took ${planSeconds}s`);
  });

  test('keeps every state within 256 KiB and every history within 25,000 events', () => {
    assert.ok(result.metrics.largestPayload.bytes <= MAX_PAYLOAD_BYTES, JSON.stringify(result.metrics.largestPayload));
    assert.ok(result.history.events < HISTORY_LIMIT, JSON.stringify(result.history));
    assert.ok(result.history.largestChild.events < HISTORY_LIMIT, JSON.stringify(result.history));
    // The plan carries indices, not tables: it grows by a few bytes a table.
    assert.ok(result.plan.items.length === N && JSON.stringify(result.plan).length < 12 * N + 1024, JSON.stringify(result.plan).length);
  });

  test('a restored table costs 5 state transitions: StartRestore, one Wait, FinishRestore, its Choice, the end', () => {
    const perTable = Object.entries(result.metrics.perTable).filter(([t]) => !FAILING.map((i) => names[i]).includes(t));
    assert.equal(perTable.length, N - FAILING.length);
    for (const [t, c] of perTable) assert.equal(c.stateTransitions, 5, `${t}: ${JSON.stringify(c)}`);
    const { child } = history.ledgers();
    // Per child: its start and end (2), five states entered and exited (10),
    // two Lambda invocations (3 events each): 18 history events; a failed
    // one, 12 (two states, two invocations).
    assert.equal(child.historyEvents, N * 18 - FAILING.length * 6, JSON.stringify(child));
  });
});
