// The bench behind bench.mjs: what backing up ONE table costs in Step
// Functions terms, for a given restore duration, on the emulator's simulated
// clock; and the history accounting it rests on.
//
// History accounting. The interpreter (aws-local-stepfunctions) does not keep
// a Step Functions history; accountHistory rebuilds its size from the
// interpreter's events, event by event, with the event types Step Functions
// records for a Standard execution (HistoryEvent.type in the Step Functions
// API reference, GetExecutionHistory):
//
//   execution        ExecutionStarted, then ExecutionSucceeded | ExecutionFailed  2
//   any state        <Type>StateEntered when entered                              1
//                    <Type>StateExited when left, also when an error is caught    1
//                    (a Fail state, and a state whose error is not caught,
//                    have no Exited event: ExecutionFailed follows)
//   Task, Lambda     per attempt, the first and each retry:                       3
//   (Resource is a   LambdaFunctionScheduled, LambdaFunctionStarted,
//   function ARN)    LambdaFunctionSucceeded | LambdaFunctionFailed
//                    (a retry adds no StateEntered; LambdaFunctionTimedOut
//                    replaces Failed on a timeout, which cannot happen here)
//   Inline Map       MapStateStarted, MapStateSucceeded | MapStateFailed          2
//                    per iteration: MapIterationStarted, MapIterationSucceeded |
//                    MapIterationFailed; the iterations' own state events go  2/it.
//                    into the same history
//   Distributed Map  in the parent: MapRunStarted, MapRunSucceeded | MapRunFailed 2
//                    each iteration is a child execution with a history of its
//                    own (its ExecutionStarted/ExecutionSucceeded, as above)
//   Wait, Pass,      only their Entered/Exited events
//   Choice, Succeed
//
// So one poll cycle (Wait, poll Task, Choice) is 2 + (2 + 3) + 2 = 9 events.
// Sources: the Step Functions API reference,
// HistoryEvent and GetExecutionHistory (the event types); the developer
// guide's "Quotas" (25,000 events, then the execution fails) and "Avoid
// reaching the history quota"; "Map state" (an Inline Map's iterations are
// added to the parent's history, a Distributed Map's child executions each
// have their own); and execution histories recorded against AWS (LocalStack's
// snapshot tests of Lambda tasks: TaskStateEntered, LambdaFunctionScheduled,
// LambdaFunctionStarted, LambdaFunctionSucceeded|Failed, TaskStateExited,
// with TaskStateExited also after a caught error).
//
// Single-execution estimate: with an Inline Map in place of the Distributed
// Map, each table's child history moves into the one execution, its
// ExecutionStarted/Succeeded becoming MapIterationStarted/Succeeded (the same
// count), and MapRunStarted/Succeeded becoming MapStateStarted/Succeeded. So
// one execution for N tables = top-level events + N × child events.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadDefinition, machineShape, simplePath } from './definition.mjs';
import { admin, createKeyedTable, ddbCall, emulatorClock } from './emulator.mjs';
import { runExecution } from './execution.mjs';
import { round } from './format.mjs';
import { startHost } from './host.mjs';
import { HISTORY_LIMIT } from './limits.mjs';
import { backupProfile } from './profiles.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MACHINE = path.join(here, '..', 'backup.asl.json');
export const DEFAULT_HOST_BIN = path.join(here, '..', '..', 'build', 'local');

function newLedger() {
  return {
    historyEvents: 0,
    historyByKind: { execution: 0, stateEnteredExited: 0, lambda: 0, map: 0 },
    statesEntered: 0,
    statesEnteredByType: {},
    lambdaInvocations: 0,
    lambdaFailures: 0,
    retries: 0,
    mapIterations: 0,
  };
}

function add(ledger, kind, n = 1) {
  ledger.historyEvents += n;
  ledger.historyByKind[kind] += n;
}

/**
 * Counts interpreter events into two ledgers: the top-level execution, and
 * the table iterations of the Distributed Map (their child executions; with
 * one table, one child execution). Returns {top, child, polls}.
 *
 * The interpreter tags a state event inside a Map iteration with the index of
 * the outermost iteration; a nested Map's iteration events keep their own
 * index. Every event carrying an index, and every iteration event of a
 * Distributed Map, belongs to a child execution.
 */
