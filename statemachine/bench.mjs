#!/usr/bin/env node
// Benchmark: what backing up ONE table costs in Step Functions terms, for a
// given restore duration. It starts the local host with its embedded
// emulator on a simulated clock (-virtual-time: each poll's recommended wait
// moves the emulator's clock on at once, and the handlers tell the time by
// that clock), creates one small source table, runs backup.asl.json with
// every Wait state and Retry pause shortened to 0 ms, and reports, for that
// table's iteration (its Distributed Map child execution):
//
//   - states entered (state transitions), Lambda invocations (Task attempts,
//     retries included), polls per poll loop;
//   - the Step Functions history events of the child execution, against the
//     25,000-event limit of a Standard execution, and what a single execution
//     (an Inline Map over every table) would use for N tables;
//   - the simulated time the table took (emulator clock) and the real time
//     the bench took.
//
//   node bench.mjs [--restore-time 3h] [--host-bin ../build/local]
//                  [--tables 100] [--items 3] [--timeout 300] [--verbose]
//
// A readable table goes to stderr; the JSON report is the last line of
// stdout. The exit code is 1 when the execution failed or the simulated clock
// did not move as far as the restore takes, 2 when the bench could not run.
//
// History accounting. The interpreter (aws-local-stepfunctions) does not keep
// a Step Functions history; this file rebuilds its size from the
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
// So one poll cycle (Wait, poll Task, Choice) is 2 + (2 + 3) + 2 = 9 events,
// as DESIGN.md section 4 says. Sources: the Step Functions API reference,
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
import { parseArgs } from 'node:util';

import { allStates, loadDefinition, runExecution, startHost } from './run.mjs';
import { admin, ddb } from './testhost.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MACHINE = path.join(here, 'backup.asl.json');
export const DEFAULT_HOST_BIN = path.join(here, '..', 'build', 'local');
export const HISTORY_LIMIT = 25000;

// What each poll loop waits for, by its poll state.
const LOOP_LABELS = {
  PollSourceBackup: 'source backup',
  PollTemporaryTable: 'temporary table restore',
  PollDestinationBackup: 'destination backup',
};

/**
 * The shape of a definition the accounting needs: the Map states by mode,
 * and the poll loops (a Wait state whose Next is a Task).
 */
export function machineShape(definition) {
  const states = allStates(definition);
  const byName = Object.fromEntries(states.map((s) => [s.name, s.state]));
  const distributed = new Set();
  const inline = new Set();
  for (const { name, state } of states) {
    if (state.Type !== 'Map') continue;
    const mode = (state.ItemProcessor ?? state.Iterator)?.ProcessorConfig?.Mode ?? 'INLINE';
    (mode === 'DISTRIBUTED' ? distributed : inline).add(name);
  }
  const loops = {};
  for (const { name, state } of states) {
    if (state.Type === 'Wait' && byName[state.Next]?.Type === 'Task') {
      loops[state.Next] = {
        poll: state.Next,
        wait: name,
        label: LOOP_LABELS[state.Next] ?? state.Next,
        // Where the Wait reads its seconds, and where the poll puts its result.
        waitPath: state.SecondsPath,
        resultPath: byName[state.Next].ResultPath,
      };
    }
  }
  return { distributed, inline, loops };
}

// A simple JSONPath ($, $.a.b) of a value; undefined when absent.
function readPath(value, p) {
  if (typeof p !== 'string' || !/^\$(\.[A-Za-z0-9_]+)*$/.test(p)) return undefined;
  let v = value;
  for (const key of p.split('.').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[key];
  }
  return v;
}

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
export function accountHistory(events, shape) {
  const top = newLedger();
  const child = newLedger();
  const polls = {};
  for (const loop of Object.values(shape.loops)) {
    polls[loop.poll] = { label: loop.label, polls: 0, waits: 0, simulatedWaitSeconds: 0, elapsedSeconds: null, historyEvents: 0 };
  }
  for (const ev of events) {
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
          polls[loop.poll].simulatedWaitSeconds += Number(readPath(ev.state.input, loop.waitPath) ?? 0);
        }
        break;
      }
      case 'StateExited': {
        add(l, 'stateEnteredExited');
        const loop = shape.loops[ev.state.name];
        const out = loop && readPath(ev.state.output, loop.resultPath ?? '$');
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
  }
  for (const p of Object.values(polls)) {
    // Each poll is a Task (2 + 3 events) and a Choice (2); each wait 2 more.
    p.historyEvents = p.polls * 7 + p.waits * 2;
  }
  return { top, child, polls };
}

/** What one execution would use for n tables, from the measured ledgers. */
export function singleExecutionEstimate(top, child, n) {
  const events = top.historyEvents + n * child.historyEvents;
  return { tables: n, historyEvents: events, overLimit: events > HISTORY_LIMIT, timesTheLimit: +(events / HISTORY_LIMIT).toFixed(2) };
}

const round = (x, d = 1) => +x.toFixed(d);

async function emulatorClock(emulator) {
  const { now } = await admin(emulator, 'POST', 'clock', { advanceSeconds: 0 });
  return now;
}

/**
 * Creates one pk/sk source table with `items` items. Its creation takes
 * TableCreate on the simulated clock, which only moves when told: move it.
 */
