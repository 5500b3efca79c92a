// Virtual time (lib/clock.mjs): the runner shortens each Wait state and
// Retry pause to milliseconds of real time and moves the emulator's clock
// on by the time it stands for; pauses that overlap move it to the latest
// end, not by their sum.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { retryPauseSeconds } from '../lib/clock.mjs';
import { emulatorClock } from '../lib/emulator.mjs';
import { runExecution } from '../lib/execution.mjs';
import { startTestHost } from '../testhost.mjs';

// A function the host does not have: each call fails with Lambda.ResourceNotFoundException.
const MISSING_FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:no-such-function';

describe('virtual time', () => {
  let h;
  before(async () => {
    h = await startTestHost();
  });
  after(() => h?.stop());

  // Runs a definition; returns how far the emulator's clock moved (s) and
  // how long it took in real time (ms).
  const timed = async (definition, input = {}, opts = {}) => {
    const clockBefore = await emulatorClock(h.emulator);
    const started = Date.now();
    const r = await runExecution({ definition, input, host: h.host, emulator: h.emulator, waitMs: 20, retryMs: 10, log: null, ...opts });
    const realMs = Date.now() - started;
    return { r, moved: (await emulatorClock(h.emulator)) - clockBefore, realMs };
  };

  test('a Wait of 60 s moves the clock by 60 s in well under a second', async () => {
    const { r, moved, realMs } = await timed({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } });
    assert.equal(r.status, 'SUCCEEDED');
    assert.ok(moved >= 60 && moved < 61, `the clock moved ${moved} s`);
    assert.ok(realMs < 1000, `${realMs} ms`);
  });

  test('a Wait by SecondsPath moves it by the seconds in the input', async () => {
    const { moved } = await timed({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', SecondsPath: '$.poll.waitSeconds', End: true } } }, { poll: { waitSeconds: 45 } });
    assert.ok(moved >= 45 && moved < 46, `the clock moved ${moved} s`);
  });

  test('two concurrent 60 s waits move it by about 60 s, not 120', async () => {
    const { r, moved } = await timed({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } },
          End: true,
        },
      },
    }, { items: [1, 2] });
    assert.equal(r.status, 'SUCCEEDED');
    assert.ok(moved >= 60 && moved < 61, `the clock moved ${moved} s`);
  });

  test('two waits one after the other move it by their sum', async () => {
    const { moved } = await timed({
      StartAt: 'First',
      States: { First: { Type: 'Wait', Seconds: 60, Next: 'Second' }, Second: { Type: 'Wait', Seconds: 30, End: true } },
    });
    assert.ok(moved >= 90 && moved < 91, `the clock moved ${moved} s`);
  });

  test('each Retry pause moves it by the retrier\'s backoff, before the retried Task runs', async () => {
    const { r, moved } = await timed({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: MISSING_FUNCTION,
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Gave up' }],
          End: true,
        },
        'Gave up': { Type: 'Pass', End: true },
      },
    });
    assert.equal(r.status, 'SUCCEEDED');
    assert.deepEqual(r.route.map((e) => e.state), ['Call', 'Gave up']);
    assert.ok(moved >= 90 && moved < 91, `30 s then 60 s: the clock moved ${moved} s`);
  });

  test('with virtualTime off the clock moves by real time only', async () => {
    const { moved } = await timed({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } }, {}, { virtualTime: false });
    assert.ok(moved < 5, `the clock moved ${moved} s`);
  });
});

test('a retry pause is IntervalSeconds × BackoffRate^(attempt-1), at most MaxDelaySeconds', () => {
  const retrier = { IntervalSeconds: 30, BackoffRate: 2, MaxDelaySeconds: 100 };
  assert.deepEqual([1, 2, 3, 4].map((n) => retryPauseSeconds(retrier, n)), [30, 60, 100, 100]);
  assert.deepEqual([1, 2, 3].map((n) => retryPauseSeconds({}, n)), [1, 2, 4]);
});
