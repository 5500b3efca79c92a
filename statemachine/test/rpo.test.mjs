// Copying by RPO, end to end: the backup state machine on the local host and
// its emulator decides per table and destination whether to copy (README,
// "Copying by RPO"), from each destination's copy status and the CloudWatch
// metrics the emulator serves. Each scenario asserts the decisions and their
// reasons (the run ledger's decision records, or a dry run's status) and the
// backups that exist afterwards. Hours pass on the emulator's clock.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { ddbCall } from '../lib/emulator.mjs';
import { ledgerRecords, ledgerTables } from '../lib/ledger.mjs';
import { CATALOG, DEST, SOURCE, createTable, emulatorNow, startTestHost, toolBackups, userTables } from '../testhost.mjs';

const RPO_TAG = 'xregion-backup:rpo';

const hosts = [];
after(() => Promise.all(hosts.map((h) => h.stop())));

/** A test host with tables (name → tags), their writes made older than the minute a backup may miss. */
async function hostWith(tables) {
  const h = await startTestHost();
  hosts.push(h);
  for (const [name, tags] of Object.entries(tables)) await createTable(h, SOURCE, name, { tags });
  await advance(h, 180);
  return h;
}

const advance = (h, seconds) => h.admin('POST', 'clock', { advanceSeconds: seconds });

const write = (h, table, n = 3) => Promise.all(Array.from({ length: n }, (_, i) =>
  ddbCall(h.emulator, SOURCE, 'PutItem', { TableName: table, Item: { pk: { S: `w-${Date.now()}-${i}` }, sk: { S: 'x' } } })));

/** The run's decisions from its ledger, by "table@region". */
async function decisionsOf(h, result) {
  const out = {};
  for (const r of await ledgerRecords(h.emulator, SOURCE, result.name, 'decision#')) {
    for (const d of r.data.decisions) out[`${d.table}@${d.region}`] = d;
  }
  return out;
}

/** Asserts each table's decision in DEST and that its reason contains a phrase: want is table → [decision, phrase]. */
function assertDecisions(decisions, want) {
  for (const [table, [decision, phrase]] of Object.entries(want)) {
    const d = decisions[`${table}@${DEST}`];
    assert.ok(d, `no decision for ${table} in ${DEST}: ${JSON.stringify(Object.keys(decisions))}`);
    assert.equal(d.decision, decision, `${table}: ${d.reason}`);
    assert.match(d.reason, phrase, table);
  }
}

/** The number of the tool's backups of each table in region. */
async function backupsPerTable(h, region = DEST) {
  const inv = await h.inventory([region]);
  const out = {};
  for (const b of toolBackups(inv[region]).filter((b) => b.status === 'AVAILABLE')) {
    const table = b.name.split('.').pop();
    out[table] = (out[table] ?? 0) + 1;
  }
  return out;
}

/** The backups and tables of every region, but for the run ledger's records. */
async function userState(h) {
  const inv = await h.inventory();
  return Object.fromEntries(Object.entries(inv).map(([region, ri]) => [region, { backups: ri.backups, tables: userTables(ri) }]));
}

async function succeeds(h, input = {}) {
  const result = await h.run(input);
  assert.equal(result.status, 'SUCCEEDED', `${result.error}: ${result.cause}`);
  return result;
}

