// Step Functions' limits as the local run applies them (lib/limits.mjs).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_PAYLOAD_BYTES, payloadBytes, payloadViolation, waitSecondsViolation } from '../lib/limits.mjs';

test('a payload of 256 KiB fits; one byte more fails the execution with States.DataLimitExceeded', () => {
  assert.equal(MAX_PAYLOAD_BYTES, 256 * 1024);
  assert.equal(payloadBytes({ a: 'é' }), Buffer.byteLength('{"a":"é"}'));
  assert.equal(payloadBytes(undefined), 4, 'no output is null');
  assert.equal(payloadViolation('x', MAX_PAYLOAD_BYTES), undefined);
  const v = payloadViolation('the output of state S', MAX_PAYLOAD_BYTES + 1);
  assert.equal(v.error, 'States.DataLimitExceeded');
  assert.match(v.cause, /the output of state S is 262145 bytes/);
});

test('a Wait state\'s SecondsPath must read a non-negative integer, or the execution fails with States.Runtime', () => {
  const cases = [
    { input: { poll: { waitSeconds: 30 } }, ok: true },
    { input: { poll: { waitSeconds: 0 } }, ok: true },
    { input: { poll: { waitSeconds: -1 } }, ok: false },
    { input: { poll: { waitSeconds: 1.5 } }, ok: false },
    { input: { poll: { waitSeconds: '30' } }, ok: false },
    { input: { poll: {} }, ok: false },
    { input: {}, ok: false },
  ];
  for (const c of cases) {
    const v = waitSecondsViolation('Wait', '$.poll.waitSeconds', c.input);
    if (c.ok) assert.equal(v, undefined, JSON.stringify(c.input));
    else assert.equal(v?.error, 'States.Runtime', JSON.stringify(c.input));
  }
  // A path beyond the simple form is not checked here.
  assert.equal(waitSecondsViolation('Wait', '$.items[0]', {}), undefined);
});
