// The execution loop: runs one execution in the interpreter (bridge.mjs),
// follows its events, keeps what the machine's profile says they mean
// (the plan, the tables, each table's result, the summary), applies Step
// Functions' limits, and hands every event to observers. Metrics and
// progress lines are observers; callers add their own. Step Functions'
// limits are enforced inside the interpreter (bridge.mjs), where they are
// broken.

import { startExecution } from './bridge.mjs';
import { virtualClock } from './clock.mjs';
import { allStates, loadDefinition, taskFunctions } from './definition.mjs';
import { payloadBytes } from './limits.mjs';
import { metricsObserver } from './metrics.mjs';
import { profileFor } from './profiles.mjs';
import { progressObserver } from './progress.mjs';

export const DEFAULT_WAIT_MS = 100;
export const DEFAULT_RETRY_MS = 50;

/**
 * An observer follows an execution:
 *   start(run)      before it starts (may be async)
 *   event(ev, run)  for each interpreter event, with ev.table (the table of
 *                   the Map iteration it belongs to, if any), ev.region (its
 *                   state input's region) and ev.executionName
 * run is the execution as known so far: {name, startedAt, definition,
 * stateByName, profile, host, emulator, waitMs, retryMs, virtualTime, tables, settings,
 * plan, results, summary, aliases, largestPayload}.
 */

/**
 * Runs one execution. Returns
 * {name, status: 'SUCCEEDED'|'FAILED', output, error, cause, settings, plan,
 *  tables, results, summary, route, history, metrics}. settings is a backup run's
 * (ListTables), plan a restore's (PlanRestore); tables are the tables either
 * works on, and results each one's Map iteration output. route lists the
 * states entered, in order, as {state, table, region} (table and region
 * undefined outside a table's iteration). history is the execution's history
 * size in events, and the largest child execution's: {events, largestChild:
 * {events, table}}.
 *
 * Options:
 *   definitionFile  path of the ASL file (or definition: an already loaded one)
 *   input           the execution input (any JSON value; default {})
 *   host            the local host URL (serves the Lambda Invoke API)
 *   emulator        the DynamoDB emulator URL, for API call counts (optional)
 *   waitMs, retryMs every Wait state and Retry pause, in milliseconds
 *   virtualTime     whether each Wait state and Retry pause moves the
 *                   emulator's clock on by the time it stands for
 *                   (lib/clock.mjs); default: when there is an emulator
 *   name            the execution name ($$.Execution.Name); default run-<timestamp>
 *   onEvent         called with each event, as an observer's event(ev)
 *   observers       more observers
 *   log             called with each progress line; default: stderr; null: quiet
 */
