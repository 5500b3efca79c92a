// End to end: the restore state machine (restore.asl.json) in
// aws-local-stepfunctions, the real Go handlers in the local host, and the
// embedded DynamoDB emulator, after real backup executions.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  CATALOG, DEST, HOST_BIN, RESTORE_MACHINE, SOURCE, assertRoute, createTable, emulatorNow, eventually, startTestHost, userTables, writes,
} from '../testhost.mjs';
import {
  DRILL_SUFFIX, SETTINGS, compareSnapshots, drillReport, runDrill, settingValue, targetNamesFor, writeItems,
} from '../lib/drill.mjs';
import { setRegionDown } from '../lib/emulator.mjs';
import { DEFAULT_LEDGER_TABLE } from '../lib/facts.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const LONG = `long-${'n'.repeat(250)}`;
const DEMO_TABLES = ['audit-log', 'customers', LONG, 'orders'];

const ok = (r) => assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
const names = (ri) => userTables(ri).map((t) => t.name).sort();
const backupNames = (ri) => ri.backups.map((b) => b.name).sort();
// The route of a restore that InvalidInput stops before any table.
const REJECTED = { enters: ['PlanRestore', 'InvalidInput'], avoids: ['DryRun?', 'RestoreTables', 'Report'] };
const errorMessage = (r) => {
  const cause = JSON.parse(r.cause);
  assert.equal(cause.errorType, 'InvalidInput');
  return cause.errorMessage;
};

