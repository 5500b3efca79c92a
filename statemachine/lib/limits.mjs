// Step Functions' limits that the local run enforces or reports against.

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
