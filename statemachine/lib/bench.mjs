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
import { admin, createKeyedTable, ddbCall, emulatorClock, recordFastCopies } from './emulator.mjs';
import { runExecution } from './execution.mjs';
import { round } from './format.mjs';
import { startHost } from './host.mjs';
import { COST, DEFAULT_CATALOG_TABLE } from './facts.mjs';
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

/** The destination regions of a bench with n destinations. */
export const BENCH_DESTINATIONS = ['eu-central-1', 'us-east-2', 'ap-south-1'];

/**
 * Scales the measured history in each destination's copy status item of a
 * table by factor: the next copy's waits are then predicted that much too
 * long (factor > 1) or too short (factor < 1).
 */
async function doctorHistory(emulator, sourceRegion, regions, factor) {
  for (const region of regions) {
    const { Items = [] } = await ddbCall(emulator, region, 'Query', {
      TableName: DEFAULT_CATALOG_TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `status#${sourceRegion}` } },
    });
    for (const item of Items) {
      const status = JSON.parse(item.status.S);
      for (const phase of Object.values(status.phases ?? {})) phase.s *= factor;
      await ddbCall(emulator, region, 'PutItem', { TableName: DEFAULT_CATALOG_TABLE, Item: { ...item, status: { S: JSON.stringify(status) } } });
    }
  }
}

/**
 * What one copy of one table costs, in US dollars: its billed state
 * transitions, its Lambda invocations, and (the copy itself) the restore and
 * the transfer of a 1 GB table to each destination. Prices: facts.json (the
 * Go cost model's, and Step Functions' and Lambda's list prices there).
 */
export function copyCost({ billedTransitions, lambdaInvocations, destinations }) {
  const stepFunctions = billedTransitions * COST.stepFunctionsPerTransition;
  const lambda = lambdaInvocations * (COST.lambdaPerRequest + COST.lambdaGBSecondArm * COST.lambdaAssumedGBSeconds);
  const copyOf1GB = destinations * (COST.restorePerGB + COST.transferPerGB);
  return { stepFunctions: +stepFunctions.toFixed(6), lambda: +lambda.toFixed(6), copyOf1GB: +copyOf1GB.toFixed(2) };
}

/**
 * The detection lag of each poll loop: how long after the operation ended
 * (the emulator's duration for it) its poll found it done, in seconds and
 * as a share of the operation's duration.
 */
function detectionLags(polls, durations) {
  const took = { PollSourceBackup: durations.backupCreate, PollTemporaryTable: durations.restore, FinishCopy: durations.backupCreate };
  const out = {};
  for (const [name, p] of Object.entries(polls)) {
    if (p.elapsedSeconds === null || !took[name]) continue;
    const lag = Math.max(0, p.elapsedSeconds - took[name]);
    out[name] = { label: p.label, lagSeconds: lag, lagShare: round(lag / took[name], 3) };
  }
  return out;
}

/**
 * Runs the bench. Returns the report (see the fields below). Options:
 *   restoreTime  the emulator's restore duration, as a Go duration ('3h')
 *   hostBin      the local host binary
 *   tables       N for the single-execution estimate
 *   items        items in the source table
 *   timeoutSec   give up after this many real seconds
 *   destinations how many destination regions (1 to 3)
 *   prediction   the factor the recorded history is scaled by before the
 *                measured copy (1: right; 0.5: half as long; 2: twice)
 *   log          progress lines of the run (default: none)
 *
 * The table is copied twice: the first copy records each phase's duration
 * in the destinations' copy status, the second (the one measured) waits as
 * that history predicts.
 */