describe('the disaster drill: the source region is lost after a backup', () => {
  let h;
  let backup;
  let restore;
  let plan;
  const snapshots = {};
  const restored = {};
  let before_; // the target region before the restore
  let ownOrders; // the target region's own "orders" before the restore
  let input;

  before(async () => {
    // The demo: tables with items, indexes and every setting a backup does
    // not carry, a 255-character name, and a real "orders" in DEST.
    h = await startTestHost({ seed: true });
    backup = await h.run();
    ok(backup);
    for (const t of DEMO_TABLES) snapshots[t] = await h.snapshot(SOURCE, t);
    // Written after the backup: a restore must not bring these back.
    for (const t of DEMO_TABLES) await writeItems(h.emulator, SOURCE, t, 3);
    before_ = (await h.inventory([DEST]))[DEST];
    ownOrders = await h.snapshot(DEST, 'orders');
    await setRegionDown(h.emulator, SOURCE, true);
    input = { tables: ['*'], nameSuffix: DRILL_SUFFIX, targetNames: targetNamesFor(DEMO_TABLES, DRILL_SUFFIX) };
    restore = await h.restore(input, { onEvent: (e) => e.type === 'StateExited' && e.state.name === 'PlanRestore' && (plan = e.state.output) });
    for (const r of restore.output.results ?? []) restored[r.table] = await h.snapshot(DEST, r.target);
  });
  after(() => h?.stop());

  test('the source tables have every setting to bring back, and new items since the backup', async () => {
    const s = snapshots;
    assert.deepEqual(settingValue(s.orders.settings, 'ttl'), { ttlEnabled: true, ttlAttribute: 'expiresAt' });
    assert.deepEqual(settingValue(s.orders.settings, 'stream'), { streamEnabled: true, streamViewType: 'NEW_AND_OLD_IMAGES' });
    assert.deepEqual(settingValue(s.orders.settings, 'pitr'), { pitrEnabled: true, pitrRecoveryDays: 14 });
    assert.deepEqual(settingValue(s.orders.settings, 'tags'), { tags: { env: 'demo', team: 'payments' } });
    assert.equal(s.orders.settings.deletionProtection, true);
    assert.equal(s['audit-log'].settings.tableClass, 'STANDARD_INFREQUENT_ACCESS');
    assert.deepEqual(settingValue(s.customers.settings, 'billing'), { billingMode: 'PROVISIONED', readCapacity: 5, writeCapacity: 5 });
    assert.equal(LONG.length, 255);
    assert.ok(LONG.length + DRILL_SUFFIX.length > 255, 'the long name needs targetNames');
    assert.ok(input.targetNames[LONG].length <= 255 && input.targetNames[LONG].endsWith(DRILL_SUFFIX), input.targetNames[LONG]);
  });

  test('restores every table that has a backup, under the planned names', () => {
    ok(restore);
    assert.deepEqual(restore.tables.toSorted(), DEMO_TABLES.toSorted());
    assert.equal(restore.output.succeeded, DEMO_TABLES.length);
    assert.equal(restore.output.failed, 0);
    const targets = Object.fromEntries(restore.output.results.map((r) => [r.table, r.target]));
    assert.deepEqual(targets, {
      'audit-log': 'audit-log-dr', customers: 'customers-dr', orders: 'orders-dr', [LONG]: input.targetNames[LONG],
    });
    // Every backup came from the catalog (none found by name alone), and
    // the plan the state carries holds the tables' indices, not the tables.
    assert.equal(plan.catalogProblem, '');
    assert.deepEqual(plan.items, DEMO_TABLES.map((_, i) => i));
    assert.equal(plan.tables, DEMO_TABLES.length);
  });

  test('each restored table holds exactly what its source held at backup time', () => {
    for (const t of DEMO_TABLES) {
      assert.ok(restored[t], `${t} was not restored`);
      assert.equal(restored[t].items, snapshots[t].items, `${t}: item count`);
      assert.equal(restored[t].hash, snapshots[t].hash, `${t}: content`);
      // The report's count is DynamoDB's ItemCount, approximate (0 for a
      // table restored since its last refresh), and labelled so; the exact
      // contents are compared above.
      const reported = restore.output.results.find((r) => r.table === t);
      assert.equal(typeof reported.itemCount, 'number', `${t}: reported item count`);
      assert.ok(reported.itemCount >= 0 && reported.itemCount <= snapshots[t].items, `${t}: reported item count ${reported.itemCount}`);
      assert.match(reported.itemCountNote ?? '', /^approximate/, `${t}: reported item count's note`);
    }
  });

  for (const { name } of SETTINGS) {
    test(`setting ${name} equals the source's at backup time, on every table`, () => {
      for (const t of DEMO_TABLES) {
        assert.deepEqual(settingValue(restored[t].settings, name), settingValue(snapshots[t].settings, name), `${t}: ${name}`);
      }
    });
  }

  test('the report names the settings reapplied on each table', () => {
    const applied = Object.fromEntries(restore.output.results.map((r) => [r.table, (r.settingsApplied ?? []).toSorted()]));
    assert.deepEqual(applied.orders, ['deletionProtection', 'pitr', 'stream', 'tags', 'ttl']);
    assert.ok(applied.customers.includes('billing'), JSON.stringify(applied.customers));
    for (const r of restore.output.results) assert.ok(!r.noManifest, r.table);
  });

  test('touches only the target region, and there creates the targets and nothing else', async () => {
    assert.deepEqual(Object.keys(restore.metrics.dynamodbCallsByRegion), [DEST]);
    const after_ = (await h.inventory([DEST]))[DEST];
    const created = names(after_).filter((n) => !names(before_).includes(n));
    assert.deepEqual(created, restore.output.results.map((r) => r.target).sort());
    assert.deepEqual(backupNames(after_), backupNames(before_));
    // The real "orders" of the target region is as it was.
    assert.deepEqual(await h.snapshot(DEST, 'orders'), ownOrders);
  });

  test('creates nothing in the source region', async () => {
    await setRegionDown(h.emulator, SOURCE, false);
    const src = (await h.inventory([SOURCE]))[SOURCE];
    assert.deepEqual(names(src), DEMO_TABLES.toSorted());
    assert.equal(src.backups.length, DEMO_TABLES.length);
  });

  test('the drill compares as the drill report shows it', () => {
    const rows = DEMO_TABLES.map((t) => {
      const comparison = compareSnapshots(snapshots[t], restored[t]);
      return { table: t, target: `${t}-dr`, source: snapshots[t], restored: restored[t], comparison, problems: comparison.differences, ok: comparison.equal };
    });
    assert.ok(rows.every((r) => r.ok), JSON.stringify(rows.map((r) => r.problems)));
    const text = drillReport({ sourceRegion: SOURCE, targetRegion: DEST, tables: rows, problems: [], extraItems: 3, ok: true }).join('\n');
    assert.match(text, /Drill passed/);
    assert.match(text, /orders\s+orders-dr\s+40 → 40\s+equal\s+all 7 equal\s+ok/);
  });
});