describe('copying by RPO', () => {
  test('the first run copies every table; an hour later only the table written to', async () => {
    const h = await hostWith({ alpha: {}, beta: {}, gamma: {} });
    const first = await succeeds(h);
    assertDecisions(await decisionsOf(h, first), {
      alpha: ['copy', /no copy in eu-central-1 yet/],
      beta: ['copy', /no copy in eu-central-1 yet/],
      gamma: ['copy', /no copy in eu-central-1 yet/],
    });
    assert.deepEqual(await backupsPerTable(h), { alpha: 1, beta: 1, gamma: 1 });

    await write(h, 'beta');
    await advance(h, 3600);
    const second = await succeeds(h);
    assertDecisions(await decisionsOf(h, second), {
      alpha: ['unchanged', /no write/],
      beta: ['copy', /written since/],
      gamma: ['unchanged', /no write/],
    });
    assert.deepEqual(await ledgerTables(h.emulator, SOURCE, second.name), ['beta']);
    assert.deepEqual(await backupsPerTable(h), { alpha: 1, beta: 2, gamma: 1 });
  });

  test('metrics failing for a table or missing for the region mean copy', async () => {
    const h = await hostWith({ alpha: {}, beta: {} });
    const firstAt = new Date(await emulatorNow(h));
    await succeeds(h);
    await advance(h, 3600);

    await h.admin('POST', 'metrics/faults', { tablePattern: 'alpha', statusCode: 'InternalError' });
    const faulty = await succeeds(h);
    assertDecisions(await decisionsOf(h, faulty), {
      alpha: ['copy', /could not prove/],
      beta: ['unchanged', /no write/],
    });
    assert.deepEqual(await backupsPerTable(h), { alpha: 2, beta: 1 });
    await h.admin('DELETE', 'metrics/faults');

    await advance(h, 3600);
    const now = new Date(await emulatorNow(h));
    await h.admin('POST', 'metrics/outages', { region: SOURCE, from: firstAt.toISOString(), to: now.toISOString() });
    // The metrics prove nothing past the start of the lost stretch.
    const lost = await succeeds(h);
    assertDecisions(await decisionsOf(h, lost), {
      alpha: ['copy', /counts as changed/],
      beta: ['copy', /prove no write only until .*, past the RPO 1h, so the table counts as changed/],
    });
    assert.deepEqual(await backupsPerTable(h), { alpha: 3, beta: 2 });
  });

  test('RPO tags: a bad one fails its table, off is never copied, 6h is not due right after a copy', async () => {
    const h = await hostWith({ bad: { [RPO_TAG]: 'hourly' }, quiet: { [RPO_TAG]: 'off' }, slow: { [RPO_TAG]: '6h' }, plain: {} });
    const first = await h.run({});
    assert.equal(first.status, 'FAILED');
    const summary = JSON.stringify(first.summary);
    assert.deepEqual(first.summary.failures.map((f) => f.table), ['bad'], summary);
    assert.match(JSON.stringify(first.summary.failures[0]), /tag xregion-backup:rpo of table bad.*\\"hourly\\" is not an RPO; use .*15m, 1h, .* or off/);
    const decided = await decisionsOf(h, first);
    assertDecisions(decided, {
      bad: ['invalid', /hourly/],
      quiet: ['off', /never copied/],
      slow: ['copy', /no copy/],
      plain: ['copy', /no copy/],
    });
    assert.deepEqual(await backupsPerTable(h), { slow: 1, plain: 1 });

    await write(h, 'slow');
    await advance(h, 180);
    const second = await h.run({});
    assertDecisions(await decisionsOf(h, second), {
      quiet: ['off', /never copied/],
      slow: ['notDue', /stays within the RPO 6h/],
    });
    const backups = await backupsPerTable(h);
    assert.equal(backups.slow, 1);
    assert.equal(backups.quiet, undefined);
  });

  test('maxUnchanged forces a copy of an unchanged table', async () => {
    const h = await hostWith({ alpha: {} });
    await succeeds(h);
    await advance(h, 3700);
    const dry = await succeeds(h, { dryRun: true });
    assert.equal(dry.summary.status.find((d) => d.table === 'alpha').decision, 'unchanged');

    const forced = await succeeds(h, { maxUnchanged: '1h' });
    assertDecisions(await decisionsOf(h, forced), { alpha: ['copy', /MAX_UNCHANGED is 1h/] });
    assert.deepEqual(await backupsPerTable(h), { alpha: 2 });
  });

  test('copies without a restore slot are deferred, and go first next run by RPO debt', async () => {
    const tables = ['due1', 'due2', 'due3'];
    const h = await hostWith(Object.fromEntries(tables.map((t) => [t, {}])));
    await advance(h, 6 * 3600);
    // Each table was copied before, in 50 minutes, hours ago: due3 longest
    // ago, so most in RPO debt, then due2 (the reverse of their names'
    // order). Two such copies overrun an hour of one slot.
    const now = await emulatorNow(h);
    const phase = { s: 1000, b: 0 };
    for (const [k, table] of tables.entries()) {
      const dataTime = new Date(now - (3 + k) * 3600 * 1000).toISOString();
      const status = { table, sourceRegion: SOURCE, dataTime, currentAsOf: dataTime,
        phases: { sourceBackup: phase, restore: phase, destinationBackup: phase }, copySeconds: 3000, sizeBytes: 0 };
      await ddbCall(h.emulator, DEST, 'PutItem', { TableName: CATALOG, Item: { pk: { S: `status#${SOURCE}` }, sk: { S: table }, status: { S: JSON.stringify(status) } } });
      await write(h, table);
    }
    await advance(h, 600);

    const first = await succeeds(h, { restoreSlots: 1 });
    assertDecisions(await decisionsOf(h, first), {
      due1: ['deferred', /no restore slot/],
      due2: ['deferred', /no restore slot/],
      due3: ['copy', /written since/],
    });
    assert.deepEqual(await backupsPerTable(h), { due3: 1 });

    await advance(h, 3600);
    const second = await succeeds(h, { restoreSlots: 1 });
    assertDecisions(await decisionsOf(h, second), {
      due1: ['deferred', /no restore slot/],
      due2: ['copy', /written since/],
    });
    assert.deepEqual(await backupsPerTable(h), { due2: 1, due3: 1 });
  });

  test('a dry run is the status report and creates nothing', async () => {
    const h = await hostWith({ alpha: {}, beta: {}, off1: { [RPO_TAG]: 'off' } });
    await succeeds(h);
    await write(h, 'alpha');
    await advance(h, 3600);
    const before = await userState(h);

    const dry = await succeeds(h, { dryRun: true });
    const status = Object.fromEntries(dry.summary.status.map((d) => [`${d.table}@${d.region}`, d]));
    assertDecisions(status, {
      alpha: ['copy', /written since/],
      beta: ['unchanged', /no write/],
      off1: ['off', /never copied/],
    });
    // An unchanged table is current as of what the metrics prove.
    const now = await emulatorNow(h);
    for (const [table, minAge] of [['alpha', 3600], ['beta', 0]]) {
      const { rpo } = status[`${table}@${DEST}`];
      assert.equal(rpo.rpo, '1h', table);
      assert.ok(Date.parse(rpo.currentAsOf) < now, `${table}: current as of ${rpo.currentAsOf}`);
      assert.ok(rpo.ageSeconds >= minAge && rpo.ageSeconds < 2 * 3600, `${table}: age ${rpo.ageSeconds}`);
    }
    assert.ok(status[`alpha@${DEST}`].rpo.ageSeconds > status[`beta@${DEST}`].rpo.ageSeconds);
    assert.deepEqual(await ledgerTables(h.emulator, SOURCE, dry.name), []);
    assert.deepEqual(await userState(h), before);
  });
});
