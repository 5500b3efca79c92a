// Step Functions' limits and rules that the local run enforces or reports
// against, where the interpreter is more lenient.

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