describe('a drill in which one table does not come back', () => {
  let h;
  let drill;
  before(async () => {
    h = await startTestHost();
    for (const t of ['alpha', 'beta']) await createTable(h, SOURCE, t, { items: 4 });
    const backup = await h.run();
    ok(backup);
    await h.admin('POST', 'faults', { operation: 'RestoreTableFromBackup', errorCode: 'ValidationException', message: 'injected', tablePattern: 'beta-dr', times: 0 });
    drill = await runDrill({
      host: h.host, emulator: h.emulator, sourceRegion: SOURCE, targetRegion: DEST, tables: backup.tables,
      restoreDefinitionFile: RESTORE_MACHINE, waitMs: 20, retryMs: 10, log: null,
    });
  });
  after(() => h?.stop());

  test('fails, and its report says which table and why', () => {
    assert.equal(drill.ok, false);
    assert.equal(drill.restore.error, 'TablesFailed');
    assert.deepEqual(drill.tables.map((t) => [t.table, t.ok]), [['alpha', true], ['beta', false]]);
    assertRoute(drill.restore, { table: 'beta', enters: ['StartRestore', 'RestoreFailed'], avoids: ['FinishRestore', 'TableRestored'] });
    assertRoute(drill.restore, { table: 'alpha', enters: ['StartRestore', 'FinishRestore', 'TableRestored'], avoids: ['RestoreFailed'] });
    assertRoute(drill.restore, { table: null, enters: ['PlanRestore', 'RestoreTables', 'Report', 'RestoresFailed'], avoids: ['Restored'] });
    const text = drillReport(drill).join('\n');
    assert.match(text, /^ {2}alpha\s+alpha-dr\s+4 → 4\s+equal\s+all 7 equal\s+ok$/m);
    assert.match(text, /^ {2}beta\s+beta-dr\s+-\s+-\s+-\s+FAIL$/m);
    assert.match(text, /beta: restore failed: .*injected/);
    assert.match(text, /the restore execution FAILED: TablesFailed$/m);
    assert.match(text, /1 of 2 table\(s\) restored/);
    assert.match(text, /Drill FAILED/);
  });
});

describe('a restore whose outcomes cannot be written to the run ledger', () => {
  let h;
  let r;
  before(async () => {
    h = await startTestHost();
    for (const t of ['alpha', 'beta']) await createTable(h, SOURCE, t, { items: 2 });
    ok(await h.run());
    await h.admin('POST', 'faults', { operation: 'RestoreTableFromBackup', errorCode: 'ValidationException', message: 'injected', tablePattern: 'beta-x', times: 0 });
    // The restores take a moment, so that the ledger is unwritable before
    // any table's outcome is written (the plan itself is written).
    await h.admin('POST', 'latency', { operation: 'RestoreTableFromBackup', millis: 300 });
    let unwritable;
    r = await h.restore({ tables: ['alpha', 'beta'], nameSuffix: '-x' }, {
      onEvent: (e) => {
        if (e.type === 'StateExited' && e.state.name === 'PlanRestore') {
          unwritable = h.admin('POST', 'faults', { operation: 'BatchWriteItem', errorCode: 'ValidationException', message: 'ledger unwritable', times: 0 });
        }
      },
    });
    await unwritable;
  });
  after(() => h?.stop());

  test('still ends with its report, each table named from its item with its own error', () => {
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'TablesFailed', r.cause);
    assert.equal(r.summary.failed, 2);
    const failures = Object.fromEntries(r.summary.failures.map((f) => [f.table, f]));
    assert.deepEqual(Object.keys(failures).sort(), ['alpha', 'beta']);
    assert.equal(failures.alpha.error, 'RequestRejected');
    assert.match(failures.alpha.cause, /ledger unwritable/);
    assert.equal(failures.beta.error, 'RequestRejected');
    assert.match(failures.beta.cause, /injected/);
    assertRoute(r, { table: 'beta', enters: ['StartRestore', 'RestoreFailed', 'FailureNotRecorded'], avoids: ['FinishRestore'] });
    assertRoute(r, { table: 'alpha', enters: ['StartRestore', 'FinishRestore', 'RestoreFailed', 'FailureNotRecorded'], avoids: ['TableRestored'] });
  });
});

describe('the drill comparison', () => {
  const base = {
    items: 2,
    hash: 'h1',
    settings: {
      billingMode: 'PROVISIONED', readCapacity: 5, writeCapacity: 5, tableClass: 'STANDARD', deletionProtection: true,
      streamEnabled: true, streamViewType: 'NEW_IMAGE', ttlEnabled: true, ttlAttribute: 'exp', pitrEnabled: true, pitrRecoveryDays: 14,
      tags: { team: 'a', 'aws:cloudformation:stack-name': 's' },
    },
  };
  test('is equal for an equal table, whatever tool and AWS tags it has', () => {
    const c = compareSnapshots(base, { ...base, settings: { ...base.settings, tags: { team: 'a', 'xregion-backup:owner': 'x' } } });
    assert.ok(c.equal, c.differences.join('; '));
  });
  test('names each difference', () => {
    const c = compareSnapshots(base, {
      items: 3, hash: 'h2', settings: { ...base.settings, pitrRecoveryDays: 35, streamEnabled: false, writeCapacity: 1, tags: {} },
    });
    assert.equal(c.equal, false);
    assert.deepEqual(Object.entries(c.settings).filter(([, s]) => !s.equal).map(([n]) => n).sort(), ['billing', 'pitr', 'stream', 'tags']);
    assert.match(c.differences.join('\n'), /^items: 3, want 2$/m);
    assert.match(c.differences.join('\n'), /^content: /m);
    assert.match(c.differences.join('\n'), /^pitr: pitrEnabled=true pitrRecoveryDays=35, want pitrEnabled=true pitrRecoveryDays=14$/m);
  });
  test('maps only names too long for the suffix', () => {
    const t = targetNamesFor(['orders', LONG, `${LONG.slice(0, 253)}`], '-dr');
    assert.deepEqual(Object.keys(t).sort(), [LONG, LONG.slice(0, 253)].sort());
    for (const v of Object.values(t)) assert.equal(v.length, 255);
    assert.notEqual(t[LONG], t[LONG.slice(0, 253)]);
  });
});