async function createSourceTable(emulator, region, name, items) {
  const call = (op, body) => ddb(emulator, region, op, body);
  await call('CreateTable', {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  });
  const { tableCreate } = await admin(emulator, 'GET', 'durations');
  await admin(emulator, 'POST', 'clock', { advanceSeconds: tableCreate / 1000 + 1 });
  const status = (await call('DescribeTable', { TableName: name })).Table.TableStatus;
  if (status !== 'ACTIVE') throw new Error(`source table ${name} is ${status} after the clock moved past its creation`);
  for (let i = 0; i < items; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(items, i + 25); j++) batch.push({ PutRequest: { Item: { pk: { S: `item-${j}` }, sk: { S: 'v1' } } } });
    await call('BatchWriteItem', { RequestItems: { [name]: batch } });
  }
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

    const events = [];
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
      name: 'bench',
      onEvent: (ev) => events.push(ev),
      log,
    });
    clearTimeout(timer);
    const runSeconds = (Date.now() - runStarted) / 1000;
    const clockAfter = timedOut ? null : await emulatorClock(h.emulator);

    const { top, child, polls } = accountHistory(events, shape);
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

function printReport(r, n, say) {
  const c = r.child;
  const pad = (s, w) => String(s).padEnd(w);
  const num = (x, w = 8) => String(x ?? '-').padStart(w);
  say('');
  say(`Backup of one table, restore time ${r.restoreTime} (backups ${r.durationsSeconds.backupCreate}s, restore ${r.durationsSeconds.restore}s): ${r.status}, table ${r.table.status}${r.error ? ` (${r.error})` : ''}`);
  say('');
  say('The table\'s Distributed Map child execution');
  say(`  states entered (transitions)   ${num(c.statesEntered)}   ${Object.entries(c.statesEnteredByType).map(([t, k]) => `${t} ${k}`).join(', ')}`);
  say(`  billed transitions (+retries)  ${num(c.billedTransitions)}`);
  say(`  Lambda invocations             ${num(c.lambdaInvocations)}   (${c.retries} retries, ${c.lambdaFailures} failed attempts)`);
  say(`  history events                 ${num(c.historyEvents)}   of ${r.child.historyLimit} (${c.historyShareOfLimit}%)`);
  say(`    execution ${c.historyByKind.execution}, state entered/exited ${c.historyByKind.stateEnteredExited}, Lambda ${c.historyByKind.lambda}, inline Map ${c.historyByKind.map}`);
  say('');
  say(`  ${pad('poll loop', 26)}${num('polls', 7)}${num('waits', 7)}${num('events', 8)}${num('simulated', 11)}`);
  for (const p of Object.values(c.polls)) {
    const t = p.elapsedSeconds === null ? '-' : `${round(p.elapsedSeconds / 60)} min`;
    say(`  ${pad(p.label, 26)}${num(p.polls, 7)}${num(p.waits, 7)}${num(p.historyEvents, 8)}${num(t, 11)}`);
  }
  say('');
  say(`  simulated time of the table    ${num(r.simulated.tableMinutes)} min   (emulator clock; execution ${r.simulated.executionSeconds}s; virtual time ${r.simulated.virtualTimeWorked ? 'worked' : 'DID NOT WORK'})`);
  say(`  real time                      ${num(r.real.executionSeconds)} s     (execution; ${r.real.benchSeconds}s with host start and setup)`);
  say('');
  say(`Top-level execution: ${r.topLevel.historyEvents} history events`);
  say(`One execution for ${n} tables (Inline Map): ${r.topLevel.historyEvents} + ${n} × ${c.historyEvents} = ${r.singleExecution.historyEvents} events, ${r.singleExecution.timesTheLimit}× the ${r.child.historyLimit} limit; at most ${r.singleExecution.maxTables} table(s) fit`);
}

const USAGE = `usage: node bench.mjs [--restore-time 3h] [--host-bin ../build/local]
                     [--tables 100] [--items 3] [--timeout 300] [--verbose]

  --restore-time  the emulator's restore duration, a Go duration (default 3h);
                  backups take a quarter of it
  --host-bin      the local host binary (default ../build/local from here)
  --tables        N for the single-execution estimate (default 100)
  --items         items in the source table (default 3)
  --timeout       give up after this many real seconds (default 300)
  --verbose       the runner's progress lines`;

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'restore-time': { type: 'string', default: '3h' },
      'host-bin': { type: 'string', default: DEFAULT_HOST_BIN },
      tables: { type: 'string', default: '100' },
      items: { type: 'string', default: '3' },
      timeout: { type: 'string', default: '300' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const whole = (flag, min) => {
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be a whole number of at least ${min}, got ${values[flag]}`);
    return n;
  };
  const say = (l) => process.stderr.write(`${l}\n`);
  const tables = whole('tables', 1);
  const report = await bench({
    restoreTime: values['restore-time'],
    hostBin: values['host-bin'],
    tables,
    items: whole('items', 0),
    timeoutSec: whole('timeout', 1),
    log: values.verbose ? say : null,
  });
  printReport(report, tables, say);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.status === 'SUCCEEDED' && report.table.status === 'succeeded' && report.simulated.virtualTimeWorked ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`bench.mjs: ${err.message}`);
      process.stdout.write(`${JSON.stringify({ status: 'FAILED', error: 'Bench.Error', cause: err.message })}\n`);
      process.exitCode = 2;
    },
  );
}