export async function bench({
  restoreTime = '3h',
  hostBin = DEFAULT_HOST_BIN,
  tables = 100,
  items = 3,
  timeoutSec = 300,
  destinations = 1,
  prediction = 1,
  sourceRegion = 'eu-west-1',
  table = 'bench-table',
  log = null,
} = {}) {
  const benchStarted = Date.now();
  const definition = loadDefinition(MACHINE);
  const shape = machineShape(definition);
  const regions = BENCH_DESTINATIONS.slice(0, destinations);
  const env = { ...process.env, SOURCE_REGION: sourceRegion, DESTINATION_REGIONS: regions.join(',') };
  delete env.AWS_ENDPOINT_URL_DYNAMODB; // -virtual-time needs the embedded emulator
  const h = await startHost({ bin: path.resolve(hostBin), args: ['-virtual-time', '-restore-time', restoreTime], env });
  let timer;
  let timedOut = false;
  try {
    const durations = await admin(h.emulator, 'GET', 'durations');
    // No window after a restore in which backups are being enabled: its
    // retries (BackupsNotYetEnabled, every 30 s) pass no simulated time on
    // this clock, which moves with the polls' waits only, so they would
    // repeat until the retrier gives up instead of once or twice as in AWS.
    await admin(h.emulator, 'POST', 'model', { backupsEnabling: 0 });
    await createSourceTable(h.emulator, sourceRegion, table, items);
    timer = setTimeout(() => {
      // Without a working simulated clock a long restore would take as long
      // in real time: stop the host, and the run fails fast.
      timedOut = true;
      h.stop();
    }, timeoutSec * 1000);
    // The host (-virtual-time) moves the clock by each poll's wait already.
    const run = (name, observers = []) => runExecution({ definition, host: h.host, emulator: h.emulator, waitMs: 0, retryMs: 0, virtualTime: false, name, observers, log });
    const firstHistory = historyObserver(shape, backupProfile.polls);
    const first = await run('bench-first-copy', [firstHistory]);
    if (prediction !== 1) await doctorHistory(h.emulator, sourceRegion, regions, prediction);
    // The next run comes an hour later, as scheduled: the first copy's
    // temporary table is deleted by then.
    await admin(h.emulator, 'POST', 'clock', { advanceSeconds: 3600 });

    const history = historyObserver(shape, backupProfile.polls);
    const clockBefore = await emulatorClock(h.emulator);
    const runStarted = Date.now();
    const result = await run('bench', [history]);
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
    const tableDestinations = (tableResult?.destinations ?? []).map((d) => ({ region: d.region, status: d.status, ...(d.error ? { error: d.error } : {}) }));
    const billedTransitions = child.statesEntered + child.retries;
    const firstChild = firstHistory.ledgers().child;

    const report = {
      machine: path.basename(MACHINE),
      restoreTime,
      destinations: regions.length,
      prediction,
      durationsSeconds: { tableCreate: durations.tableCreate / 1000, backupCreate: backupSeconds, restore: restoreSeconds, tableDelete: durations.tableDelete / 1000 },
      status: result.status,
      ...(result.error ? { error: result.error, cause: String(result.cause).slice(0, 500) } : {}),
      ...(timedOut ? { timedOut: `after ${timeoutSec}s of real time` } : {}),
      table: { name: table, status: tableStatus, destinations: tableDestinations },
      // The first copy, without history (its waits are today's schedule).
      firstCopy: { status: first.status, billedTransitions: firstChild.statesEntered + firstChild.retries, lambdaInvocations: firstChild.lambdaInvocations },
      child: {
        statesEntered: child.statesEntered,
        statesEnteredByType: child.statesEnteredByType,
        // Step Functions bills each state entered and each retry.
        billedTransitions,
        lambdaInvocations: child.lambdaInvocations,
        lambdaFailures: child.lambdaFailures,
        retries: child.retries,
        polls,
        detection: detectionLags(polls, { backupCreate: backupSeconds, restore: restoreSeconds }),
        historyEvents: child.historyEvents,
        historyByKind: child.historyByKind,
        historyLimit: HISTORY_LIMIT,
        historyShareOfLimit: round((100 * child.historyEvents) / HISTORY_LIMIT, 2),
      },
      costUSD: copyCost({ billedTransitions, lambdaInvocations: child.lambdaInvocations, destinations: regions.length }),
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

/**
 * The scale bench: one backup run of `tables` tables with 255-character
 * names, copied to `destinations` regions, on an emulator whose operations
 * take no time and whose request rates are off (the run is about payloads,
 * histories and the runner's throughput). Returns {status, tables,
 * succeeded, wallSeconds, largestPayload, history, invocations}.
 */
export async function scaleBench({ tables = 10000, destinations = 3, hostBin = DEFAULT_HOST_BIN, maxConcurrency = 500, sourceRegion = 'eu-west-1', log = null } = {}) {
  const regions = BENCH_DESTINATIONS.slice(0, destinations);
  const env = { ...process.env, SOURCE_REGION: sourceRegion, DESTINATION_REGIONS: regions.join(',') };
  delete env.AWS_ENDPOINT_URL_DYNAMODB;
  const h = await startHost({ bin: path.resolve(hostBin), args: ['-restore-time', '0s'], env });
  try {
    const { rates } = await admin(h.emulator, 'GET', 'model');
    await admin(h.emulator, 'POST', 'model', { rates: Object.fromEntries(Object.keys(rates).map((op) => [op, 0])), backupsEnabling: 0 });
    await admin(h.emulator, 'POST', 'durations', { tableCreate: 0, tableDelete: 0, backupCreate: 0, restore: 0, perMiB: 0 });
    const names = Array.from({ length: tables }, (_, i) => `${String(i).padStart(5, '0')}${'n'.repeat(250)}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((TableName) => ddbCall(h.emulator, sourceRegion, 'CreateTable', {
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      })));
    }
    await recordFastCopies(h.emulator, { sourceRegion, regions, tables: names });
    const r = await runExecution({ definitionFile: MACHINE, input: { maxConcurrency }, host: h.host, emulator: h.emulator, waitMs: 0, retryMs: 0, name: 'scale', log });
    return {
      status: r.status,
      ...(r.error ? { error: r.error, cause: String(r.cause).slice(0, 500) } : {}),
      tables,
      destinations: regions.length,
      succeeded: r.summary?.succeeded ?? 0,
      wallSeconds: r.metrics.wallSeconds,
      largestPayload: r.metrics.largestPayload,
      history: { events: r.history.events, largestChild: r.history.largestChild?.events },
      stateTransitions: r.metrics.stateTransitions,
      invocations: r.metrics.lambdaInvocations,
      dynamodbCalls: r.metrics.dynamodbCalls,
    };
  } finally {
    await h.stop();
  }
}
