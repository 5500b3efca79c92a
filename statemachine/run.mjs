#!/usr/bin/env node
// Local runner: executes a state machine definition in aws-local-stepfunctions,
// with every Task state calling the Go handlers through the local host's
// Lambda Invoke API, every Wait state shortened and every Retry pause
// shortened. It streams progress to stderr, counts state transitions, Lambda
// invocations and DynamoDB API calls per execution and per table, and prints
// the execution's output JSON as the last line of stdout.
//
//   node run.mjs --machine backup.asl.json [--input file.json]
//                [--host URL [--emulator URL] | --host-bin ../build/local [--seed[=auto]] [--host-logs] [--restore-time D]]
//                [--wait-ms N] [--retry-ms N] [--name run-name] [--quiet] [--report] [--second-run] [--status] [--drill]
//
// --second-run follows the backup execution with writes to one table, an
// hour on the emulator's clock, and a second backup execution, and prints
// what it decided for each table and why. --status then prints the status
// report: a dry run's decision for every table and destination. --drill follows the backup execution with a disaster drill (lib/drill.mjs):
// the source region goes down and restore.asl.json brings every table back.
//
// The work is done by the library in lib/: this file reads the flags and
// prints.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runMain } from './lib/cli.mjs';
import { loadDefinition, taskFunctions } from './lib/definition.mjs';
import { drillReport, runDrill } from './lib/drill.mjs';
import { admin, ddbCall } from './lib/emulator.mjs';
import { DEFAULT_RETRY_MS, DEFAULT_WAIT_MS, runExecution } from './lib/execution.mjs';
import { shortName } from './lib/format.mjs';
import { settledInventory, startHost } from './lib/host.mjs';
import { ledgerRecords } from './lib/ledger.mjs';
import { profileFor } from './lib/profiles.mjs';

function printInventory(inv, say) {
  for (const [region, ri] of Object.entries(inv)) {
    say(`  ${region}:`);
    say(`    tables (${ri.tables.length}):${ri.tables.length ? '' : ' none'}`);
    for (const t of ri.tables) say(`      ${shortName(t.name, 60)}  ${t.status}  ${t.items} item(s)`);
    say(`    backups (${ri.backups.length}):${ri.backups.length ? '' : ' none'}`);
    for (const b of ri.backups) say(`      ${shortName(b.name, 60)}  of ${shortName(b.table, 50)}  ${b.type} ${b.status}  ${b.created}`);
  }
}

// The decisions of a backup run, from its run ledger: [{table, region, decision, reason, rpo}].
async function decisionsOf(result, emulator) {
  const out = [];
  for (const r of await ledgerRecords(emulator, result.settings.sourceRegion, result.name, 'decision#')) out.push(...r.data.decisions);
  return out;
}

