// Virtual time: the runner shortens every Wait state and Retry pause to a
// few milliseconds of real time, and moves the emulator's clock on instead,
// so that the emulator's timed behaviours see the time pass as they would
// in AWS. A pause of S seconds that began when the clock read T ends with
// the clock at T + S or later: it is moved on by what is missing, so pauses
// that overlap move it to the latest end, not by their sum.
//
// Sources, in the Step Functions developer guide: "Wait workflow state"
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html:
// Seconds and SecondsPath count from when the state begins; Timestamp and
// TimestampPath are an absolute end), and "Handling errors in Step Functions
// workflows" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html:
// a retrier waits IntervalSeconds before its first retry, multiplied by
// BackoffRate at each further attempt, at most MaxDelaySeconds; JitterStrategy
// FULL waits a random time up to that). With FULL jitter the clock is moved
// by the un-jittered interval, the longest the pause can be.

import { simplePath } from './definition.mjs';
import { admin, emulatorClock } from './emulator.mjs';
import { terminalError } from './limits.mjs';

// Step Functions' retrier defaults (the page above).
const DEFAULT_INTERVAL_SECONDS = 1;
const DEFAULT_BACKOFF_RATE = 2;

/** The pause before retry attempt n (1, 2, ...) of a retrier, in seconds. */
export function retryPauseSeconds(retrier, attempt) {
  const interval = (retrier.IntervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * (retrier.BackoffRate ?? DEFAULT_BACKOFF_RATE) ** (attempt - 1);
  return retrier.MaxDelaySeconds === undefined ? interval : Math.min(interval, retrier.MaxDelaySeconds);
}

/**
 * The end of a Wait state on its (effective) input: {seconds} after it
 * begins, or {at} an absolute time in seconds since the epoch.
 */
export function waitEnd(state, input) {
  if (state.Seconds !== undefined) return { seconds: state.Seconds };
  if (state.SecondsPath) return { seconds: simplePath(state.SecondsPath, input).value };
  const ts = state.Timestamp ?? simplePath(state.TimestampPath, input).value;
  return { at: Date.parse(ts) / 1000 };
}

/**
 * A virtual clock on an emulator. begin() reads the clock as a pause begins
 * (a promise of seconds since the epoch); reach(target) moves it on so that
 * it reads at least target (a number or a promise of one, from an earlier
 * read); settled() resolves once every move asked for so far is done, and
 * throws if one failed. Reads and moves take effect in the order they are
 * asked for: a pause that begins after another ended begins after its move.
 * The requests that arrive while the emulator is being called are served
 * together, with one read and at most one move (to the latest target), so
 * that thousands of concurrent pauses do not queue one call after another.
 */
export function virtualClock(emulator) {
  let requests = [];
  let pumping = false;
  const pending = new Set();
  let failure;
  // Serves the requests in batches; within a batch, in order: a begin reads
  // the clock as moved by every reach before it.
  const pump = async () => {
    pumping = true;
    while (requests.length > 0) {
      const batch = requests;
      requests = [];
      try {
        const now = await emulatorClock(emulator);
        let at = now;
        for (const r of batch) {
          if (r.target === undefined) r.resolve(at);
          else at = Math.max(at, await r.target);
        }
        if (at > now) await admin(emulator, 'POST', 'clock', { advanceSeconds: at - now });
        for (const r of batch) r.resolve();
      } catch (err) {
        for (const r of batch) r.reject(err);
      }
    }
    pumping = false;
  };
  const request = (target) => {
    const p = new Promise((resolve, reject) => requests.push({ target, resolve, reject }));
    if (!pumping) pump();
    return p;
  };
  const track = (p) => {
    const tracked = p.catch((err) => {
      failure ??= err;
    }).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  return {
    begin() {
      const p = request(undefined);
      p.catch(() => {}); // a failed read fails the move that uses it
      return p;
    },
    reach(target) {
      track(request(Promise.resolve(target)));
    },
    async settled() {
      await Promise.all(pending);
      if (failure) throw terminalError({ error: 'States.Runtime', cause: `the runner could not move the emulator's clock at ${emulator}: ${failure.message}` });
    },
  };
}