describe('point-in-time selection across three backups', () => {
  let h;
  const runs = []; // {from, to, hash}: each backup's time window and content
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders', { items: 3, origin: 'first' });
    for (let i = 1; i <= 3; i++) {
      if (i > 1) {
        await h.admin('POST', 'clock', { advanceSeconds: 3600 });
        await h.ddb(SOURCE, 'PutItem', { TableName: 'orders', Item: { pk: { S: `added-${i}` }, sk: { S: 'v1' } } });
        await h.ddb(SOURCE, 'PutItem', { TableName: 'orders', Item: { pk: { S: 'item-0' }, sk: { S: 'v1' }, origin: { S: `changed-${i}` } } });
      }
      const from = await emulatorNow(h);
      ok(await h.run());
      const to = await emulatorNow(h);
      runs.push({ from, to, hash: (await h.snapshot(SOURCE, 'orders')).hash });
    }
    await h.admin('POST', 'clock', { advanceSeconds: 600 });
  });
  after(() => h?.stop());

  test('the three backups hold different content', () => {
    assert.equal(new Set(runs.map((r) => r.hash)).size, 3);
  });

  test('a time between the 2nd and 3rd backup restores the 2nd', async () => {
    const pointInTime = new Date(runs[1].to + 1800 * 1000).toISOString();
    const r = await h.restore({ tables: ['orders'], pointInTime, nameSuffix: '-pit' });
    ok(r);
    const [res] = r.output.results;
    const taken = Date.parse(res.backupCreatedAt);
    assert.ok(taken >= runs[1].from - 1000 && taken <= runs[1].to, `backup of ${res.backupCreatedAt} is not the 2nd`);
    assert.equal((await h.snapshot(DEST, 'orders-pit')).hash, runs[1].hash);
  });

  test('no point in time restores the newest', async () => {
    const r = await h.restore({ tables: ['orders'], nameSuffix: '-latest' });
    ok(r);
    assert.equal((await h.snapshot(DEST, 'orders-latest')).hash, runs[2].hash);
  });

  test('a time before the first backup is InvalidInput naming the oldest', async () => {
    const pointInTime = new Date(runs[0].from - 86400 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const r = await h.restore({ tables: ['orders'], pointInTime, nameSuffix: '-early' });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'InvalidInput');
    const msg = errorMessage(r);
    assert.match(msg, new RegExp(`"orders" has no backup at or before ${pointInTime}`));
    assertRoute(r, REJECTED);
    const oldest = /its oldest is from (\S+)/.exec(msg)?.[1];
    assert.ok(oldest, msg);
    assert.ok(Date.parse(oldest) >= runs[0].from - 1000 && Date.parse(oldest) <= runs[0].to, `${oldest} is not the first backup`);
    assert.deepEqual(writes(r.metrics.dynamodbCallsByOperation), {});
  });
});

