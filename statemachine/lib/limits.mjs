// Step Functions' limits and rules that the local run enforces where the
// interpreter is more lenient. Sources, in the Step Functions developer guide:
// "Step Functions service quotas"
// (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html):
// 256 KiB for a task's, state's or execution's input or output, and 25,000
// events in an execution's history, past which the execution fails;
// "Error handling in Step Functions workflows"
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
// States.DataLimitExceeded (a connector's output, a state's output, or a
// state's input after Parameters, over the quota) is a terminal error that
// States.ALL does not catch, and neither does it catch States.Runtime.

import { simplePath } from './definition.mjs';

/** The largest state input or output, in bytes. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** History events of one Standard execution; past it the execution fails. */
export const HISTORY_LIMIT = 25000;

/** The size of a value as Step Functions counts a payload: its JSON in bytes. */
export function payloadBytes(value) {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

/**
 * The error Step Functions fails an execution with when a state's payload is
 * too large, or undefined when it fits.
 */
export function payloadViolation(what, bytes) {
  if (bytes <= MAX_PAYLOAD_BYTES) return undefined;
  return { error: 'States.DataLimitExceeded', cause: `${what} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit` };
}

/**
 * The error Step Functions fails an execution with when a Wait state's
 * SecondsPath does not read a non-negative integer from its input, or
 * undefined when it does (or the path is beyond this check).
 */
export function waitSecondsViolation(stateName, secondsPath, input) {
  const r = simplePath(secondsPath, input);
  if (!r.supported || (Number.isInteger(r.value) && r.value >= 0)) return undefined;
  return { error: 'States.Runtime', cause: `Wait state ${stateName}: SecondsPath ${secondsPath} is ${JSON.stringify(r.value)}, not a non-negative integer` };
}

/** An error named as Step Functions names it (Error), with its Cause. */
export function statesError(name, cause) {
  const err = new Error(cause);
  err.name = name;
  return err;
}

/**
 * An error that no Retry and no Catch handles: States.DataLimitExceeded,
 * States.Runtime. It fails the execution where it happens. (Step Functions
 * lets a catcher that names States.DataLimitExceeded itself catch it; the
 * definitions here name it nowhere.)
 */
export function terminalError(violation) {
  const err = statesError(violation.error, violation.cause);
  err.isCatchable = false;
  err.isRetryable = false;
  return err;
}

/** Throws the terminal States.DataLimitExceeded when value is over the limit; returns its size. */
export function checkPayload(what, value) {
  const bytes = payloadBytes(value);
  const v = payloadViolation(what, bytes);
  if (v) throw terminalError(v);
  return bytes;
}

/**
 * How many events of a Standard execution's history an interpreter event
 * stands for (the model is set out in bench.mjs): an execution's (or an
 * Inline Map iteration's) start and end 1 each; a state entered 1, and a
 * Task 3 more per attempt (LambdaFunctionScheduled, Started,
 * Succeeded|Failed), a Map 2 more (MapStateStarted|MapRunStarted and its
 * end); a state exited 1.
 */
export function historyEventsOf(type, stateType) {
  switch (type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'StateExited':
      return 1;
    case 'StateEntered':
      return 1 + (stateType === 'Task' ? 3 : 0) + (stateType === 'Map' ? 2 : 0);
    case 'StateRetried':
      return stateType === 'Task' ? 3 : 0;
    default:
      return 0;
  }
}

/**
 * Whether a Map Run with `failed` failed items out of `total` exceeds its
 * tolerated failure threshold: ToleratedFailureCount and
 * ToleratedFailurePercentage, each applying when set; exceeding either fails
 * the Map Run, and with neither set any failure does.
 * "Setting failure thresholds for Distributed Map states in Step Functions"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html).
 */
export function exceedsTolerance({ failed, total, count, percentage }) {
  if (failed === 0) return false;
  if (count === undefined && percentage === undefined) return true;
  return (count !== undefined && failed > count) || (percentage !== undefined && (100 * failed) / total > percentage);
}