export function historyObserver(shape, labels = backupProfile.polls) {
  const top = newLedger();
  const child = newLedger();
  const polls = {};
  for (const loop of Object.values(shape.loops)) {
    polls[loop.poll] = { label: labels[loop.poll] ?? loop.poll, polls: 0, waits: 0, simulatedWaitSeconds: 0, elapsedSeconds: null, historyEvents: 0 };
  }
  return {
    event(ev) {
      const iterationOf = ev.parentState?.name;
      const inChild = ev.index !== undefined || shape.distributed.has(iterationOf);
      const l = inChild ? child : top;
      switch (ev.type) {
        case 'ExecutionStarted':
        case 'ExecutionSucceeded':
        case 'ExecutionFailed':
          add(top, 'execution');
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed':
          if (shape.distributed.has(iterationOf)) {
            // The child execution's own ExecutionStarted / ExecutionSucceeded.
            add(child, 'execution');
          } else {
            add(l, 'map');
            if (ev.type === 'MapIterationStarted') l.mapIterations++;
          }
          break;
        case 'StateEntered': {
          const { name, type } = ev.state;
          add(l, 'stateEnteredExited');
          l.statesEntered++;
          l.statesEnteredByType[type] = (l.statesEnteredByType[type] ?? 0) + 1;
          if (type === 'Task') {
            add(l, 'lambda', 3);
            l.lambdaInvocations++;
          }
          // MapStateStarted/MapStateSucceeded, or MapRunStarted/MapRunSucceeded.
          if (type === 'Map') add(l, 'map', 2);
          if (polls[name]) polls[name].polls++;
          const loop = Object.values(shape.loops).find((x) => x.wait === name);
          if (loop) {
            polls[loop.poll].waits++;
            polls[loop.poll].simulatedWaitSeconds += Number(simplePath(loop.waitPath, ev.state.input).value ?? 0);
          }
          break;
        }
        case 'StateExited': {
          add(l, 'stateEnteredExited');
          const loop = shape.loops[ev.state.name];
          const out = loop && simplePath(loop.resultPath ?? '$', ev.state.output).value;
          if (out?.ready) polls[loop.poll].elapsedSeconds = out.elapsedSeconds;
          break;
        }
        case 'StateRetried':
          l.retries++;
          if (ev.state.type === 'Task') {
            add(l, 'lambda', 3);
            l.lambdaInvocations++;
            if (polls[ev.state.name]) polls[ev.state.name].polls++;
          }
          break;
        case 'StateFailed':
          // The attempt's LambdaFunctionFailed, already counted as its third event.
          if (ev.state.type === 'Task') l.lambdaFailures++;
          break;
        default:
          break;
      }
    },
    /** The ledgers: {top, child, polls}. */
    ledgers() {
      for (const p of Object.values(polls)) {
        // Each poll is a Task (2 + 3 events) and a Choice (2); each wait 2 more.
        p.historyEvents = p.polls * 7 + p.waits * 2;
      }
      return { top, child, polls };
    },
  };
}

/** accountHistory feeds events to a historyObserver and returns its ledgers. */
export function accountHistory(events, shape, labels) {
  const h = historyObserver(shape, labels);
  for (const ev of events) h.event(ev);
  return h.ledgers();
}

/** What one execution would use for n tables, from the measured ledgers. */
export function singleExecutionEstimate(top, child, n) {
  const events = top.historyEvents + n * child.historyEvents;
  return { tables: n, historyEvents: events, overLimit: events > HISTORY_LIMIT, timesTheLimit: +(events / HISTORY_LIMIT).toFixed(2) };
}

/**
 * Creates one pk/sk source table with `items` items. Its creation takes
 * TableCreate on the simulated clock, which only moves when told: move it.
 */
async function createSourceTable(emulator, region, name, items) {
  await createKeyedTable(emulator, region, name, {
    items,
    whenActive: async () => {
      const { tableCreate } = await admin(emulator, 'GET', 'durations');
      await admin(emulator, 'POST', 'clock', { advanceSeconds: tableCreate / 1000 + 1 });
      const { Table } = await ddbCall(emulator, region, 'DescribeTable', { TableName: name });
      if (Table.TableStatus !== 'ACTIVE') throw new Error(`source table ${name} is ${Table.TableStatus} after the clock moved past its creation`);
    },
  });
}

/**
 * Runs the bench. Returns the report (see the fields below). Options:
 *   restoreTime  the emulator's restore duration, as a Go duration ('3h')
 *   hostBin      the local host binary
 *   tables       N for the single-execution estimate
 *   items        items in the source table
 *   timeoutSec   give up after this many real seconds
 *   log          progress lines of the run (default: none)
 */
