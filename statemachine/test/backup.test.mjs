// End to end: the real state machine in aws-local-stepfunctions, the real Go
// handlers in the local host, and the embedded DynamoDB emulator.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MAX_PAYLOAD_BYTES } from '../lib/limits.mjs';
import {
  DEST, DEST2, SOURCE, createBackup, createTable, noTempTablesLeft, startTestHost, state, tempTableName, tempTables, toolBackups,
} from '../testhost.mjs';

const BACKUP_NAME = /^xrb\.\d{8}T\d{6}Z\.[0-9a-f]{6}\./;

describe('a backup run', () => {
  let h;
  let result;
  const tables = ['orders', 'customers', 'audit-log', `long-${'n'.repeat(250)}`];

  before(async () => {
    h = await startTestHost();
    for (const t of tables) await createTable(h, SOURCE, t, { items: 5, origin: 'source' });
    // A real table in the destination with a source table's name.
    await createTable(h, DEST, 'orders', { items: 3, origin: 'destination-own' });
    result = await h.run();
  });
  after(() => h?.stop());

  test('succeeds for every table', () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    assert.deepEqual(result.tables.toSorted(), tables.toSorted());
    assert.equal(result.output.succeeded, tables.length);
    assert.equal(result.output.failed, 0);
    assert.deepEqual(result.output.failures, []);
  });

  test('leaves one backup per table in each region, named by the tool', async () => {
    const inv = await h.inventory();
    for (const region of [SOURCE, DEST]) {
      const backups = toolBackups(inv[region]);
      assert.equal(backups.length, tables.length, `${region}: ${JSON.stringify(backups)}`);
      for (const b of backups) {
        assert.match(b.name, BACKUP_NAME);
        assert.ok(b.name.length <= 255, b.name);
        assert.equal(b.status, 'AVAILABLE');
        assert.equal(b.type, 'USER');
      }
    }
    // In the destination, each backup is of the table's temporary copy.
    for (const t of tables) {
      const b = inv[DEST].backups.find((x) => x.table === tempTableName(SOURCE, t));
      assert.ok(b, `no destination backup of ${t}`);
      assert.ok(t.startsWith(b.name.replace(BACKUP_NAME, '').replace(/\.[0-9a-f]{12}$/, '')), `${b.name} does not name ${t}`);
      assert.match(b.table, /^xrb-tmp\.[0-9a-f]{16}\./);
      assert.ok(b.table.length <= 255);
    }
  });

  test('leaves no temporary table in any region', async () => {
    const inv = await noTempTablesLeft(h, [SOURCE, DEST]);
    for (const ri of Object.values(inv)) assert.deepEqual(tempTables(ri), []);
  });

  test('leaves the real destination table of the same name alone, with its items', async () => {
    const inv = await h.inventory();
    const own = inv[DEST].tables.find((t) => t.name === 'orders');
    assert.ok(own, 'the destination orders table is gone');
    assert.equal(own.status, 'ACTIVE');
    assert.equal(own.items, 3);
    const items = await h.ddb(DEST, 'Scan', { TableName: 'orders' });
    assert.deepEqual(items.Items.map((i) => i.origin.S), ['destination-own', 'destination-own', 'destination-own']);
    const s = await state(h);
    assert.equal(s.regions[DEST].tables.orders.restoredFrom, undefined);
  });

  test('restores the copy with the source data before backing it up', async () => {
    const s = await state(h);
    for (const b of s.regions[DEST].backups.filter((x) => x.name.startsWith('xrb.'))) {
      assert.equal(b.itemCount, 5, `${b.name} holds ${b.itemCount} items`);
    }
  });

  test('reports metrics per execution and per table', () => {
    const m = result.metrics;
    assert.equal(Object.keys(m.perTable).length, tables.length);
    assert.ok(m.stateTransitions > 0 && m.lambdaInvocations > 0 && m.dynamodbCalls > 0);
    const sumOf = (k) => Object.values(m.perTable).reduce((a, t) => a + t[k], 0) + m.outsideTables[k];
    assert.equal(sumOf('stateTransitions'), m.stateTransitions);
    assert.equal(sumOf('lambdaInvocations'), m.lambdaInvocations);
    assert.equal(sumOf('dynamodbCalls'), m.dynamodbCalls);
    // The host's own count agrees with the count from the events.
    const hostCount = Object.values(m.lambdaInvocationsByFunction).reduce((a, b) => a + b, 0);
    assert.equal(hostCount, m.lambdaInvocations);
    assert.ok(m.largestPayload.bytes < MAX_PAYLOAD_BYTES);
  });
});

describe('two destination regions', () => {
  let h;
  let result;
  before(async () => {
    h = await startTestHost({ env: { DESTINATION_REGIONS: `${DEST},${DEST2}` } });
    for (const t of ['alpha', 'beta']) await createTable(h, SOURCE, t);
    result = await h.run();
  });
  after(() => h?.stop());

  test('copies every table to both', async () => {
    assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
    const inv = await noTempTablesLeft(h, [SOURCE, DEST, DEST2]);
    for (const region of [SOURCE, DEST, DEST2]) {
      assert.deepEqual(toolBackups(inv[region]).map((b) => b.name.split('.').pop()).toSorted(), ['alpha', 'beta'], region);
    }
    for (const t of Object.values(result.results)) {
      assert.deepEqual(t.destinations.map((d) => d.status), ['succeeded', 'succeeded']);
    }
  });
});

describe('backups that are not the tool\'s', () => {
  let h;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    await createTable(h, DEST, 'orders', { origin: 'destination-own' });
    await createBackup(h, SOURCE, 'orders', 'nightly-orders-manual');
    await createBackup(h, DEST, 'orders', 'nightly-orders-dest');
    // A name close to the tool's marker, but not the tool's.
    await createBackup(h, SOURCE, 'orders', 'xrb.not-a-timestamp.orders');
    // Age them far past any retention.
    await h.admin('POST', 'clock', { advanceSeconds: 400 * 86400 });
  });
  after(() => h?.stop());

  test('are never deleted, however old', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await h.run({ retentionDays: 1, keepLast: 1 });
      assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
    }
    const inv = await h.inventory();
    const names = (region) => inv[region].backups.map((b) => b.name);
    assert.ok(names(SOURCE).includes('nightly-orders-manual'));
    assert.ok(names(SOURCE).includes('xrb.not-a-timestamp.orders'));
    assert.ok(names(DEST).includes('nightly-orders-dest'));
  });
});