describe('a restore whose newest backup was deleted after its catalog entry was written', () => {
  let h;
  const copies = []; // each backup run's destination backup, oldest first, with the source's content then
  const destBackups = async () => (await h.ddb(DEST, 'ListBackups', { BackupType: 'USER' })).BackupSummaries;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders', { items: 3 });
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        await h.admin('POST', 'clock', { advanceSeconds: 3600 });
        await h.ddb(SOURCE, 'PutItem', { TableName: 'orders', Item: { pk: { S: `added-${i}` }, sk: { S: 'v1' } } });
      }
      const known = new Set((await destBackups()).map((b) => b.BackupArn));
      ok(await h.run());
      const made = (await destBackups()).filter((b) => !known.has(b.BackupArn));
      assert.equal(made.length, 1, JSON.stringify(made));
      copies.push({ arn: made[0].BackupArn, hash: (await h.snapshot(SOURCE, 'orders')).hash });
    }
    assert.equal(new Set(copies.map((c) => c.hash)).size, 3);
  });
  after(() => h?.stop());

  // The run ledger's outcome of the restore's one table.
  const outcome = async (r) => {
    const { Item } = await h.ddb(DEST, 'GetItem', {
      TableName: DEFAULT_LEDGER_TABLE, Key: { pk: { S: `run#${r.plan.runId}` }, sk: { S: 'outcome#000000#-' } }, ConsistentRead: true,
    });
    return JSON.parse(Item.data.S);
  };

  test('restores the previous backup, and says which one and why the newest was skipped', async () => {
    await h.ddb(DEST, 'DeleteBackup', { BackupArn: copies[2].arn });
    const r = await h.restore({ tables: ['orders'], nameSuffix: '-fallback' });
    ok(r);
    const [res] = r.output.results;
    assert.equal(res.backupArn, copies[1].arn);
    assert.equal((await h.snapshot(DEST, 'orders-fallback')).hash, copies[1].hash);
    const recorded = await outcome(r);
    assert.equal(recorded.backupArn, copies[1].arn);
    assert.equal(recorded.backupsSkipped.length, 1, JSON.stringify(recorded));
    assert.equal(recorded.backupsSkipped[0].backupArn, copies[2].arn);
    assert.match(recorded.backupsSkipped[0].reason, new RegExp(`not found in ${DEST} when the restore started`));
    // The plan described no backup.
    assert.equal(r.metrics.dynamodbCallsByOperation.DescribeBackup, undefined, JSON.stringify(r.metrics.dynamodbCallsByOperation));
    assertRoute(r, { table: 'orders', enters: ['StartRestore', 'FinishRestore', 'TableRestored'], avoids: ['RestoreFailed'] });
  });

  test('with every planned backup gone, fails the table naming it and what to do', async () => {
    let pruned;
    const r = await h.restore({ tables: ['orders'], nameSuffix: '-gone' }, {
      // Deleted after the plan, before the restore starts.
      onEvent: (e) => {
        if (e.type === 'StateExited' && e.state.name === 'PlanRestore') {
          pruned = Promise.all(copies.slice(0, 2).map((c) => h.ddb(DEST, 'DeleteBackup', { BackupArn: c.arn })));
        }
      },
    });
    await pruned;
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'TablesFailed', r.cause);
    const [f] = r.summary.failures;
    assert.equal(f.table, 'orders');
    assert.equal(f.error, 'BackupsGone');
    assert.match(f.cause, /restore of table \\?"orders\\?": all 3 backup\(s\) planned for it .* are gone from eu-central-1.*start a new restore of this table/);
    assertRoute(r, { table: 'orders', enters: ['StartRestore', 'RestoreFailed'], avoids: ['FinishRestore'] });
    assert.ok(!names((await h.inventory([DEST]))[DEST]).includes('orders-gone'));
  });
});

describe('a restore with the catalog missing', () => {
  let h;
  let source;
  let r;
  let plan;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders', { items: 7, tags: { team: 'payments' } });
    await h.ddb(SOURCE, 'UpdateTimeToLive', { TableName: 'orders', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    ok(await h.run());
    source = await h.snapshot(SOURCE, 'orders');
    await h.ddb(DEST, 'DeleteTable', { TableName: CATALOG });
    await eventually(async () => !names((await h.inventory([DEST]))[DEST]).includes(CATALOG), { what: 'the catalog to be deleted' });
    r = await h.restore({ tables: ['orders'], nameSuffix: '-restored' }, {
      onEvent: (e) => e.type === 'StateExited' && e.state.name === 'PlanRestore' && (plan = e.state.output),
    });
  });
  after(() => h?.stop());

  test('finds the backup by its name and restores the data', async () => {
    ok(r);
    assert.equal(plan.tables, 1);
    assert.match(plan.catalogProblem, new RegExp(`catalog table ${CATALOG} does not exist in ${DEST}`));
    const restored = await h.snapshot(DEST, 'orders-restored');
    assert.equal(restored.items, source.items);
    assert.equal(restored.hash, source.hash);
  });

  test('says that no settings were applied, and applies none', async () => {
    const [res] = r.output.results;
    assert.equal(res.noManifest, true);
    assert.deepEqual(res.settingsApplied ?? [], []);
    assertRoute(r, { table: 'orders', enters: ['StartRestore', 'FinishRestore', 'TableRestored'], avoids: ['RestoreFailed'] });
    const restored = await h.snapshot(DEST, 'orders-restored');
    assert.equal(source.settings.ttlEnabled, true);
    assert.equal(restored.settings.ttlEnabled, false);
    assert.deepEqual(settingValue(restored.settings, 'tags'), { tags: {} });
    assert.ok(!(r.metrics.dynamodbCallsByOperation.TagResource || r.metrics.dynamodbCallsByOperation.UpdateTimeToLive));
  });
});

