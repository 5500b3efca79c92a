// The bridge to the interpreter, aws-local-stepfunctions: every Task state
// calls its Lambda function on the local host's Invoke API, every Wait state
// and Retry pause is shortened (and, with a virtual clock, the emulator's
// clock is moved on by the time it stands for: lib/clock.mjs), and the definition is adjusted where the
// interpreter departs from Step Functions. The bridge also supplies what the
// interpreter lacks:
//
// - Step Functions' limits, enforced where Step Functions enforces them
//   (lib/limits.mjs): a state whose input or output, a Lambda payload or
//   result, or a Map's aggregated result is over 256 KiB fails the execution
//   there with States.DataLimitExceeded; an execution whose history passes
//   25,000 events fails (Step Functions documents no error name for it; the
//   runner reports States.Runtime).
// - The Distributed Map (the interpreter runs it as an Inline Map, inside the
//   parent): here each iteration is a child execution of its own, with its
//   own history and payload limits; MaxConcurrency(Path),
//   ToleratedFailureCount/Percentage, and the result of a child that failed.
//   Sources, in the Step Functions developer guide: "Using Map state in
//   Distributed mode" (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html:
//   each child execution has its own history; 10,000 children at once when
//   MaxConcurrency is not set), "Setting failure thresholds for Distributed
//   Map states" (https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html:
//   past the threshold the Map Run fails with
//   States.ExceedToleratedFailureThreshold), and "ResultWriter (Map)"
//   (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html:
//   a child that failed is returned as its execution result, with its
//   metadata: ExecutionArn, Input as a JSON string, Name, Status FAILED,
//   Error, Cause, ...).

import { randomUUID } from 'node:crypto';

import { ExecutionAbortedError, StateMachine } from 'aws-local-stepfunctions';

import { retryPauseSeconds, waitEnd } from './clock.mjs';
import { ACCOUNT, LAMBDA_REGION, allStates, simplePath, taskFunctions } from './definition.mjs';
import { invoke } from './host.mjs';
import {
  HISTORY_LIMIT, checkPayload, exceedsTolerance, historyEventsOf, statesError, terminalError, waitSecondsViolation,
} from './limits.mjs';

/** Child executions at once when a Distributed Map sets no MaxConcurrency. */
export const DISTRIBUTED_MAX_CONCURRENCY = 10000;

// The interpreter's Task timeout is a Node timer: at most 2^31-1 ms.
const MAP_RUN_TIMEOUT_SECONDS = 2147483;

// A Task without TimeoutSeconds has no timeout in Step Functions ("Using
// timeouts to avoid stuck Step Functions workflow executions",
// https://docs.aws.amazon.com/step-functions/latest/dg/sfn-stuck-execution.html:
// by default the States Language specifies none); a Lambda Task then ends
// with its function, which runs at most 15 minutes ("Lambda quotas",
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
// The interpreter would give it 60 seconds.
const LAMBDA_MAX_SECONDS = 900;

const isDistributed = (state) => state.Type === 'Map' && (state.ItemProcessor ?? state.Iterator)?.ProcessorConfig?.Mode === 'DISTRIBUTED';

/**
 * A copy of a definition that aws-local-stepfunctions 3.0.0 runs as Step
 * Functions would. That version treats ResultPath "$" as a field named "$"
 * (the result lands in {"$": result}); the spec makes it the same as no
 * ResultPath, so it is removed, from states and from catchers. A Task
 * without a timeout gets the longest a Lambda function runs (see
 * LAMBDA_MAX_SECONDS), not the interpreter's 60 seconds. A Distributed
 * Map becomes a Task that the bridge runs as a Map Run (its Retry, Catch,
 * InputPath, ResultSelector, ResultPath and OutputPath stay).
 */
export function forInterpreter(definition) {
  const copy = structuredClone(definition);
  for (const { state } of allStates(copy)) {
    if (state.ResultPath === '$') delete state.ResultPath;
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = LAMBDA_MAX_SECONDS;
    for (const catcher of state.Catch ?? []) {
      if (catcher.ResultPath === '$') delete catcher.ResultPath;
    }
  }
  for (const [name, state] of Object.entries(copy.States)) {
    if (!isDistributed(state)) continue;
    const kept = Object.fromEntries(['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End']
      .filter((k) => k in state).map((k) => [k, state[k]]));
    copy.States[name] = { ...kept, Type: 'Task', Resource: `arn:aws:states:::map-run/${name}`, TimeoutSeconds: MAP_RUN_TIMEOUT_SECONDS };
  }
  return copy;
}

