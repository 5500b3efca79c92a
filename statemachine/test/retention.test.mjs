// Retention and the sweeper, which both depend on time: the emulator clock
// is moved forward between executions.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { OWNER_VALUE, TAGS } from '../lib/facts.mjs';
import {
  DEST, SOURCE, assertRoute, createTable, handlersFollowEmulatorClock, noTempTablesLeft, startTestHost, state, tempTableName, toolBackups,
} from '../testhost.mjs';

// These tests age things by moving the emulator clock forward: the host's
// handlers must tell the time by the emulator's clock.
async function needsEmulatorClock(h) {
  assert.ok(await handlersFollowEmulatorClock(h), 'the local host\'s handlers tell the time by the machine clock, not the emulator clock');
}

const DAY = 86400;

describe('retention', () => {
  let h;
  const runs = [];
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    await createTable(h, SOURCE, 'customers');
    // Three daily runs, then one eight days later.
    for (const advance of [0, DAY, DAY, 8 * DAY]) {
      if (advance) await h.admin('POST', 'clock', { advanceSeconds: advance });
      const r = await h.run({ retentionDays: 7, keepLast: 2 });
      assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
      runs.push(r);
      await noTempTablesLeft(h, [SOURCE, DEST]);
    }
  });
  after(() => h?.stop());

  test('prunes expired backups in both regions, down to keepLast', async () => {
    await needsEmulatorClock(h);
    const inv = await h.inventory();
    for (const region of [SOURCE, DEST]) {
      for (const table of ['orders', 'customers']) {
        const mine = toolBackups(inv[region]).filter((b) => b.name.endsWith(`.${table}`));
        // The run eight days later makes one; keepLast 2 keeps one older.
        assert.equal(mine.length, 2, `${region} ${table}: ${mine.map((b) => b.name).join(', ')}`);
      }
    }
  });

  test('keeps the newest backups, even when all are expired', async () => {
    await needsEmulatorClock(h);
    await h.admin('POST', 'clock', { advanceSeconds: 30 * DAY });
    // Every copy fails, so no new backup is made; pruning still runs in the
    // source region and must keep the last two.
    await h.admin('POST', 'faults', { operation: 'RestoreTableFromBackup', errorCode: 'ValidationException', message: 'injected', times: 0 });
    const r = await h.run({ retentionDays: 7, keepLast: 2 });
    await h.admin('DELETE', 'faults');
    assert.equal(r.status, 'FAILED');
    for (const table of ['orders', 'customers']) {
      assertRoute(r, { table, region: DEST, enters: ['RestoreTemporaryTable', 'CleanUpTemporaryTable', 'RecordCopyOutcome'], avoids: ['PollTemporaryTable', 'FinishCopy'] });
      assertRoute(r, { table, enters: ['BackUpSourceTable', 'CopyToDestinations', 'PruneSource'], avoids: ['RecordTableOutcome'] });
    }
    const inv = await h.inventory();
    for (const region of [SOURCE, DEST]) {
      for (const table of ['orders', 'customers']) {
        const mine = toolBackups(inv[region]).filter((b) => b.name.endsWith(`.${table}`));
        assert.ok(mine.length >= 2, `${region} ${table}: only ${mine.length} left`);
      }
    }
  });
});

describe('the sweeper', () => {
  let h;
  let orphan;
  let young;
  before(async () => {
    h = await startTestHost();
    await createTable(h, SOURCE, 'orders');
    await createTable(h, SOURCE, 'ghost');
    // What a crashed run leaves: the tool's temporary table, with its tags.
    const tagsFor = (table, runId) => ({
      [TAGS.owner]: OWNER_VALUE,
      [TAGS.runId]: runId,
      [TAGS.startedAt]: '2026-01-01T00:00:00Z',
      [TAGS.sourceTable]: table,
      [TAGS.sourceRegion]: SOURCE,
      [TAGS.sourceBackup]: '01234567890123-abcdef01',
    });
    orphan = tempTableName(SOURCE, 'ghost');
    await createTable(h, DEST, orphan, { tags: tagsFor('ghost', 'run-crashed') });
    // A lookalike without the tags: never the tool's to delete.
    await createTable(h, DEST, tempTableName(SOURCE, 'lookalike'));
    await h.admin('POST', 'clock', { advanceSeconds: 25 * 3600 });
    // One made just now is another run's work in progress: too young.
    young = tempTableName(SOURCE, 'fresh');
    await createTable(h, DEST, young, { tags: tagsFor('fresh', 'run-in-progress') });
  });
  after(() => h?.stop());

  test('removes orphans older than sweepAfterHours, and only those', async () => {
    await needsEmulatorClock(h);
    const r = await h.run({ sweepAfterHours: 24, pollLimitMinutes: 540, include: ['orders', 'ghost'] });
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
    assert.deepEqual(r.output.sweep.deleted, [{ region: DEST, table: orphan }]);
    assert.equal(r.output.sweep.young, 1);
    assert.equal(r.output.sweep.notOwned, 1);
    const s = await state(h);
    const left = Object.keys(s.regions[DEST].tables);
    assert.ok(left.includes(tempTableName(SOURCE, 'lookalike')));
    assert.ok(left.includes(young));
    // With its orphan gone, the table was backed up in the same run.
    assert.equal(r.output.succeeded, 2);
  });
});