export async function bench({
  restoreTime = '3h',
  hostBin = DEFAULT_HOST_BIN,
  tables = 100,
  items = 3,
  timeoutSec = 300,
  sourceRegion = 'eu-west-1',
  destinationRegion = 'eu-central-1',
  table = 'bench-table',
  log = null,
} = {}) {
  const benchStarted = Date.now();
  const definition = loadDefinition(MACHINE);
  const shape = machineShape(definition);
  const env = { ...process.env, SOURCE_REGION: sourceRegion, DESTINATION_REGIONS: destinationRegion };
  delete env.AWS_ENDPOINT_URL_DYNAMODB; // -virtual-time needs the embedded emulator
  const h = await startHost({ bin: path.resolve(hostBin), args: ['-virtual-time', '-restore-time', restoreTime], env });
  let timer;
  let timedOut = false;
  try {
    const durations = await admin(h.emulator, 'GET', 'durations');
    await createSourceTable(h.emulator, sourceRegion, table, items);

    const history = historyObserver(shape, backupProfile.polls);
    const clockBefore = await emulatorClock(h.emulator);
    const runStarted = Date.now();
    timer = setTimeout(() => {
      // Without a working simulated clock a long restore would take as long
      // in real time: stop the host, and the run fails fast.
      timedOut = true;
      h.stop();
    }, timeoutSec * 1000);
    const result = await runExecution({
      definition,
      host: h.host,
      emulator: h.emulator,
      waitMs: 0,
      retryMs: 0,
      // The host (-virtual-time) moves the clock by each poll's wait already.
      virtualTime: false,
      name: 'bench',
      observers: [history],
      log,
    });
    clearTimeout(timer);
    const runSeconds = (Date.now() - runStarted) / 1000;
    const clockAfter = timedOut ? null : await emulatorClock(h.emulator);

    const { top, child, polls } = history.ledgers();
    const tableResult = result.results?.[table] ?? null;
    const tableSimulatedSeconds = tableResult?.seconds ?? null;
    const executionSimulatedSeconds = clockAfter === null ? null : clockAfter - clockBefore;
    const restoreSeconds = durations.restore / 1000;
    const backupSeconds = durations.backupCreate / 1000;
    // The table waits for a backup, a restore and a backup at least.
    const expectedSeconds = 2 * backupSeconds + restoreSeconds;
    const virtualTimeWorked = executionSimulatedSeconds !== null && executionSimulatedSeconds >= expectedSeconds && runSeconds < expectedSeconds;
    const tableStatus = tableResult?.status ?? 'failed';
    const destinations = (tableResult?.destinations ?? []).map((d) => ({ region: d.region, status: d.status, ...(d.error ? { error: d.error } : {}) }));

    const report = {
      machine: path.basename(MACHINE),
      restoreTime,
      durationsSeconds: { tableCreate: durations.tableCreate / 1000, backupCreate: backupSeconds, restore: restoreSeconds, tableDelete: durations.tableDelete / 1000 },
      status: result.status,
      ...(result.error ? { error: result.error, cause: String(result.cause).slice(0, 500) } : {}),
      ...(timedOut ? { timedOut: `after ${timeoutSec}s of real time` } : {}),
      table: { name: table, status: tableStatus, destinations },
      child: {
        statesEntered: child.statesEntered,
        statesEnteredByType: child.statesEnteredByType,
        // Step Functions bills each state entered and each retry.
        billedTransitions: child.statesEntered + child.retries,
        lambdaInvocations: child.lambdaInvocations,
        lambdaFailures: child.lambdaFailures,
        retries: child.retries,
        polls,
        historyEvents: child.historyEvents,
        historyByKind: child.historyByKind,
        historyLimit: HISTORY_LIMIT,
        historyShareOfLimit: round((100 * child.historyEvents) / HISTORY_LIMIT, 2),
      },
      topLevel: {
        statesEntered: top.statesEntered,
        lambdaInvocations: top.lambdaInvocations,
        historyEvents: top.historyEvents,
      },
      // What the runner counted as it enforced the 25,000-event quota.
      historyEnforced: result.history,
      singleExecution: {
        ...singleExecutionEstimate(top, child, tables),
        maxTables: Math.max(0, Math.floor((HISTORY_LIMIT - top.historyEvents) / child.historyEvents)),
      },
      simulated: {
        tableSeconds: tableSimulatedSeconds,
        tableMinutes: tableSimulatedSeconds === null ? null : round(tableSimulatedSeconds / 60),
        executionSeconds: executionSimulatedSeconds === null ? null : round(executionSimulatedSeconds),
        expectedAtLeastSeconds: expectedSeconds,
        virtualTimeWorked,
      },
      real: { executionSeconds: round(runSeconds, 2), benchSeconds: round((Date.now() - benchStarted) / 1000, 2) },
      hostInvocations: result.metrics.lambdaInvocationsByFunction,
    };
    return report;
  } finally {
    clearTimeout(timer);
    await h.stop();
  }
}

