// Many tables, and overlapping executions.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DEST, DEST2, SOURCE, assertRoute, createTable, noTempTablesLeft, startTestHost, toolBackups,
} from '../testhost.mjs';
import { recordFastCopies } from '../lib/emulator.mjs';

describe('more than 100 source tables', () => {
  let h;
  let result;
  const names = Array.from({ length: 105 }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const iterations = [];
  before(async () => {
    h = await startTestHost({ restoreTime: '100ms' });
    await withoutRates(h);
    for (let i = 0; i < names.length; i += 15) {
      await Promise.all(names.slice(i, i + 15).map((n) => createTable(h, SOURCE, n, { items: 1 })));
    }
    await recordFastCopies(h.emulator, { sourceRegion: SOURCE, regions: h.regions.slice(1), tables: names });
    result = await h.run({ maxConcurrency: 40 }, {
      onEvent: (e) => e.parentState?.name === 'CopyTables' && iterations.push(e),
    });
  });
  after(() => h?.stop());

  test('backs up every one (ListTables reads every page)', async () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.equal(result.tables.length, 105);
    assert.equal(result.output.succeeded, 105);
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    // The inventory reads every page of ListBackups too.
    assert.equal(toolBackups(inv[SOURCE]).length, 105);
    assert.equal(toolBackups(inv[DEST]).length, 105);
  });

  test('keeps to maxConcurrency', () => {
    // Events are forwarded asynchronously: order them by their timestamps,
    // ends before starts within the same millisecond.
    const steps = iterations
      .map((e) => ({ t: e.timestamp, d: e.type === 'MapIterationStarted' ? 1 : -1 }))
      .toSorted((a, b) => a.t - b.t || a.d - b.d);
    let inFlight = 0;
    let maxInFlight = 0;
    for (const s of steps) maxInFlight = Math.max(maxInFlight, (inFlight += s.d));
    assert.equal(steps.length, 2 * 105);
    assert.ok(maxInFlight <= 40, `${maxInFlight} tables in flight`);
    assert.ok(maxInFlight > 1, 'tables were processed one at a time');
  });

  test('keeps every state payload far below 256 KiB', () => {
    assert.ok(result.metrics.largestPayload.bytes < 64 * 1024, JSON.stringify(result.metrics.largestPayload));
  });
});

// Which run copied which table to which region, and when: from the moment
// its restore was accepted until its temporary table was deleted.
function copyWindows(events) {
  const open = new Map();
  const windows = [];
  for (const e of events) {
    const key = `${e.executionName}|${e.table}|${e.region}`;
    // A caught error also exits the state, with $.error instead of $.restore.
    if (e.type === 'StateExited' && e.state.name === 'RestoreTemporaryTable' && e.state.output?.restore && !e.state.output.error) open.set(key, e.timestamp);
    const done = e.state?.name === 'CleanUpTemporaryTable' || (e.state?.name === 'FinishCopy' && e.state.output?.restore?.poll?.finish?.ready);
    if (e.type === 'StateExited' && done && open.has(key)) {
      windows.push({ run: e.executionName, table: e.table, region: e.region, from: open.get(key), to: e.timestamp });
      open.delete(key);
    }
  }
  for (const [key, from] of open) {
    const [run, table, region] = key.split('|');
    windows.push({ run, table, region, from, to: Infinity });
  }
  return windows;
}

function assertNoOverlap(windows) {
  for (const a of windows) {
    for (const b of windows) {
      if (a === b || a.run === b.run || a.table !== b.table || a.region !== b.region) continue;
      assert.ok(a.to <= b.from || b.to <= a.from, `${a.table} in ${a.region} was copied by ${a.run} and ${b.run} at once`);
    }
  }
}

