// The contract between the state machine definitions, the handlers and the
// deployment: placeholders, error names, and the shapes the local runner
// relies on. No host needed.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { forInterpreter } from '../lib/bridge.mjs';
import {
  PLACEHOLDER, allStates, functionArn, kebab, loadDefinition, placeholdersIn, taskFunctions,
} from '../lib/definition.mjs';
import { CONTRACT_ERRORS, NEVER_RETRY } from '../lib/facts.mjs';
import { profileFor } from '../lib/profiles.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const machineDir = path.join(here, '..');
const definitions = readdirSync(machineDir).filter((f) => f.endsWith('.asl.json'));

function errorLists(definition) {
  const out = [];
  for (const { name, state } of allStates(definition)) {
    for (const [kind, list] of [['Retry', state.Retry ?? []], ['Catch', state.Catch ?? []]]) {
      list.forEach((entry, i) => out.push({ state: name, kind, index: i, last: i === list.length - 1, names: entry.ErrorEquals }));
    }
  }
  return out;
}

test('there is a backup state machine', () => {
  assert.ok(definitions.includes('backup.asl.json'), definitions.join(', '));
});

for (const file of definitions) {
  describe(file, () => {
    const text = readFileSync(path.join(machineDir, file), 'utf8');
    const raw = JSON.parse(text);

    test('is a valid definition once its placeholders are filled in', () => {
      loadDefinition(path.join(machineDir, file));
    });

    // That each names a handler of lambdas/registry is checked in Go
    // (TestStateMachinesUseExactlyTheDeployedHandlers).
    test('uses only <Name>FunctionArn placeholders', () => {
      const placeholders = placeholdersIn(text);
      assert.ok(placeholders.length > 0);
      for (const p of placeholders) {
        const m = PLACEHOLDER.exec(p);
        assert.ok(m, `\${${p}} is not <PascalName>FunctionArn`);
        assert.match(kebab(m[1]), /^[a-z]+(-[a-z]+)*$/, `\${${p}} does not name a kebab-case handler`);
      }
    });

    test('calls Lambda functions only through placeholders', () => {
      for (const { name, state } of allStates(raw)) {
        if (state.Type !== 'Task') continue;
        assert.match(state.Resource, /^\$\{[A-Za-z0-9]+FunctionArn\}$/, `${name}: ${state.Resource}`);
      }
    });

    test('matches only Step Functions errors and the handlers\' contract errors', () => {
      const lists = errorLists(raw);
      assert.ok(lists.length > 0, 'no Retry or Catch found');
      for (const { state, kind, names } of lists) {
        for (const n of names) {
          // Sandbox.Timedout: a Lambda timeout, as Step Functions reports it.
          assert.ok(n.startsWith('States.') || n.startsWith('Lambda.') || n === 'Sandbox.Timedout' || CONTRACT_ERRORS.includes(n), `${state} ${kind} matches ${n}, which no handler reports`);
        }
      }
    });

    test('puts States.ALL alone and last, after the specific errors', () => {
      for (const { state, kind, names, last } of errorLists(raw)) {
        if (!names.includes('States.ALL')) continue;
        assert.deepEqual(names, ['States.ALL'], `${state} ${kind}`);
        assert.ok(last, `${state} ${kind}: States.ALL before other entries`);
      }
    });

    test('never retries an error that a retry cannot cure', () => {
      for (const { state, kind, names } of errorLists(raw)) {
        if (kind !== 'Retry') continue;
        for (const n of names) assert.ok(!NEVER_RETRY.includes(n) && n !== 'States.ALL', `${state} retries ${n}`);
      }
    });

    test('retries Lambda service errors on every Task', () => {
      for (const { name, state } of allStates(raw)) {
        if (state.Type !== 'Task') continue;
        const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
        for (const n of ['Lambda.ServiceException', 'Lambda.TooManyRequestsException']) assert.ok(retried.includes(n), `${name} does not retry ${n}`);
      }
    });

    test('has a runner profile whose states it has, of the right types', () => {
      const definition = loadDefinition(path.join(machineDir, file));
      const profile = profileFor(taskFunctions(definition));
      assert.notEqual(profile.kind, 'other', 'the runner has no profile for this machine (lib/profiles.mjs)');
      const types = Object.fromEntries(allStates(definition).map(({ name, state }) => [name, state.Type]));
      const want = { [profile.planState]: 'Task', [profile.tableMap]: 'Map', [profile.summaryState]: 'Task' };
      for (const poll of Object.keys(profile.polls)) want[poll] = 'Task';
      for (const [name, type] of Object.entries(want)) assert.equal(types[name], type, `${profile.kind} profile: state ${name}`);
      // The plan and the summary are top-level states, the table Map too.
      for (const name of [profile.planState, profile.tableMap, profile.summaryState]) assert.ok(name in definition.States, `${name} is not a top-level state`);
    });

    test('gives each Task state a name of its own (local overrides are keyed by name)', () => {
      assert.doesNotThrow(() => taskFunctions(loadDefinition(path.join(machineDir, file))));
    });
  });
}

describe('the runner', () => {
  test('maps placeholders to the functions the host serves', () => {
    assert.equal(kebab('ListTables'), 'list-tables');
    assert.equal(kebab('Sweep'), 'sweep');
    assert.equal(kebab('PruneBackups'), 'prune-backups');
    assert.equal(functionArn('CreateBackupFunctionArn'), 'arn:aws:lambda:us-east-1:123456789012:function:create-backup');
  });

  test('drops ResultPath "$", which aws-local-stepfunctions 3.0.0 misreads', () => {
    const def = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', ResultPath: '$', Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Pass', ResultPath: '$.x', End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'A' }],
          End: true,
        },
      },
    };
    const out = forInterpreter(def);
    assert.equal('ResultPath' in out.States.A, false);
    assert.equal('ResultPath' in out.States.M.Catch[0], false);
    assert.equal(out.States.M.ItemProcessor.States.B.ResultPath, '$.x');
    assert.equal(def.States.A.ResultPath, '$', 'the original is unchanged');
  });

  test('gives a Task without a timeout the 15 minutes a Lambda function may run, not 60 seconds', () => {
    const def = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:a', Next: 'B' },
        B: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:b', TimeoutSeconds: 5, End: true },
      },
    };
    const out = forInterpreter(def);
    assert.equal(out.States.A.TimeoutSeconds, 900);
    assert.equal(out.States.B.TimeoutSeconds, 5);
  });
});
