// The bridge to the interpreter, aws-local-stepfunctions: every Task state
// calls its Lambda function on the local host's Invoke API, every Wait state
// and Retry pause is shortened, and the definition is adjusted where the
// interpreter departs from Step Functions.

import { StateMachine } from 'aws-local-stepfunctions';

import { ACCOUNT, LAMBDA_REGION, allStates, taskFunctions } from './definition.mjs';
import { invoke } from './host.mjs';

/**
 * A copy of a definition that aws-local-stepfunctions 3.0.0 runs as Step
 * Functions would. That version treats ResultPath "$" as a field named "$"
 * (the result lands in {"$": result}); the spec makes it the same as no
 * ResultPath, so it is removed, from states and from catchers.
 */
export function forInterpreter(definition) {
  const copy = structuredClone(definition);
  for (const { state } of allStates(copy)) {
    if (state.ResultPath === '$') delete state.ResultPath;
    for (const catcher of state.Catch ?? []) {
      if (catcher.ResultPath === '$') delete catcher.ResultPath;
    }
  }
  return copy;
}

/**
 * Starts one execution of an already validated definition in the
 * interpreter. Returns its {result, eventLogs}.
 */
export function startExecution(definition, input, { host, waitMs, retryMs, name, stateMachineName, startedAt }) {
  const functions = taskFunctions(definition);
  const overrides = { taskResourceLocalHandlers: {}, waitTimeOverrides: {}, retryIntervalOverrides: {} };
  for (const { name: stateName, state } of allStates(definition)) {
    if (state.Type === 'Task') {
      const fn = functions[stateName];
      overrides.taskResourceLocalHandlers[stateName] = (payload) => invoke(host, fn, payload);
    }
    if (state.Type === 'Wait') overrides.waitTimeOverrides[stateName] = waitMs;
    if (Array.isArray(state.Retry)) overrides.retryIntervalOverrides[stateName] = retryMs;
  }
  const stateMachineArn = `arn:aws:states:${LAMBDA_REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`;
  const context = {
    Execution: {
      Id: `arn:aws:states:${LAMBDA_REGION}:${ACCOUNT}:execution:${stateMachineName}:${name}`,
      Name: name,
      Input: input,
      StartTime: new Date(startedAt).toISOString(),
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${stateMachineName}-state-machine`,
    },
    StateMachine: { Id: stateMachineArn, Name: stateMachineName },
  };
  // The definition was validated when it was loaded; the interpreter need not repeat it.
  const machine = new StateMachine(forInterpreter(definition), { validationOptions: { noValidate: true } });
  return machine.run(input, { overrides, context });
}