export async function runExecution({
  definitionFile,
  definition,
  input = {},
  host,
  emulator,
  waitMs = DEFAULT_WAIT_MS,
  retryMs = DEFAULT_RETRY_MS,
  virtualTime = Boolean(emulator),
  onEvent,
  observers = [],
  name,
  log = (line) => process.stderr.write(`${line}\n`),
  stateMachineName = 'dynamodb-xregion-backup',
}) {
  if (!host) throw new Error('runExecution: host is required');
  if (virtualTime && !emulator) throw new Error('runExecution: virtualTime needs the emulator');
  const def = definition ?? loadDefinition(definitionFile);
  const profile = profileFor(taskFunctions(def));
  const run = {
    name: name ?? `run-${new Date().toISOString().replace(/[-:.]/g, '').replace('T', 't').toLowerCase()}-${Math.random().toString(16).slice(2, 6)}`,
    startedAt: Date.now(),
    definition: def,
    profile,
    stateByName: Object.fromEntries(allStates(def).map((s) => [s.name, s.state])),
    host,
    emulator,
    waitMs,
    retryMs,
    virtualTime,
    tables: [],
    settings: undefined,
    plan: undefined,
    results: {}, // table → its iteration's output
    summary: undefined,
    aliases: {}, // other table names a table's DynamoDB calls go by → the table
    largestPayload: { bytes: 0 },
  };
  const metrics = metricsObserver();
  const route = [];
  const router = { event: (ev) => ev.type === 'StateEntered' && route.push({ state: ev.state.name, table: ev.table, region: ev.region }) };
  const all = [metrics, router, ...(log ? [progressObserver(log)] : []), ...observers, ...(onEvent ? [{ event: onEvent }] : [])];
  for (const o of all) await o.start?.(run);

  const clock = virtualTime ? virtualClock(emulator) : undefined;
  const execution = startExecution(def, input, { host, waitMs, retryMs, clock, name: run.name, stateMachineName, startedAt: run.startedAt });
  // A machine whose plan names its tables elsewhere (the run ledger) has
  // them read when the plan state exits; the child executions' events, which
  // may reach the stream before that event, wait until then.
  const waitsForTables = Boolean(profile.loadTables);
  const pending = [];
  const handle = async (raw) => {
    const ev = { ...raw, table: tableOf(run, raw), region: raw.state?.input?.region, executionName: run.name };
    follow(run, ev);
    if (waitsForTables && ev.type === 'StateExited' && ev.table === undefined && ev.state.name === profile.planState && run.plan) {
      run.tables = await profile.loadTables(run);
      run.tablesLoaded = true;
    }
    for (const o of all) o.event?.(ev, run);
  };
  const consume = (async () => {
    for await (const raw of execution.eventLogs) {
      if (waitsForTables && !run.tablesLoaded && raw.index !== undefined) {
        pending.push(raw);
        continue;
      }
      await handle(raw);
      if (run.tablesLoaded) for (const p of pending.splice(0)) await handle(p);
    }
    for (const p of pending.splice(0)) await handle(p);
  })();

  let status = 'SUCCEEDED';
  let output;
  let error;
  let cause;
  try {
    output = await execution.result;
    await clock?.settled();
  } catch (err) {
    status = 'FAILED';
    const e = err?.cause ?? err;
    error = e?.name ?? 'Error';
    cause = e?.message ?? String(e);
  }
  await consume;
  if (profile.loadResults) run.results = { ...(await profile.loadResults(run)), ...run.results };
  if (status === 'FAILED') output = { status: 'FAILED', error, cause };
  const { settings, plan, tables, results, summary } = run;
  const child = execution.limits.largestChildHistory;
  const history = { events: execution.limits.history, largestChild: child && { events: child.events, table: run.tables[child.index] } };
  return { name: run.name, status, output, error, cause, settings, plan, tables, results, summary, route, history, metrics: await metrics.finish(run, status) };
}

// The table of the Map iteration an event belongs to.
function tableOf(run, ev) {
  return ev.index !== undefined ? run.tables[ev.index] ?? `#${ev.index}` : undefined;
}

/**
 * Keeps what an event tells about the run (its plan, tables, results and
 * summary, by the machine's profile), and the largest payload.
 */
function follow(run, ev) {
  const { profile } = run;
  const name = ev.state?.name;
  switch (ev.type) {
    case 'StateExited': {
      const bytes = payloadBytes(ev.state.output);
      if (bytes > run.largestPayload.bytes) run.largestPayload = { bytes, state: name };
      const out = ev.state.output;
      if (ev.table === undefined) {
        const planned = name === profile.planState ? profile.readPlan(out) : undefined;
        if (planned) {
          run.tables = planned.tables;
          run.settings = planned.settings;
          run.plan = planned.plan;
          Object.assign(run.aliases, profile.planAliases(planned));
        }
        if (name === profile.summaryState) {
          run.summary = out;
          for (const r of profile.summaryResults?.(out) ?? []) run.results[r.table] = r;
        }
      } else {
        for (const alias of profile.aliases(out)) run.aliases[alias] = ev.table;
      }
      break;
    }
    case 'MapIterationSucceeded': {
      const r = ev.parentState?.name === profile.tableMap && ev.table !== undefined ? profile.iterationResult(ev.output) : undefined;
      if (r !== undefined) run.results[ev.table] = r;
      break;
    }
    case 'MapIterationFailed':
      if (ev.parentState?.name === profile.tableMap && ev.table !== undefined) run.results[ev.table] = { table: ev.table, status: 'failed', error: ev.Error, cause: ev.Cause };
      break;
    default:
      break;
  }
}
