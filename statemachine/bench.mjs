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
// How the history is counted: lib/bench.mjs.

import { parseArgs } from 'node:util';

import { DEFAULT_HOST_BIN, bench, scaleBench } from './lib/bench.mjs';
import { runMain } from './lib/cli.mjs';
import { round } from './lib/format.mjs';

// Transitions per table copy to one destination before the run ledger,
// the merged steps and the learned waits (the first copy's figures then).
const BEFORE = { '2m': 66, '20m': 177, '3h': 351 };

function printReport(r, n, say) {
  const c = r.child;
  const pad = (s, w) => String(s).padEnd(w);
  const num = (x, w = 8) => String(x ?? '-').padStart(w);
  say('');
  say(`Backup of one table, restore time ${r.restoreTime} (backups ${r.durationsSeconds.backupCreate}s, restore ${r.durationsSeconds.restore}s), ${r.destinations} destination(s), prediction ${r.prediction === 1 ? 'right' : `${r.prediction > 1 ? '+' : ''}${Math.round((r.prediction - 1) * 100)}%`}: ${r.status}, table ${r.table.status}${r.error ? ` (${r.error})` : ''}`);
  const before = r.destinations === 1 && r.prediction === 1 ? BEFORE[r.restoreTime] : undefined;
  say(`  billed transitions per table copy: before ${before ?? '-'}, first copy (no history) ${r.firstCopy.billedTransitions}, after (second copy) ${c.billedTransitions}`);
  say('');
  say('The table\'s Distributed Map child execution, second copy');
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
  if (r.destinations === 1) {
    say(`  ${pad('detection lag', 26)}${num('seconds', 9)}${num('share', 8)}`);
    for (const d of Object.values(c.detection)) say(`  ${pad(d.label, 26)}${num(d.lagSeconds, 9)}${num(`${round(100 * d.lagShare)}%`, 8)}`);
  } else {
    // -virtual-time moves the one clock by every poll's wait, and the
    // destinations' polls run side by side: their simulated times add up.
    say('  detection lag: measured with one destination only (the destinations\' waits all move the one simulated clock)');
  }
  say('');
  say(`  cost per table copy: Step Functions $${r.costUSD.stepFunctions}, Lambda $${r.costUSD.lambda}; restore and transfer of a 1 GB table $${r.costUSD.copyOf1GB}`);
  say('');
  say(`  simulated time of the table    ${num(r.simulated.tableMinutes)} min   (emulator clock; execution ${r.simulated.executionSeconds}s; virtual time ${r.simulated.virtualTimeWorked ? 'worked' : 'DID NOT WORK'})`);
  say(`  real time                      ${num(r.real.executionSeconds)} s     (execution; ${r.real.benchSeconds}s with host start and setup)`);
  say('');
  say(`Top-level execution: ${r.topLevel.historyEvents} history events`);
  say(`One execution for ${n} tables (Inline Map): ${r.topLevel.historyEvents} + ${n} × ${c.historyEvents} = ${r.singleExecution.historyEvents} events, ${r.singleExecution.timesTheLimit}× the ${r.child.historyLimit} limit; at most ${r.singleExecution.maxTables} table(s) fit`);
}

const USAGE = `usage: node bench.mjs [--restore-time 3h] [--host-bin ../build/local]
                     [--tables 100] [--items 3] [--timeout 300] [--verbose]
                     [--destinations 1] [--prediction 1]
       node bench.mjs --scale 10000 [--destinations 3] [--host-bin ../build/local]

  --restore-time  the emulator's restore duration, a Go duration (default 3h);
                  backups take a quarter of it
  --host-bin      the local host binary (default ../build/local from here)
  --tables        N for the single-execution estimate (default 100)
  --items         items in the source table (default 3)
  --timeout       give up after this many real seconds (default 300)
  --verbose       the runner's progress lines
  --destinations  destination regions, 1 to 3 (default 1)
  --prediction    the factor the first copy's measured durations are scaled
                  by before the measured (second) copy: 0.5 predicts half the
                  time, 2 twice (default 1, right)
  --scale         instead: one run of that many tables with 255-character
                  names, instant operations, and how long it takes`;

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
      destinations: { type: 'string', default: '1' },
      prediction: { type: 'string', default: '1' },
      scale: { type: 'string' },
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
  const destinations = whole('destinations', 1);
  if (values.scale !== undefined) {
    const r = await scaleBench({ tables: whole('scale', 1), destinations, hostBin: values['host-bin'], log: values.verbose ? say : null });
    say(`Backup run of ${r.tables} tables (255-character names) to ${r.destinations} region(s): ${r.status}${r.error ? ` (${r.error})` : ''}, ${r.succeeded} succeeded, in ${r.wallSeconds} s`);
    say(`  largest state payload ${r.largestPayload.bytes} bytes (${r.largestPayload.state}); history ${r.history.events} events, largest child ${r.history.largestChild}`);
    say(`  ${r.stateTransitions} state transitions, ${r.invocations} Lambda invocations, ${r.dynamodbCalls} DynamoDB calls`);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return r.status === 'SUCCEEDED' && r.succeeded === r.tables ? 0 : 1;
  }
  const prediction = Number(values.prediction);
  if (!(prediction > 0)) throw new Error(`--prediction must be a positive factor, got ${values.prediction}`);
  const tables = whole('tables', 1);
  const report = await bench({
    restoreTime: values['restore-time'],
    hostBin: values['host-bin'],
    tables,
    items: whole('items', 0),
    timeoutSec: whole('timeout', 1),
    destinations,
    prediction,
    log: values.verbose ? say : null,
  });
  printReport(report, tables, say);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.status === 'SUCCEEDED' && report.table.status === 'succeeded' && report.simulated.virtualTimeWorked ? 0 : 1;
}

runMain('bench.mjs', 'Bench.Error', main);