describe('a catalog entry recorded before the source region was part of its key', () => {
  let h;
  let source;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders', { items: 5, tags: { team: 'payments' } });
    ok(await h.run());
    source = await h.snapshot(SOURCE, 'orders');
    // Moves the table's entries to the legacy key: the source table alone.
    const { Items } = await h.ddb(DEST, 'Scan', { TableName: CATALOG });
    const entries = Items.filter((i) => i.pk.S === `${SOURCE}#orders`);
    assert.equal(entries.length, 1, JSON.stringify(Items.map((i) => i.pk.S)));
    for (const item of entries) {
      await h.ddb(DEST, 'DeleteItem', { TableName: CATALOG, Key: { pk: item.pk, sk: item.sk } });
      await h.ddb(DEST, 'PutItem', { TableName: CATALOG, Item: { ...item, pk: { S: 'orders' } } });
    }
  });
  after(() => h?.stop());

  test('still restores, with its settings, with or without sourceRegion', async () => {
    for (const [suffix, extra] of [['-legacy', {}], ['-legacy2', { sourceRegion: SOURCE }]]) {
      const r = await h.restore({ tables: ['orders'], nameSuffix: suffix, ...extra });
      ok(r);
      const [res] = r.output.results;
      assert.equal(r.output.catalogProblem ?? '', '', 'found in the catalog, not by name');
      assert.ok(!res.noManifest && res.settingsApplied.includes('tags'), JSON.stringify(res));
      assert.equal((await h.snapshot(DEST, `orders${suffix}`)).hash, source.hash);
    }
  });

  test('is not taken for another source region\'s', async () => {
    const r = await h.restore({ tables: ['orders'], nameSuffix: '-other', sourceRegion: 'us-west-2' });
    assert.equal(r.error, 'InvalidInput');
    assert.match(errorMessage(r), /"orders" has no backup made by this tool in eu-central-1/);
  });
});