describe('a run that starts while another is copying', () => {
  let h;
  let first;
  let second;
  const events = [];
  const tables = ['orders', 'customers', 'audit-log'];
  before(async () => {
    h = await startTestHost({ restoreTime: '1500ms' });
    for (const t of tables) await createTable(h, SOURCE, t);
    // The first run's restores take an hour on the emulator's clock, which
    // is moved past them once the second run has ended: the second run
    // surely meets every table in progress.
    const durations = await h.admin('GET', 'durations');
    await h.admin('POST', 'durations', { ...durations, restore: 3600 * 1000 });
    let restoring = 0;
    let startSecond;
    const secondMayStart = new Promise((resolve) => { startSecond = resolve; });
    const firstRun = h.run({}, {
      name: 'run-first',
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'StateExited' && e.state.name === 'RestoreTemporaryTable' && ++restoring === tables.length) startSecond();
      },
    });
    await secondMayStart;
    second = await h.run({}, { name: 'run-second', onEvent: (e) => events.push(e) });
    await h.admin('POST', 'clock', { advanceSeconds: 3600 });
    first = await firstRun;
  });
  after(() => h?.stop());

  test('skips the tables in progress, without failing', () => {
    assert.equal(first.status, 'SUCCEEDED', `${first.error}: ${first.cause}`);
    assert.equal(first.output.succeeded, tables.length);
    assert.equal(second.status, 'SUCCEEDED', `${second.error}: ${second.cause}`);
    assert.equal(second.output.skipped, tables.length);
    for (const s of second.output.skippedTables) assert.equal(s.error, 'TableInProgressElsewhere');
    for (const table of tables) assertRoute(second, { table, enters: ['BackUpSourceTable', 'RecordTableOutcome'], avoids: ['CopyToDestinations'] });
  });

  test('never copies a table twice at once', async () => {
    assertNoOverlap(copyWindows(events));
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    // The skipped run made no backup at all.
    assert.equal(toolBackups(inv[SOURCE]).length, tables.length);
    assert.equal(toolBackups(inv[DEST]).length, tables.length);
  });
});