// What one execution (or child execution) is held to; Inline Map iterations
// share their execution's, as their events are in its history.
function newLimits(definition) {
  const limits = { history: 0, largestChildHistory: undefined, mapStates: new Set(), waitPaths: {} };
  for (const [name, state] of Object.entries(definition.States)) if (isDistributed(state)) limits.mapStates.add(name);
  for (const { name, state } of allStates(definition)) if (state.Type === 'Wait' && state.SecondsPath) limits.waitPaths[name] = state.SecondsPath;
  return limits;
}

let installed = false;

/**
 * Makes the interpreter hold every execution started with runOptions.limits
 * to Step Functions' limits, at the moment they are broken: an error thrown
 * while a state's event is dispatched fails the execution at that state; and
 * makes the pauses of one started with runOptions.time move its virtual
 * clock. The interpreter has no hook for this, so its StateMachine.execute
 * is wrapped, once, to wrap the execution's event logger.
 */
function enforceLimits() {
  if (installed) return;
  installed = true;
  const execute = StateMachine.prototype.execute;
  StateMachine.prototype.execute = function strictExecute(input, options, cleanupFn) {
    const { limits, time } = options.runOptions ?? {};
    if (limits) watch(options.eventLogger, limits);
    if (time) keepTime(options.eventLogger, time);
    return execute.call(this, input, options, cleanupFn);
  };
}

// Replaces logger[method] with fn(original, ...args).
function wrap(logger, method, fn) {
  const original = logger[method].bind(logger);
  logger[method] = (...args) => fn(original, ...args);
}

function watch(logger, limits) {
  const count = (type, stateType) => {
    limits.history += historyEventsOf(type, stateType);
    if (limits.history > HISTORY_LIMIT) {
      throw terminalError({ error: 'States.Runtime', cause: `the execution history reached ${limits.history} events, over the ${HISTORY_LIMIT}-event quota` });
    }
  };
  // A Distributed Map runs as a Task (forInterpreter); its events say Map.
  const typeOf = (name, type) => (limits.mapStates.has(name) ? 'Map' : type);
  wrap(logger, 'dispatchExecutionStartedEvent', (original, input) => {
    limits.history += historyEventsOf('ExecutionStarted');
    original(input);
  });
  wrap(logger, 'dispatchExecutionSucceededEvent', (original, output) => {
    limits.history += historyEventsOf('ExecutionSucceeded');
    original(output);
  });
  wrap(logger, 'dispatchExecutionFailedEvent', (original, error) => {
    limits.history += historyEventsOf('ExecutionFailed');
    original(error);
  });
  wrap(logger, 'dispatchStateEnteredEvent', (original, name, type, input) => {
    const t = typeOf(name, type);
    original(name, t, input);
    count('StateEntered', t);
    checkPayload(`the input of state ${name}`, input);
    const waitPath = limits.waitPaths[name];
    const v = waitPath && waitSecondsViolation(name, waitPath, input);
    if (v) throw terminalError(v);
  });
  wrap(logger, 'dispatchStateExitedEvent', (original, name, type, input, output) => {
    checkPayload(`the output of state ${name}`, output);
    original(name, typeOf(name, type), input, output);
    count('StateExited');
  });
  wrap(logger, 'dispatchStateRetriedEvent', (original, name, type, ...rest) => {
    const t = typeOf(name, type);
    original(name, t, ...rest);
    count('StateRetried', t);
  });
  for (const method of ['dispatchStateFailedEvent', 'dispatchStateCaughtEvent']) {
    wrap(logger, method, (original, name, type, ...rest) => original(name, typeOf(name, type), ...rest));
  }
}

/**
 * Moves time.clock on for each pause of an execution, when the pause ends:
 * a Wait state when it exits, a Retry pause when the state is retried (the
 * pause began when the state failed). time.states are the definition's
 * states by name.
 */
function keepTime(logger, { clock, states }) {
  const began = {}; // state name → the clock when its pause began
  wrap(logger, 'dispatchStateEnteredEvent', (original, name, type, input) => {
    if (type === 'Wait') began[name] = clock.begin();
    original(name, type, input);
  });
  wrap(logger, 'dispatchStateExitedEvent', (original, name, type, input, output) => {
    if (type === 'Wait') {
      const end = waitEnd(states[name], input);
      clock.reach(end.at ?? began[name].then((t) => t + end.seconds));
    }
    original(name, type, input, output);
  });
  wrap(logger, 'dispatchStateFailedEvent', (original, name, ...rest) => {
    if (states[name]?.Retry) began[name] = clock.begin();
    original(name, ...rest);
  });
  wrap(logger, 'dispatchStateRetriedEvent', (original, name, type, input, retrier, attempt) => {
    clock.reach(began[name].then((t) => t + retryPauseSeconds(retrier, attempt)));
    original(name, type, input, retrier, attempt);
  });
}