describe('bad restore input', () => {
  let h;
  let before_;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    await createTable(h, SOURCE, 'customers');
    ok(await h.run());
    // A real table in the target region with a source table's name.
    await createTable(h, DEST, 'orders', { origin: 'destination-own' });
    await h.admin('POST', 'clock', { advanceSeconds: 60 });
    before_ = await h.inventory();
  });
  after(() => h?.stop());

  const now = async () => emulatorNow(h);
  const cases = [
    { name: 'an unknown field', input: { tables: ['orders'], nameSufix: '-x' }, want: /invalid nameSufix: unknown field; allowed fields are .*nameSuffix/ },
    { name: 'a field of the wrong type', input: { tables: 'orders' }, want: /invalid tables: expected \[\]string, got a JSON string/ },
    { name: 'a malformed pointInTime', input: { tables: ['orders'], pointInTime: 'yesterday', nameSuffix: '-x' }, want: /pointInTime: "yesterday" is not an RFC 3339 time/ },
    {
      name: 'a pointInTime in the future',
      input: async () => ({ tables: ['orders'], pointInTime: new Date((await now()) + 86400e3).toISOString(), nameSuffix: '-x' }),
      want: /pointInTime: \S+ is in the future/,
    },
    { name: 'an unknown table', input: { tables: ['no-such-table'], nameSuffix: '-x' }, want: /tables: "no-such-table" has no backup made by this tool in eu-central-1; check the name/ },
    {
      name: 'no backup at or before the time',
      input: async () => ({ tables: ['orders'], pointInTime: new Date((await now()) - 86400e3).toISOString(), nameSuffix: '-x' }),
      want: /"orders" has no backup at or before \S+ in eu-central-1; its oldest is from /,
    },
    { name: 'a target table that exists', input: { tables: ['orders'] }, want: /target table "orders" already exists in eu-central-1; a restore never overwrites/ },
    {
      name: 'two tables with one target',
      input: { tables: ['orders', 'customers'], targetNames: { orders: 'same-dr', customers: 'same-dr' } },
      want: /tables "\w+" and "\w+" would both be restored as "same-dr"; set targetNames/,
    },
    { name: 'a bad targetRegion', input: { tables: ['orders'], targetRegion: 'mars-1', nameSuffix: '-x' }, want: /targetRegion: "mars-1" is not an AWS region name/ },
    { name: 'a region without backups', input: { tables: ['orders'], targetRegion: 'us-west-2', nameSuffix: '-x' }, want: /"orders" has no backup made by this tool in us-west-2/ },
    { name: 'empty tables', input: { tables: [] }, want: /tables: name at least one table, or \["\*"\]/ },
    { name: 'no tables at all', input: {}, want: /tables: name at least one table/ },
    { name: 'a target name too long', input: { tables: ['orders'], targetNames: { orders: 'x'.repeat(256) } }, want: /targetNames.orders: "x+" must be 3 to 255 characters long/ },
    { name: 'a non-object', input: ['orders'], want: /invalid input: must be a JSON object, got a JSON array/ },
    { name: 'a string', input: 'orders', want: /invalid input: must be a JSON object, got a JSON string/ },
    {
      name: 'several problems at once, in one error',
      input: { tables: ['*', 'orders'], pointInTime: 'soon', targetRegion: 'mars-1', nameSuffix: '!' },
      want: /4 problems: .*"\*" already means every table.*pointInTime: "soon".*targetRegion: "mars-1".*nameSuffix: "!"/,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: InvalidInput naming the problem, nothing created`, async () => {
      const input = typeof c.input === 'function' ? await c.input() : c.input;
      const r = await h.restore(input);
      assert.equal(r.status, 'FAILED');
      assert.equal(r.error, 'InvalidInput', r.cause);
      assert.match(errorMessage(r), c.want);
      assert.deepEqual(writes(r.metrics.dynamodbCallsByOperation), {}, JSON.stringify(r.metrics.dynamodbCallsByOperation));
      assert.equal(r.metrics.lambdaInvocations, 1, 'only PlanRestore ran');
      assertRoute(r, REJECTED);
    });
  }

  test('the table problems are each named', async () => {
    await createTable(h, DEST, 'customers-x');
    const r = await h.restore({ tables: ['orders', 'customers', 'no-such-table'], nameSuffix: '-x', targetNames: { orders: 'orders' } });
    const msg = errorMessage(r);
    assert.match(msg, /^invalid input: 3 problems: /);
    assert.match(msg, /target table "orders" already exists/);
    assert.match(msg, /target table "customers-x" already exists/);
    assert.match(msg, /"no-such-table" has no backup made by this tool/);
    assertRoute(r, REJECTED);
    await h.ddb(DEST, 'DeleteTable', { TableName: 'customers-x' });
    await eventually(async () => !names((await h.inventory([DEST]))[DEST]).includes('customers-x'), { what: 'customers-x deleted' });
  });

  test('a dry run creates nothing, and its output is the plan', async () => {
    const r = await h.restore({ tables: ['*'], nameSuffix: '-dry', dryRun: true });
    ok(r);
    // Only the plan, in the run ledger, is written.
    assert.deepEqual(writes(r.metrics.dynamodbCallsByOperation), { BatchWriteItem: 1 });
    assert.equal(r.output.dryRun, true);
    assert.equal(r.output.targetRegion, DEST);
    assertRoute(r, { enters: ['PlanRestore', 'DryRun?', 'PlanOnly'], avoids: ['RestoreTables', 'StartRestore'] });
    const backups = Object.fromEntries((await h.inventory([DEST]))[DEST].backups.map((b) => [b.name, b]));
    const plan = r.output.restores.map((i) => [i.table, i.target]).sort();
    assert.deepEqual(plan, [['customers', 'customers-dry'], ['orders', 'orders-dry']]);
    assert.deepEqual(r.output.items, [], 'a dry run restores nothing');
    assert.equal(r.output.moreRestores, undefined);
    assert.match(r.output.fullPlan, /run ledger/);
    // The plan describes no backup, and says when they are checked.
    assert.equal(r.metrics.dynamodbCallsByOperation.DescribeBackup, undefined);
    assert.match(r.output.availability, /checked when its table's restore starts/);
    for (const i of r.output.restores) {
      assert.ok(backups[i.backupName], `${i.backupName} is not a backup in ${DEST}`);
      assert.match(i.backupArn, new RegExp(`^arn:aws:dynamodb:${DEST}:`));
      assert.equal(i.foundBy, 'catalog');
    }
  });

  test('nothing was created by any of them', async () => {
    const inv = await h.inventory();
    for (const region of Object.keys(before_)) {
      assert.deepEqual(names(inv[region]), names(before_[region]), region);
      assert.deepEqual(backupNames(inv[region]), backupNames(before_[region]), region);
    }
  });

  test('a restore that fails for one table: the others finish, the execution fails naming it', async () => {
    await h.admin('POST', 'faults', {
      operation: 'RestoreTableFromBackup', errorCode: 'ValidationException', message: 'injected restore failure', tablePattern: 'customers-f', times: 0,
    });
    try {
      const r = await h.restore({ tables: ['orders', 'customers'], nameSuffix: '-f' });
      assert.equal(r.status, 'FAILED');
      assert.equal(r.error, 'TablesFailed');
      const cause = JSON.parse(r.cause);
      assert.match(cause.message, /1 of 2 tables failed/);
      assert.deepEqual(cause.failures.map((f) => f.table), ['customers']);
      assert.equal(cause.failures[0].target, 'customers-f');
      assert.match(cause.failures[0].cause, /injected restore failure/);
      assert.equal(r.results.orders.status, 'succeeded');
      assertRoute(r, { table: 'customers', enters: ['StartRestore', 'RestoreFailed'], avoids: ['FinishRestore', 'TableRestored'] });
      assertRoute(r, { table: 'orders', enters: ['StartRestore', 'FinishRestore', 'TableRestored'], avoids: ['RestoreFailed'] });
      assertRoute(r, { table: null, enters: ['Report', 'RestoresFailed'], avoids: ['Restored'] });
      const inv = (await h.inventory([DEST]))[DEST];
      assert.ok(names(inv).includes('orders-f'));
      assert.ok(!names(inv).includes('customers-f'));
      assert.equal((await h.snapshot(DEST, 'orders-f')).hash, (await h.snapshot(SOURCE, 'orders')).hash);
    } finally {
      await h.admin('DELETE', 'faults');
    }
  });
});

// The CLI, as `make run` and `make run-restore` use it.
function runCli(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, SOURCE_REGION: SOURCE, DESTINATION_REGIONS: DEST, ...env };
    delete childEnv.AWS_ENDPOINT_URL_DYNAMODB;
    const child = spawn(process.execPath, [path.join(here, '..', 'run.mjs'), ...args], { cwd: path.join(here, '..'), env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, last: JSON.parse(stdout.trim().split('\n').at(-1)) }));
  });
}

describe('run.mjs', () => {
  let dir;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'xrb-restore-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--drill backs up the demo, loses the source region, restores and compares', async () => {
    const r = await runCli(['--machine', 'backup.asl.json', '--host-bin', HOST_BIN, '--seed', '--drill', '--restore-time', '200ms', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.last.succeeded, 4, 'the last line is the restore output');
    assert.deepEqual(r.last.results.map((x) => x.target).filter((t) => t.length < 255).sort(), ['audit-log-dr', 'customers-dr', 'orders-dr']);
    assert.match(r.stderr, /Disaster drill: eu-west-1 down; 4 of 4 table\(s\) restored in eu-central-1/);
    for (const t of ['audit-log', 'customers', 'orders']) assert.match(r.stderr, new RegExp(`^  ${t}\\s+${t}-dr\\s+\\d+ → \\d+\\s+equal\\s+all 7 equal\\s+ok$`, 'm'));
    assert.match(r.stderr, /Drill passed/);
  });

  test('restore.asl.json with --seed=auto first backs up the demo tables, then restores', async () => {
    const input = path.join(dir, 'restore.json');
    writeFileSync(input, JSON.stringify({ tables: ['orders', 'customers'], nameSuffix: '-restored' }));
    const r = await runCli(['--machine', 'restore.asl.json', '--input', input, '--host-bin', HOST_BIN, '--seed=auto', '--restore-time', '200ms', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.last.succeeded, 2);
    assert.deepEqual(r.last.results.map((x) => x.target).sort(), ['customers-restored', 'orders-restored']);
    assert.match(r.stderr, /a backup execution runs first/);
    // The report's count is DynamoDB's approximate one, and says so; the
    // inventory after it counts exactly.
    assert.match(r.stderr, /restored: orders as orders-restored: about \d+ item\(s\) \(approximate\)/);
    assert.match(r.stderr, /^ +orders-restored +ACTIVE +40 item\(s\)$/m);
  });

  test('a restore that cannot be done exits 1 with the error as the last line', async () => {
    const input = path.join(dir, 'bad.json');
    writeFileSync(input, JSON.stringify({ tables: ['orders'] })); // "orders" exists in the destination
    const r = await runCli(['--machine', 'restore.asl.json', '--input', input, '--host-bin', HOST_BIN, '--seed=auto', '--restore-time', '200ms', '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.last.error, 'InvalidInput');
    assert.match(r.last.cause, /target table \\"orders\\" already exists/);
  });

  test('--drill refuses a restore machine', async () => {
    const r = await runCli(['--machine', 'restore.asl.json', '--host-bin', HOST_BIN, '--drill']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--drill follows a backup execution/);
  });
});
