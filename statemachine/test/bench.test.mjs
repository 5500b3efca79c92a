// The bench (bench.mjs, lib/bench.mjs) on a short simulated restore, and its history
// accounting on hand-made events.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { accountHistory, bench } from '../lib/bench.mjs';
import { loadDefinition, machineShape } from '../lib/definition.mjs';
import { HISTORY_LIMIT } from '../lib/limits.mjs';
import { HOST_BIN, MACHINE } from '../testhost.mjs';

describe('bench.mjs with a 2-minute simulated restore', () => {
  let r;
  before(async () => {
    r = await bench({ restoreTime: '2m', hostBin: HOST_BIN, tables: 100, timeoutSec: 30 });
  });

  test('backs the table up on the simulated clock, in a moment of real time', () => {
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
    assert.equal(r.table.status, 'succeeded');
    assert.ok(r.simulated.virtualTimeWorked, JSON.stringify(r.simulated));
    // A backup (30 s), a restore (2 min) and a backup (30 s), plus detection lag.
    assert.ok(r.simulated.tableSeconds >= 180 && r.simulated.tableSeconds < 220, JSON.stringify(r.simulated));
    assert.ok(r.real.executionSeconds < 10, JSON.stringify(r.real));
  });

  test('the first copy, without history, polls each loop several times; the second waits about once for each, as predicted', () => {
    assert.equal(r.firstCopy.status, 'SUCCEEDED');
    assert.ok(r.firstCopy.billedTransitions > r.child.billedTransitions + 20, JSON.stringify(r.firstCopy));
    for (const p of Object.values(r.child.polls)) {
      assert.ok(p.polls >= 1 && p.polls <= 2, JSON.stringify(p));
      assert.equal(p.waits, p.polls, JSON.stringify(p));
      assert.equal(p.simulatedWaitSeconds, p.elapsedSeconds, JSON.stringify(p));
      // A poll cycle (Wait, poll, Choice) is 9 events.
      assert.equal(p.historyEvents, 9 * p.waits);
    }
    const { polls, detection } = r.child;
    assert.ok(polls.PollTemporaryTable.elapsedSeconds >= 120);
    assert.ok(polls.PollSourceBackup.elapsedSeconds >= 30);
    // The restore is found done within 10% of its duration; the 30-second
    // backups are polled no closer than every 10 seconds.
    assert.ok(detection.PollTemporaryTable.lagShare <= 0.1, JSON.stringify(detection));
    assert.ok(r.child.billedTransitions <= 25, `${r.child.billedTransitions} transitions`);
  });

  test('counts the history as Step Functions does', () => {
    const c = r.child;
    // Started/Succeeded; Entered/Exited per state; 3 per Lambda attempt; the
    // inline Map's Started/Succeeded and one iteration's Started/Succeeded.
    assert.equal(c.historyEvents, 2 + 2 * c.statesEntered + 3 * c.lambdaInvocations + 2 + 2);
    const invoked = Object.values(r.hostInvocations).reduce((a, b) => a + b, 0);
    assert.equal(invoked, c.lambdaInvocations + r.topLevel.lambdaInvocations);
    assert.ok(c.historyEvents < HISTORY_LIMIT);
    assert.equal(r.singleExecution.historyEvents, r.topLevel.historyEvents + 100 * c.historyEvents);
    assert.equal(r.singleExecution.maxTables, Math.floor((HISTORY_LIMIT - r.topLevel.historyEvents) / c.historyEvents));
  });

  test('the runner enforces the history quota on the same counts, the parent\'s and the child\'s apart', () => {
    assert.equal(r.historyEnforced.events, r.topLevel.historyEvents);
    assert.deepEqual(r.historyEnforced.largestChild, { events: r.child.historyEvents, table: r.table.name });
  });
});

describe('accountHistory', () => {
  const shape = machineShape(loadDefinition(MACHINE));
  const state = (name, type, extra = {}) => ({ state: { name, type, input: {}, ...extra }, index: 0 });

  test('a retried Lambda attempt adds 3 events and no state entered; a caught error still exits', () => {
    const { child } = accountHistory([
      { type: 'MapIterationStarted', index: 0, parentState: { name: 'CopyTables' } },
      { type: 'StateEntered', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateFailed', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateRetried', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateFailed', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateCaught', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateExited', ...state('BackUpSourceTable', 'Task') },
      { type: 'StateEntered', ...state('TableFailed', 'Pass') },
      { type: 'StateExited', ...state('TableFailed', 'Pass') },
      { type: 'MapIterationSucceeded', index: 0, parentState: { name: 'CopyTables' } },
    ], shape);
    assert.equal(child.statesEntered, 2);
    assert.equal(child.lambdaInvocations, 2);
    assert.equal(child.lambdaFailures, 2);
    assert.equal(child.retries, 1);
    assert.equal(child.historyEvents, 2 + 4 + 2 * 3);
  });

  test('a caught error exits its state; a Fail state has no Exited event', () => {
    const { top } = accountHistory([
      { type: 'ExecutionStarted' },
      { type: 'StateEntered', state: { name: 'ListTables', type: 'Task' } },
      { type: 'StateFailed', state: { name: 'ListTables', type: 'Task' } },
      { type: 'StateCaught', state: { name: 'ListTables', type: 'Task' } },
      { type: 'StateExited', state: { name: 'ListTables', type: 'Task' } },
      { type: 'StateEntered', state: { name: 'InvalidInput', type: 'Fail' } },
      { type: 'StateFailed', state: { name: 'InvalidInput', type: 'Fail' } },
      { type: 'ExecutionFailed' },
    ], shape);
    assert.equal(top.historyEvents, 2 + 2 + 3 + 1);
  });
});