/** An async stream of events that several producers push to. */
class EventStream {
  #events = [];
  #next = 0;
  #wake;
  #closed = false;

  push(ev) {
    this.#events.push(ev);
    this.#wake?.();
  }

  close() {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      while (this.#next < this.#events.length) {
        const ev = this.#events[this.#next];
        this.#events[this.#next++] = undefined;
        yield ev;
      }
      if (this.#closed) return;
      await new Promise((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}

/**
 * Starts one execution of an already validated definition in the
 * interpreter. Returns {result, eventLogs, limits}: eventLogs carries the
 * child executions' events too, as the interpreter forwards an Inline Map's
 * (a child's events carry the iteration's index, and its start and end are
 * MapIterationStarted, MapIterationSucceeded or MapIterationFailed, with
 * parentState); limits.history is the execution's history size and
 * limits.largestChildHistory its largest child's ({events, index}). With a
 * clock (lib/clock.mjs), every pause moves it on, and every Task waits for
 * the moves asked for before it.
 */
export function startExecution(definition, input, { host, waitMs, retryMs, clock, name, stateMachineName, startedAt }) {
  enforceLimits();
  const functions = taskFunctions(definition);
  const overrides = { taskResourceLocalHandlers: {}, waitTimeOverrides: {}, retryIntervalOverrides: {} };
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
  const events = new EventStream();
  const limits = newLimits(definition);
  const time = clock && { clock, states: Object.fromEntries(allStates(definition).map((s) => [s.name, s.state])) };
  const mapRun = { overrides, context, stateMachineArn, stateMachineName, emit: (ev) => events.push(ev), parentLimits: limits, time };
  for (const { name: stateName, state } of allStates(definition)) {
    if (state.Type === 'Task') {
      const fn = functions[stateName];
      overrides.taskResourceLocalHandlers[stateName] = async (payload) => {
        checkPayload(`the payload of state ${stateName} to ${fn}`, payload);
        await clock?.settled();
        const result = await invoke(host, fn, payload);
        checkPayload(`the result of ${fn} in state ${stateName}`, result);
        return result;
      };
    }
    if (isDistributed(state)) overrides.taskResourceLocalHandlers[stateName] = (mapInput) => runMapRun(stateName, state, mapInput, mapRun);
    if (state.Type === 'Wait') overrides.waitTimeOverrides[stateName] = waitMs;
    if (Array.isArray(state.Retry)) overrides.retryIntervalOverrides[stateName] = retryMs;
  }
  // The definition was validated when it was loaded; the interpreter need not repeat it.
  const machine = new StateMachine(forInterpreter(definition), { validationOptions: { noValidate: true } });
  const execution = machine.run(input, { overrides, context, limits, time });
  (async () => {
    for await (const ev of execution.eventLogs) events.push(ev);
    events.close();
  })();
  return { result: execution.result, eventLogs: events, limits };
}

/**
 * Runs a Distributed Map state on its (effective) input, as a Map Run: one
 * child execution per item, at most MaxConcurrency at once. Returns the
 * results in item order, a failed child's as Step Functions gives it; throws
 * States.ExceedToleratedFailureThreshold once failures pass the threshold
 * (the other children are stopped).
 */
async function runMapRun(stateName, state, input, run) {
  const items = readPath(state.ItemsPath ?? '$', input, run.context);
  if (!Array.isArray(items)) throw terminalError({ error: 'States.Runtime', cause: `Map state ${stateName}: ItemsPath ${state.ItemsPath} is not an array` });
  const maxConcurrency = state.MaxConcurrencyPath ? readPath(state.MaxConcurrencyPath, input, run.context) : state.MaxConcurrency;
  const tolerance = {
    count: state.ToleratedFailureCountPath ? readPath(state.ToleratedFailureCountPath, input, run.context) : state.ToleratedFailureCount,
    percentage: state.ToleratedFailurePercentagePath ? readPath(state.ToleratedFailurePercentagePath, input, run.context) : state.ToleratedFailurePercentage,
  };
  const processor = state.ItemProcessor ?? state.Iterator;
  const childMachine = new StateMachine(forInterpreter(processor), { validationOptions: { noValidate: true } });
  const label = state.Label ?? stateName;
  const template = state.ItemSelector ?? state.Parameters;
  const results = new Array(items.length);
  const stops = new Set();
  let failed = 0;
  let exceeded = false;
  let next = 0;

  const child = async (index) => {
    const itemContext = { ...run.context, Map: { Item: { Index: index, Value: items[index] } } };
    const itemInput = template === undefined ? items[index] : fill(template, input, itemContext);
    const childName = randomUUID();
    const startDate = new Date().toISOString();
    const executionArn = `arn:aws:states:${LAMBDA_REGION}:${ACCOUNT}:execution:${run.stateMachineName}/${label}:${childName}`;
    const childLimits = newLimits(processor);
    const execution = childMachine.run(itemInput, {
      overrides: run.overrides,
      context: {
        Execution: { Id: executionArn, Name: childName, Input: itemInput, StartTime: startDate, RoleArn: run.context.Execution.RoleArn },
        StateMachine: { Id: `${run.stateMachineArn}/${label}`, Name: `${run.stateMachineName}/${label}` },
      },
      limits: childLimits,
      time: run.time,
    });
    stops.add(execution.abort);
    const forwarded = forward(execution.eventLogs, index, stateName, input, run.emit);
    let outcome;
    try {
      outcome = { status: 'SUCCEEDED', output: await execution.result };
    } catch (err) {
      const e = err instanceof ExecutionAbortedError ? err : err?.cause ?? err;
      outcome = err instanceof ExecutionAbortedError ? { status: 'ABORTED' } : { status: 'FAILED', error: e?.name ?? 'Error', cause: e?.message ?? String(e) };
    }
    stops.delete(execution.abort);
    await forwarded;
    if (childLimits.history > (run.parentLimits.largestChildHistory?.events ?? 0)) run.parentLimits.largestChildHistory = { events: childLimits.history, index };
    if (outcome.status === 'SUCCEEDED') {
      results[index] = outcome.output;
      return;
    }
    if (outcome.status === 'ABORTED') return;
    results[index] = {
      ExecutionArn: executionArn,
      Input: JSON.stringify(itemInput),
      InputDetails: { Included: true },
      Name: childName,
      StartDate: startDate,
      StateMachineArn: `${run.stateMachineArn}/${label}`,
      Status: 'FAILED',
      StopDate: new Date().toISOString(),
      Error: outcome.error,
      Cause: outcome.cause,
    };
    failed++;
    if (!exceeded && exceedsTolerance({ failed, total: items.length, ...tolerance })) {
      exceeded = true;
      for (const stop of stops) stop();
    }
  };
  const worker = async () => {
    while (next < items.length && !exceeded) await child(next++);
  };
  const workers = Math.min(items.length, maxConcurrency || DISTRIBUTED_MAX_CONCURRENCY);
  await Promise.all(Array.from({ length: workers }, worker));
  if (exceeded) {
    throw statesError('States.ExceedToleratedFailureThreshold', `Map state ${stateName}: ${failed} of ${items.length} child executions failed, over the tolerated failure threshold`);
  }
  checkPayload(`the result of Map state ${stateName}`, results);
  return results;
}

// A child execution's events, forwarded as the interpreter forwards an
// Inline Map iteration's.
async function forward(eventLogs, index, mapName, mapInput, emit) {
  const parentState = { type: 'Map', name: mapName, input: mapInput };
  const as = { ExecutionStarted: 'MapIterationStarted', ExecutionSucceeded: 'MapIterationSucceeded', ExecutionFailed: 'MapIterationFailed' };
  for await (const ev of eventLogs) {
    if (as[ev.type]) emit({ ...ev, type: as[ev.type], index, parentState });
    else if (['StateEntered', 'StateExited', 'StateFailed', 'StateRetried', 'StateCaught'].includes(ev.type)) emit({ ...ev, index });
    else if (ev.type !== 'ExecutionAborted' && ev.type !== 'ExecutionTimeout') emit(ev);
  }
}

// A payload template (ItemSelector) filled in from input and the context
// object. The runner reads simple paths only ($.a.b, $$.Map.Item.Value).
function fill(template, input, context) {
  if (Array.isArray(template)) return template.map((t) => fill(t, input, context));
  if (template === null || typeof template !== 'object') return template;
  return Object.fromEntries(Object.entries(template).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), readPath(v, input, context)] : [k, fill(v, input, context)])));
}

function readPath(pathExpr, input, context) {
  const onContext = pathExpr.startsWith('$$');
  const r = simplePath(onContext ? pathExpr.slice(1) : pathExpr, onContext ? context : input);
  if (!r.supported) throw new Error(`the local runner reads only simple paths ($.a.b or $$.a.b) in a Distributed Map; ${pathExpr} is not one`);
  if (r.value === undefined) throw statesError('States.ParameterPathFailure', `the path ${pathExpr} matches nothing in the Distributed Map's input`);
  return r.value;
}
