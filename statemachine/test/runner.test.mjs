// The local runner is at least as strict as Step Functions (lib/bridge.mjs,
// lib/limits.mjs): payload limits at the state that breaks them, a history
// per execution and per Distributed Map child, tolerated failures, and the
// result of a child that failed. Machines of Pass, Choice, Fail and Map
// states only: no host is called.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { runExecution } from '../lib/execution.mjs';
import { HISTORY_LIMIT, MAX_PAYLOAD_BYTES } from '../lib/limits.mjs';

const run = (definition, input = {}) => runExecution({ definition, input, host: 'http://127.0.0.1:9', log: null });
const entered = (r) => r.route.map((e) => e.state);

// A string that makes a payload of about n bytes.
const filler = (n) => 'x'.repeat(n);

describe('payload limits', () => {
  test('a state whose output is over 256 KiB fails the execution there, before the next state', async () => {
    const r = await run({
      StartAt: 'Big',
      States: {
        Big: { Type: 'Pass', Result: { blob: filler(MAX_PAYLOAD_BYTES) }, Next: 'After' },
        After: { Type: 'Pass', End: true },
      },
    });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.match(r.cause, /the output of state Big is \d+ bytes/);
    assert.deepEqual(entered(r), ['Big']);
  });

  test('an input over 256 KiB fails the state it enters', async () => {
    const r = await run({ StartAt: 'First', States: { First: { Type: 'Pass', Result: 'small', End: true } } }, { blob: filler(MAX_PAYLOAD_BYTES) });
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.match(r.cause, /the input of state First/);
  });

  test('States.ALL does not catch it, inside an Inline Map iteration either', async () => {
    const r = await run({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Big', States: { Big: { Type: 'Pass', Result: filler(MAX_PAYLOAD_BYTES), End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          Next: 'Done',
        },
        Caught: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    }, { items: [1] });
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.ok(!entered(r).includes('Caught'), entered(r).join(' '));
  });
});

// A Distributed Map over items {loops, fail}: each child counts to `loops`
// (a Pass and a Choice a loop: 4 history events), then fails if told to.
function counter({ mode = 'DISTRIBUTED', tolerance = {}, catchTo } = {}) {
  return {
    StartAt: 'Each',
    States: {
      Each: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemSelector: { 'n': 0, 'loops.$': '$$.Map.Item.Value.loops', 'fail.$': '$$.Map.Item.Value.fail' },
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: mode === 'DISTRIBUTED' ? { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } : { Mode: 'INLINE' },
          StartAt: 'Count',
          States: {
            'Count': { Type: 'Pass', Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'loops.$': '$.loops', 'fail.$': '$.fail' }, Next: 'More?' },
            'More?': {
              Type: 'Choice',
              Choices: [
                { Variable: '$.n', NumericLessThanPath: '$.loops', Next: 'Count' },
                { Variable: '$.fail', BooleanEquals: true, Next: 'Fail' },
              ],
              Default: 'Counted',
            },
            'Fail': { Type: 'Fail', Error: 'ItemFailed', Cause: 'told to fail' },
            'Counted': { Type: 'Pass', Parameters: { 'counted.$': '$.n' }, End: true },
          },
        },
        ...tolerance,
        ...(catchTo ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: catchTo }] } : {}),
        ResultPath: '$.results',
        Next: 'Done',
      },
      Caught: { Type: 'Pass', End: true },
      Done: { Type: 'Succeed' },
    },
  };
}