// A restore cannot tag the table it creates: the tags follow a moment later.
// A second run that finds the temporary table in that moment sees a table
// without the tool's tags.
function untaggedRace(r) {
  return r.status === 'FAILED' && r.error === 'TablesFailed'
    && JSON.parse(r.cause).failures.every((f) => f.error === 'TableNotOwned' && /without the tool's tags/.test(f.cause));
}
const UNTAGGED_RACE = 'restore-table must report TableInProgressElsewhere (a skip), not TableNotOwned (a failure), for another run\'s temporary table that is not tagged yet';

describe('a run that finds another run\'s temporary table before it is tagged', () => {
  let h;
  let runs;
  const tables = ['orders', 'customers'];
  before(async () => {
    h = await startTestHost({ restoreTime: '600ms' });
    for (const t of tables) await createTable(h, SOURCE, t);
    // Widen the moment between the restore and its tags.
    await h.admin('POST', 'latency', { operation: 'TagResource', millis: 400 });
    // On real time, as in "two runs started at the same moment": with
    // virtual time one run's pauses move the clock both share, and the runs
    // may copy a table one after the other instead of meeting.
    runs = await Promise.all(['run-a', 'run-b'].map((name) => h.run({}, { name, virtualTime: false })));
  });
  after(() => h?.stop());

  test('skips the table instead of failing', async () => {
    assert.ok(!runs.some(untaggedRace), UNTAGGED_RACE);
    for (const r of runs) assert.notEqual(r.status, 'FAILED', `${r.name}: ${r.error}: ${r.cause}`);
    // Safety holds either way: the other run's table was not deleted.
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    for (const table of tables) assert.equal(toolBackups(inv[DEST]).filter((b) => b.name.endsWith(`.${table}`)).length, 1);
  });
});

describe('two runs started at the same moment', () => {
  let h;
  let runs;
  const events = [];
  const tables = ['orders', 'customers', 'audit-log', 'payments'];
  before(async () => {
    h = await startTestHost({ restoreTime: '600ms' });
    for (const t of tables) await createTable(h, SOURCE, t);
    // On real time: with virtual time each run's pauses would move the one
    // clock both share, so one run's copies finish within milliseconds of
    // real time and the other never meets its temporary tables, as it would
    // in AWS, where both runs' pauses pass together.
    runs = await Promise.all(['run-a', 'run-b'].map((name) => h.run({}, { name, virtualTime: false, onEvent: (e) => events.push(e) })));
  });
  after(() => h?.stop());

  test('both finish cleanly, each table copied by one of them', async () => {
    assert.ok(!runs.some(untaggedRace), UNTAGGED_RACE);
    for (const r of runs) assert.notEqual(r.status, 'FAILED', `${r.name}: ${r.error}: ${r.cause}`);
    for (const t of tables) {
      const outcomes = runs.map((r) => r.metrics.perTable[t].status).toSorted();
      assert.ok(outcomes.includes('succeeded'), `${t}: ${outcomes}`);
    }
    assertNoOverlap(copyWindows(events));
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    const perTable = (ri) => Object.groupBy(toolBackups(ri), (b) => b.name.split('.').pop());
    for (const t of tables) assert.equal(perTable(inv[DEST])[t]?.length, 1, `${t}: ${JSON.stringify(perTable(inv[DEST])[t])}`);
  });
});

// Turns off the emulator's per-operation request rates for this test's
// emulator only: these tests are about payloads, histories and summaries of
// hundreds of tables, made and run at once, not about DynamoDB's rates
// (the other tests run with them).
async function withoutRates(h) {
  const { rates } = await h.admin('GET', 'model');
  await h.admin('POST', 'model', { rates: Object.fromEntries(Object.keys(rates).map((op) => [op, 0])) });
}

// Turns off, for this test's emulator only, the window after a restore in
// which backups are being enabled: the restore machine polls each restored
// table until it ends (the restore tests check that), and on the emulator's
// real-time clock, 10 tables at a time, it would keep a restore of hundreds
// of tables waiting for many minutes; these tests are about its payloads and
// its report.
async function withoutBackupsEnabling(h) {
  await h.admin('POST', 'model', { backupsEnabling: 0 });
}

// Creates n pk-only tables in region, `parallel` calls at a time, on an
// emulator whose tables become ACTIVE at once.
async function createMany(h, region, names, parallel = 50) {
  for (let i = 0; i < names.length; i += parallel) {
    await Promise.all(names.slice(i, i + parallel).map((TableName) => h.ddb(region, 'CreateTable', {
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    })));
  }
}

// The run ledger keeps the tables, the plan and the outcomes out of the
// states: a run of many tables with the longest names, copied to three
// regions, keeps every state small. (make bench runs 10,000.)
describe('1,000 tables with 255-character names, copied to three regions', () => {
  let h;
  let result;
  const regions = [DEST, DEST2, 'ap-south-1'];
  const names = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}${'n'.repeat(251)}`);
  before(async () => {
    h = await startTestHost({ restoreTime: '0s', env: { DESTINATION_REGIONS: regions.join(',') } });
    await withoutRates(h);
    await withoutBackupsEnabling(h);
    await h.admin('POST', 'durations', { tableCreate: 0, tableDelete: 0, backupCreate: 0, restore: 0, perMiB: 0 });
    await createMany(h, SOURCE, names);
    await recordFastCopies(h.emulator, { sourceRegion: SOURCE, regions: h.regions.slice(1), tables: names });
    result = await h.run({ maxConcurrency: 200 });
    console.log(`1,000 tables x 3 regions: ${result.metrics.wallSeconds}s; largest payload ${JSON.stringify(result.metrics.largestPayload)}; history ${JSON.stringify({ ...result.history, largestChild: { events: result.history.largestChild.events } })}`);
  });
  after(() => h?.stop());

  test('ends with its summary, every table copied to every region', async () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.equal(result.summary.tables, 1000);
    assert.equal(result.summary.succeeded, 1000);
    assert.deepEqual(result.summary.decided, { copy: 3000 });
    const inv = await noTempTablesLeft(h, [SOURCE, ...regions]);
    for (const region of [SOURCE, ...regions]) assert.equal(toolBackups(inv[region]).length, 1000, region);
  });

  test('keeps every state small and every history far from the limit', () => {
    assert.ok(result.metrics.largestPayload.bytes < 32 * 1024, JSON.stringify(result.metrics.largestPayload));
    assert.ok(result.history.events < 100, JSON.stringify(result.history));
    assert.ok(result.history.largestChild.events < 200, JSON.stringify(result.history));
  });
});

describe('10,000 tables that all fail', () => {
  let h;
  let result;
  const names = Array.from({ length: 10000 }, (_, i) => `t${String(i).padStart(4, '0')}`);
  before(async () => {
    h = await startTestHost({ restoreTime: '0s' });
    await withoutRates(h);
    await h.admin('POST', 'durations', { tableCreate: 0, tableDelete: 0, backupCreate: 0, restore: 0, perMiB: 0 });
    await createMany(h, SOURCE, names);
    await recordFastCopies(h.emulator, { sourceRegion: SOURCE, regions: h.regions.slice(1), tables: names });
    // Every source backup fails at once, with an error that is not retried.
    await h.admin('POST', 'faults', { operation: 'CreateBackup', errorCode: 'ResourceNotFoundException', message: 'injected', tablePattern: 't*', times: 0 });
    result = await h.run({ maxConcurrency: 500 });
  });
  after(() => h?.stop());

  test('end FAILED with a summary that counts every one and lists what fits', () => {
    assert.equal(result.status, 'FAILED');
    assert.equal(result.error, 'TablesFailed', result.cause);
    const s = result.summary;
    assert.equal(s.tables, 10000);
    assert.equal(s.failed, 10000);
    assert.equal(s.failures.length + (s.moreFailures ?? 0), 10000);
    assert.deepEqual(s.failures.slice(0, 2).map((f) => [f.table, f.error]), [['t0000', 'TableNotFound'], ['t0001', 'TableNotFound']]);
    const cause = JSON.parse(result.cause);
    assert.match(cause.message, /^10000 of 10000 tables failed/);
    assert.equal(cause.failures.length + cause.more, 10000);
    // Every table's result came back from its child execution, by name.
    assert.equal(Object.keys(result.results).length, 10000);
    assert.ok(names.every((n) => result.results[n]?.status === 'failed'));
  });

  test('keeps every state payload and every history within Step Functions\' limits', () => {
    console.log(`largest payload ${JSON.stringify(result.metrics.largestPayload)}; history ${JSON.stringify(result.history)}; ${result.metrics.wallSeconds}s`);
    assert.ok(result.metrics.largestPayload.bytes <= 256 * 1024);
    assert.ok(result.history.largestChild.events < 25000);
  });
});

describe('failures in a run of more than 100 tables', () => {
  let h;
  let backup;
  const names = Array.from({ length: 104 }, (_, i) => `u${String(i).padStart(4, '0')}`);
  before(async () => {
    h = await startTestHost({ restoreTime: '0s' });
    await withoutRates(h);
    await withoutBackupsEnabling(h);
    await h.admin('POST', 'durations', { tableCreate: 0, tableDelete: 0, backupCreate: 0, restore: 0, perMiB: 0 });
    await createMany(h, SOURCE, names);
    await recordFastCopies(h.emulator, { sourceRegion: SOURCE, regions: h.regions.slice(1), tables: names });
    // u0000 fails before its copies, u0001's copy fails.
    await h.admin('POST', 'faults', { operation: 'CreateBackup', errorCode: 'ResourceNotFoundException', message: 'injected', tablePattern: 'u0000', times: 0 });
    await h.admin('POST', 'faults', { operation: 'RestoreTableFromBackup', errorCode: 'ResourceNotFoundException', message: 'injected', tablePattern: 'xrb-tmp.*.u0001', times: 0 });
    backup = await h.run({ maxConcurrency: 100 });
  });
  after(() => h?.stop());

  test('record outcomes that the summary reads: the table, the region of a copy, the error and its cause', () => {
    assert.equal(backup.status, 'FAILED');
    assert.equal(backup.error, 'TablesFailed', backup.cause);
    const failures = Object.fromEntries(backup.summary.failures.map((f) => [f.table, f]));
    assert.deepEqual(Object.keys(failures).toSorted(), ['u0000', 'u0001']);
    assert.equal(failures.u0000.error, 'TableNotFound');
    assert.match(failures.u0000.cause, /u0000 not found/);
    assert.equal(failures.u0001.region, DEST);
    assert.equal(failures.u0001.error, 'TableNotFound');
    assert.equal(backup.summary.succeeded, 102);
    assertRoute(backup, { table: 'u0000', enters: ['BackUpSourceTable', 'RecordTableOutcome'], avoids: ['CopyToDestinations'] });
    assertRoute(backup, { table: 'u0001', region: DEST, enters: ['RestoreTemporaryTable', 'CleanUpTemporaryTable', 'RecordCopyOutcome'], avoids: ['PollTemporaryTable'] });
  });
});
