// Every Retry entry of the state machine definitions is one of the named
// policies in retry-policies.json: one policy per kind of error, written
// once. Step Functions has no way to refer to a policy, so the definitions
// repeat them; this test keeps the copies equal.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { allStates } from '../lib/definition.mjs';
import { NEVER_RETRY } from '../lib/facts.mjs';

const machineDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const POLICIES = JSON.parse(readFileSync(path.join(machineDir, 'retry-policies.json'), 'utf8'));
const definitions = readdirSync(machineDir).filter((f) => f.endsWith('.asl.json'));

// Every field a retrier may have: a policy that left one out would let a
// definition's copy set it to anything.
const FIELDS = ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy'];

/** The name of the policy a retrier equals, or undefined. */
function policyOf(retrier) {
  return Object.keys(POLICIES).find((name) => {
    try {
      assert.deepStrictEqual(retrier, POLICIES[name]);
      return true;
    } catch {
      return false;
    }
  });
}

function retriers(file) {
  const definition = JSON.parse(readFileSync(path.join(machineDir, file), 'utf8'));
  return allStates(definition).flatMap(({ state, path: where }) => (state.Retry ?? []).map((retrier, i) => ({ where: `${where.join(' > ')} Retry[${i}]`, retrier })));
}

describe('retry-policies.json', () => {
  test('names at least one policy, each with every retrier field', () => {
    assert.ok(Object.keys(POLICIES).length > 0);
    for (const [name, policy] of Object.entries(POLICIES)) assert.deepEqual(Object.keys(policy).toSorted(), FIELDS.toSorted(), name);
  });

  test('gives each error one policy, and none to an error a retry cannot cure', () => {
    const seen = {};
    for (const [name, policy] of Object.entries(POLICIES)) {
      for (const error of policy.ErrorEquals) {
        assert.equal(seen[error], undefined, `${error} is in ${seen[error]} and ${name}`);
        assert.ok(!NEVER_RETRY.includes(error) && error !== 'States.ALL', `${name} retries ${error}`);
        seen[error] = name;
      }
    }
  });

  test('each policy is used by some definition', () => {
    const used = new Set(definitions.flatMap((f) => retriers(f).map(({ retrier }) => policyOf(retrier))));
    for (const name of Object.keys(POLICIES)) assert.ok(used.has(name), `${name} is used nowhere`);
  });
});

for (const file of definitions) {
  describe(file, () => {
    test('every Retry entry is one of the named policies', () => {
      const all = retriers(file);
      assert.ok(all.length > 0, 'no Retry found');
      for (const { where, retrier } of all) {
        assert.ok(policyOf(retrier), `${where} is no named policy in retry-policies.json: ${JSON.stringify(retrier)}`);
      }
    });

    // Every step is idempotent, so each Task retries a DynamoDB server
    // error (ServiceError) and, a bounded number of times, a Lambda
    // timeout: Step Functions reports one as Sandbox.Timedout, or as
    // Lambda.Unknown ("Handle Lambda service exceptions",
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
    test('every Task retries a server error and a Lambda timeout', () => {
      const definition = JSON.parse(readFileSync(path.join(machineDir, file), 'utf8'));
      const tasks = allStates(definition).filter(({ state }) => state.Type === 'Task');
      assert.ok(tasks.length > 0);
      for (const { state, path: where } of tasks) {
        const names = (state.Retry ?? []).map(policyOf);
        for (const policy of ['serviceError', 'timedOut']) assert.ok(names.includes(policy), `${where.join(' > ')} lacks ${policy}`);
      }
      assert.ok(POLICIES.timedOut.ErrorEquals.includes('Sandbox.Timedout'));
      assert.ok(POLICIES.timedOut.MaxAttempts <= 3, 'a timeout costs a whole Lambda timeout per attempt');
    });

    // Past its retries, a timeout in a table's iteration must still reach
    // the clean-up or the table's failure, never end the child execution;
    // only the states that record that failure (Record*Outcome, the last
    // resort) may: the child then fails outright, and Summarize reads its
    // failure from the Map's result.
    test('every Task inside a Map catches States.ALL', () => {
      const definition = JSON.parse(readFileSync(path.join(machineDir, file), 'utf8'));
      for (const { name, state, path: where } of allStates(definition)) {
        if (state.Type !== 'Task' || where.length < 2 || /^Record\w*Outcome$/.test(name)) continue;
        assert.ok((state.Catch ?? []).some((c) => c.ErrorEquals.includes('States.ALL')), `${where.join(' > ')} does not catch States.ALL`);
      }
    });

    test('no state lists a policy twice', () => {
      const byState = Object.groupBy(retriers(file), ({ where }) => where.replace(/ Retry\[\d+\]$/, ''));
      for (const [where, list] of Object.entries(byState)) {
        const names = list.map(({ retrier }) => policyOf(retrier));
        assert.equal(new Set(names).size, names.length, `${where}: ${names.join(', ')}`);
      }
    });
  });
}