describe('a Distributed Map', () => {
  // 4 events a loop: 6,300 loops pass 25,000 events.
  const long = { loops: 6300, fail: false };
  const short = { loops: 3, fail: false };

  test('runs each item as a child execution with its own history: one that passes 25,000 events fails alone', async () => {
    const r = await run(counter({ tolerance: { ToleratedFailurePercentage: 100 } }), { items: [long, short] });
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
    const [failed, done] = r.output.results;
    assert.equal(failed.Status, 'FAILED');
    assert.equal(failed.Error, 'States.Runtime');
    assert.match(failed.Cause, /history reached 25001 events/);
    assert.deepEqual(done, { counted: 3 });
    // The parent's history holds none of the children's events.
    assert.ok(r.history.events < 20, JSON.stringify(r.history));
    // The event past the limit, then its ExecutionFailed.
    assert.equal(r.history.largestChild.events, HISTORY_LIMIT + 2);
  });

  test('as an Inline Map the same iterations are in the parent\'s history, which fails', async () => {
    const r = await run(counter({ mode: 'INLINE' }), { items: [long, short] });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.Runtime');
    assert.match(r.cause, /history reached 25001 events/);
  });

  test('gives a child that failed outright Step Functions\' shape, its input as a JSON string', async () => {
    const item = { loops: 1, fail: true };
    const r = await run(counter({ tolerance: { ToleratedFailureCount: 1 } }), { items: [item, short] });
    assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
    const failed = r.output.results[0];
    assert.deepEqual(Object.keys(failed).toSorted(), ['Cause', 'Error', 'ExecutionArn', 'Input', 'InputDetails', 'Name', 'StartDate', 'StateMachineArn', 'Status', 'StopDate']);
    assert.equal(failed.Status, 'FAILED');
    assert.equal(failed.Error, 'ItemFailed');
    assert.equal(failed.Cause, 'told to fail');
    assert.equal(typeof failed.Input, 'string');
    assert.deepEqual(JSON.parse(failed.Input), { n: 0, ...item });
    assert.match(failed.ExecutionArn, new RegExp(`^arn:aws:states:[^:]+:\\d{12}:execution:[^:]+/Each:${failed.Name}$`));
  });

  const thresholds = [
    { name: 'no threshold set: any failure', tolerance: {}, fails: true },
    { name: 'ToleratedFailureCount 1 with 1 failure', tolerance: { ToleratedFailureCount: 1 }, fails: false },
    { name: 'ToleratedFailureCount 0 with 1 failure', tolerance: { ToleratedFailureCount: 0 }, fails: true },
    { name: 'ToleratedFailurePercentage 25 with 1 of 4', tolerance: { ToleratedFailurePercentage: 25 }, fails: false },
    { name: 'ToleratedFailurePercentage 24 with 1 of 4', tolerance: { ToleratedFailurePercentage: 24 }, fails: true },
    { name: 'both, one exceeded', tolerance: { ToleratedFailurePercentage: 100, ToleratedFailureCount: 0 }, fails: true },
  ];
  for (const c of thresholds) {
    test(`tolerated failures: ${c.name} ${c.fails ? 'fails the Map with States.ExceedToleratedFailureThreshold, which a Catch catches' : 'is tolerated'}`, async () => {
      const r = await run(counter({ tolerance: c.tolerance, catchTo: 'Caught' }), { items: [{ loops: 1, fail: true }, short, short, short] });
      assert.equal(r.status, 'SUCCEEDED', `${r.error}: ${r.cause}`);
      if (c.fails) {
        assert.equal(r.output.error.Error, 'States.ExceedToleratedFailureThreshold');
        assert.deepEqual(entered(r).filter((s) => ['Caught', 'Done'].includes(s)), ['Caught']);
      } else {
        assert.equal(r.output.results.filter((x) => x.Status === 'FAILED').length, 1);
        assert.deepEqual(entered(r).filter((s) => ['Caught', 'Done'].includes(s)), ['Done']);
      }
    });
  }

  test('each child has its own payload limit, and the Map\'s aggregated result has one too', async () => {
    // Each child's output fits; together they do not.
    const third = Math.ceil(MAX_PAYLOAD_BYTES / 3);
    const r = await run({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Blob', States: { Blob: { Type: 'Pass', Result: filler(third), End: true } } },
          ResultPath: null,
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          Next: 'Done',
        },
        Caught: { Type: 'Pass', End: true },
        Done: { Type: 'Succeed' },
      },
    }, { items: [1, 2, 3] });
    assert.equal(r.status, 'FAILED');
    assert.equal(r.error, 'States.DataLimitExceeded');
    assert.match(r.cause, /the result of Map state Each/);
    assert.ok(!entered(r).includes('Caught'));
  });
});