const age = (s) => (s === undefined ? '-' : s < 90 ? `${Math.round(s)}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);

function printDecisions(title, decisions, say) {
  say(title);
  say(`  ${'table'.padEnd(28)} ${'region'.padEnd(15)} ${'RPO'.padEnd(5)} ${'current as of'.padEnd(21)} ${'age'.padEnd(6)} decision: why`);
  for (const d of decisions) {
    const r = d.rpo ?? {};
    say(`  ${shortName(d.table, 28).padEnd(28)} ${(d.region ?? '').padEnd(15)} ${(r.rpo ?? '-').padEnd(5)} ${(r.currentAsOf ?? '-').padEnd(21)} ${age(r.ageSeconds).padEnd(6)} ${d.decision}${r.unattainable ? ' (unattainable)' : ''}: ${d.reason}`);
  }
}

function printSummary(result, inventory, say) {
  const m = result.metrics;
  say('');
  say(`Execution ${result.name}: ${result.status}${result.error ? ` (${result.error})` : ''} in ${m.wallSeconds}s`);
  say(`  tables: ${m.tables}; succeeded ${m.outcomes.succeeded}, skipped ${m.outcomes.skipped}, failed ${m.outcomes.failed}`);
  if (result.plan?.dryRun) {
    for (const i of result.plan.items) say(`    would restore: ${shortName(i.table)} from ${shortName(i.backupName, 60)} (${i.backupCreatedAt}, found by ${i.foundBy}) as ${shortName(i.target)}`);
  }
  for (const r of result.summary?.results ?? []) {
    if (r.status !== 'succeeded') continue;
    const settings = r.noManifest ? 'no manifest: settings not reapplied' : `settings reapplied: ${r.settingsApplied?.length ? r.settingsApplied.join(', ') : 'none needed'}`;
    say(`    restored: ${shortName(r.table)} as ${shortName(r.target)}${r.itemCount === undefined ? '' : `: about ${r.itemCount} item(s) (approximate)`}, backup ${r.backupAgeSeconds ?? 0}s old, ${r.restoreSeconds ?? 0}s to restore; ${settings}`);
  }
  for (const f of result.summary?.failures ?? []) say(`    failed: ${shortName(f.table)}${f.region ? ` in ${f.region}` : ''}: ${f.error}: ${f.cause}`);
  for (const s of result.summary?.skippedTables ?? []) say(`    skipped: ${shortName(s.table)}: ${s.error}`);
  say(`  state transitions: ${m.stateTransitions} (+${m.retries} retries; billed ${m.billedTransitions})`);
  say(`  Lambda invocations: ${m.lambdaInvocations} (${m.lambdaErrors} function errors)`);
  if (m.dynamodbCalls !== null) say(`  DynamoDB API calls: ${m.dynamodbCalls}`);
  if (m.tables > 0) {
    const a = m.perTableAverage;
    const b = m.perTableWithoutPolling;
    say(`  per table (average): ${a.stateTransitions} transitions, ${a.lambdaInvocations} invocations, ${a.dynamodbCalls} DynamoDB calls, ${a.waits} poll waits`);
    say(`  per table without polling: ${b.stateTransitions} transitions, ${b.lambdaInvocations} invocations, ${b.dynamodbCalls} DynamoDB calls; each poll wait adds 3, 1 and 1`);
  }
  if (inventory) {
    say('What exists now:');
    printInventory(inventory, say);
  }
}

const USAGE = `usage: node run.mjs --machine backup.asl.json [--input file.json]
         (--host URL [--emulator URL] | --host-bin ../build/local [--seed[=auto]] [--host-logs] [--restore-time D])
         [--wait-ms N] [--retry-ms N] [--name NAME] [--quiet] [--report] [--drill]

  --machine     the ASL definition (backup.asl.json or restore.asl.json); a
                restore on a host started here with the demo tables first
                runs backup.asl.json, so that there is something to restore
  --input       a file holding the execution input (default {})
  --host        a running local host (its Lambda Invoke API)
  --emulator    the DynamoDB emulator behind it, for API call counts
                (default: AWS_ENDPOINT_URL_DYNAMODB)
  --host-bin    start this host binary, and stop it at the end
  --seed        let the started host create the demo tables; --seed=auto only
                when it starts its own emulator (AWS_ENDPOINT_URL_DYNAMODB unset)
  --host-logs   show the handlers' JSON logs
  --restore-time  the started emulator's restore duration, such as 500ms
                (default: the host's, 2s); backups take a quarter of it
  --second-run  after the backup execution, write items to one demo table,
                move the emulator's clock an hour on, and run a second backup
                execution; print what it decided for each table and why
                (needs the project's emulator)
  --print-status FILE  print the status report in FILE (- for standard input),
                a dry run's output, such as a deployed state machine's
  --status      print the status report of a dry run, per table and
                destination: RPO, data current as of, RPO age, what a run
                would do now and why; after a backup execution when the
                started host seeded the demo tables, else the dry run is
                the only execution
  --drill       after the backup execution, a disaster drill: snapshot the
                source tables, write more items to them, take the source
                region down, restore every table with restore.asl.json (suffix
                "-dr"), and compare each with its source at backup time; a
                table on stderr, exit code 1 when any differs. Needs the
                project's emulator (--host-bin, or --emulator)
  --wait-ms     every Wait state lasts this long (default ${DEFAULT_WAIT_MS})
  --retry-ms    every Retry pause lasts this long (default ${DEFAULT_RETRY_MS})
  --name        the execution name (default run-<timestamp>)
  --quiet       no progress lines
  --report      print the metrics as JSON on stderr

The last line of stdout is the execution's output JSON (with --drill, the
restore's). The exit code is 1 when the execution failed (or the drill found
a difference), 2 when it could not run.`;

// What exists in regions once deletes end.
async function inventoryOf(host, regions, say) {
  if (!regions.length) return undefined;
  // Deleting a table takes a moment: show what remains once deletes end.
  return settledInventory(host, regions, (t) => t.status !== 'DELETING', {
    onError: (err) => say(`(could not read the inventory: ${err.message})`),
  });
}

async function main(argv) {
  const { values } = parseArgs({
    // A bare --seed means always.
    args: argv.map((a) => (a === '--seed' ? '--seed=always' : a)),
    options: {
      machine: { type: 'string' },
      input: { type: 'string' },
      host: { type: 'string' },
      emulator: { type: 'string' },
      'host-bin': { type: 'string' },
      seed: { type: 'string' },
      'host-logs': { type: 'boolean' },
      'wait-ms': { type: 'string' },
      'retry-ms': { type: 'string' },
      name: { type: 'string' },
      quiet: { type: 'boolean' },
      report: { type: 'boolean' },
      drill: { type: 'boolean' },
      'second-run': { type: 'boolean' },
      status: { type: 'boolean' },
      'print-status': { type: 'string' },
      'restore-time': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (values['print-status'] !== undefined) {
    // A dry run's output, from a deployed state machine (make status
    // STATE_MACHINE_ARN=...): its status report.
    const summary = JSON.parse(readFileSync(values['print-status'] === '-' ? 0 : values['print-status'], 'utf8'));
    printDecisions('Status (what a run would do now):', summary.status ?? [], (l) => process.stderr.write(`${l}\n`));
    if (summary.moreStatus) process.stderr.write(`  ... and ${summary.moreStatus} more, in the run ledger's decision records of ${summary.runId}\n`);
    return 0;
  }
  if (!values.machine || (!values.host && !values['host-bin']) || (values.host && values['host-bin'])) {
    console.error(USAGE);
    return 2;
  }
  const number = (flag, dflt) => {
    if (values[flag] === undefined) return dflt;
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a whole number of milliseconds, got ${values[flag]}`);
    return n;
  };
  const waitMs = number('wait-ms', DEFAULT_WAIT_MS);
  const retryMs = number('retry-ms', DEFAULT_RETRY_MS);
  let input = {};
  if (values.input) {
    try {
      input = JSON.parse(readFileSync(values.input, 'utf8'));
    } catch (err) {
      throw new Error(`--input ${values.input}: ${err.message}`);
    }
  }
  const definition = loadDefinition(values.machine);
  const profile = profileFor(taskFunctions(definition));
  const kind = profile.kind;
  const sibling = (file) => path.join(path.dirname(values.machine), file);
  if (values.drill && kind !== 'backup') throw new Error('--drill follows a backup execution: use --machine backup.asl.json');
  if (values['restore-time'] !== undefined && !values['host-bin']) throw new Error('--restore-time applies to a host started with --host-bin');
  if (values['restore-time'] !== undefined && !/^\d+(\.\d+)?(ms|s|m)$/.test(values['restore-time'])) throw new Error(`--restore-time takes a duration such as 500ms or 2s, got ${values['restore-time']}`);
  const say = (l) => process.stderr.write(`${l}\n`);

  let host = values.host;
  let emulator = values.emulator ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  let started;
  if (values['host-bin']) {
    const env = { ...process.env };
    env.SOURCE_REGION ||= 'ap-southeast-2';
    env.DESTINATION_REGIONS ||= 'ap-southeast-1';
    const external = Boolean(env.AWS_ENDPOINT_URL_DYNAMODB);
    if (values.seed !== undefined && !['', 'always', 'auto'].includes(values.seed)) throw new Error(`--seed takes no value, or =auto`);
    const seed = values.seed === '' || values.seed === 'always' || (values.seed === 'auto' && !external);
    say(`Starting ${values['host-bin']} (${external ? `DynamoDB at ${env.AWS_ENDPOINT_URL_DYNAMODB}` : 'embedded DynamoDB emulator'}${seed ? ', demo tables' : ''}); source ${env.SOURCE_REGION}, destinations ${env.DESTINATION_REGIONS}`);
    const args = [...(seed ? ['-seed'] : []), ...(values['restore-time'] ? ['-restore-time', values['restore-time']] : [])];
    started = await startHost({ bin: path.resolve(values['host-bin']), args, env, logs: values['host-logs'] });
    host = started.host;
    emulator = started.emulator;
    started.seeded = seed;
  }
  const stopAll = async () => {
    if (started) await started.stop();
  };
  process.once('SIGINT', () => {
    stopAll().finally(() => process.exit(130));
  });
  const log = values.quiet ? null : say;
  try {
    if (kind === 'restore' && started?.seeded) {
      // Fresh demo tables have no backups yet.
      say('The demo tables have no backups yet: a backup execution runs first.');
      const first = await runExecution({ definitionFile: sibling('backup.asl.json'), host, emulator, waitMs, retryMs, log });
      say(`Backup ${first.name}: ${first.status}${first.error ? ` (${first.error}: ${first.cause})` : ''}; now the restore.`);
      say('');
      if (first.status !== 'SUCCEEDED') throw new Error(`the backup before the restore ${first.status}: ${first.error}`);
    }
    if (values['second-run'] && started?.seeded && emulator) {
      // A backup may miss the writes of the minute before it (a skip counts
      // them as changes): the demo's seed writes are made older than that.
      await admin(emulator, 'POST', 'clock', { advanceSeconds: 180 });
    }
    // The status of tables the demo has not copied yet says little: on a
    // host that seeded them, a backup execution runs first. Elsewhere the
    // status report is the only execution, a dry run.
    const statusOnly = values.status && !started?.seeded;
    const result = await runExecution({
      definition,
      input: statusOnly ? { ...input, dryRun: true } : input,
      host,
      emulator,
      waitMs,
      retryMs,
      name: values.name,
      log,
    });
    printSummary(result, await inventoryOf(host, profile.regions(result), say), say);
    if (values.report) say(`report: ${JSON.stringify(result.metrics)}`);
    process.stdout.write(`${JSON.stringify(result.output)}\n`);
    if ((values['second-run'] || values.status) && kind !== 'backup') throw new Error('--second-run and --status follow a backup execution: use --machine backup.asl.json');
    if (values['second-run'] && result.status === 'SUCCEEDED') {
      const table = result.tables[0];
      say('');
      say(`Second run: 5 items written to ${shortName(table)}, then an hour passes on the emulator's clock (the metrics publish writes after a delay).`);
      for (let i = 0; i < 5; i++) {
        await ddbCall(emulator, result.settings.sourceRegion, 'PutItem', { TableName: table, Item: { pk: { S: `second-run-${i}` }, sk: { S: 'x' } } });
      }
      await admin(emulator, 'POST', 'clock', { advanceSeconds: 3600 });
      const second = await runExecution({ definition, input, host, emulator, waitMs, retryMs, name: `${result.name}-second`, log: null });
      say(`Execution ${second.name}: ${second.status}; decided ${JSON.stringify(second.summary?.decided ?? {})}`);
      printDecisions('What it decided, per table and destination:', await decisionsOf(second, emulator), say);
      if (second.status !== 'SUCCEEDED') return 1;
    }
    if (values.status && result.status === 'SUCCEEDED') {
      const dry = statusOnly ? result : await runExecution({ definition, input: { ...input, dryRun: true }, host, emulator, waitMs, retryMs, log: null });
      say('');
      printDecisions(`Status (dry run ${dry.name}: what a run would do now):`, await decisionsOf(dry, emulator), say);
    }
    if (!values.drill || result.status !== 'SUCCEEDED') return result.status === 'SUCCEEDED' ? 0 : 1;

    say('');
    const drill = await runDrill({
      host,
      emulator,
      sourceRegion: result.settings.sourceRegion,
      targetRegion: result.settings.destinationRegions[0],
      tables: result.tables,
      restoreDefinitionFile: sibling('restore.asl.json'),
      waitMs,
      retryMs,
      log,
    });
    printSummary(drill.restore, await inventoryOf(host, [drill.targetRegion], say), say);
    if (values.report) say(`report (restore): ${JSON.stringify(drill.restore.metrics)}`);
    say('');
    for (const l of drillReport(drill)) say(l);
    process.stdout.write(`${JSON.stringify(drill.restore.output)}\n`);
    return drill.ok ? 0 : 1;
  } finally {
    await stopAll();
  }
}

runMain('run.mjs', 'Runner.Error', main);
