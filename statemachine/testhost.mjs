// Fixtures of the end-to-end tests (test/*.test.mjs): a local host with its embedded
// DynamoDB emulator, a minimal DynamoDB wire client for setting up state,
// the emulator's admin API, and the runner. It uses the library (lib/) only.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { admin as emulatorAdmin, createKeyedTable, ddbCall as ddb, emulatorClock } from './lib/emulator.mjs';
import { runExecution } from './lib/execution.mjs';
import { BACKUP_PREFIX, DEFAULT_CATALOG_TABLE, DEFAULT_LEDGER_TABLE, TEMP_TABLE_PREFIX, tempTableName } from './lib/facts.mjs';
import { fetchInventory, invoke, snapshot, startHost } from './lib/host.mjs';
import { sleep } from './lib/http.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MACHINE = path.join(here, 'backup.asl.json');
export const RESTORE_MACHINE = path.join(here, 'restore.asl.json');
export const HOST_BIN = process.env.XRB_LOCAL_HOST ?? path.join(here, '..', 'build', 'local');

export const SOURCE = 'eu-west-1';
export const DEST = 'eu-central-1';
export const DEST2 = 'us-east-2';
// The catalog table that the deployment creates in each destination region.
export const CATALOG = DEFAULT_CATALOG_TABLE;

/**
 * Starts a host with its own embedded emulator. opts.env adds handler
 * settings; opts.restoreTime is the emulator's restore duration.
 */
export async function startTestHost({ env = {}, restoreTime = '200ms', seed = false } = {}) {
  if (!existsSync(HOST_BIN)) {
    throw new Error(`the local host binary ${HOST_BIN} is missing: build it first with \`make build-local\``);
  }
  const childEnv = { ...process.env, SOURCE_REGION: SOURCE, DESTINATION_REGIONS: DEST, ...env };
  delete childEnv.AWS_ENDPOINT_URL_DYNAMODB; // always the embedded emulator
  const h = await startHost({ bin: HOST_BIN, args: ['-restore-time', restoreTime, ...(seed ? ['-seed'] : [])], env: childEnv });
  const t = {
    ...h,
    regions: [childEnv.SOURCE_REGION, ...childEnv.DESTINATION_REGIONS.split(',')],
    ddb: (region, op, body) => ddb(h.emulator, region, op, body),
    admin: (method, p, body) => admin(h.emulator, method, p, body),
    inventory: (regions) => fetchInventory(h.host, regions ?? [childEnv.SOURCE_REGION, ...childEnv.DESTINATION_REGIONS.split(',')]),
    run: (input, opts = {}) => run(h, input, opts),
    restore: (input, opts = {}) => run(h, input, { ...opts, machine: RESTORE_MACHINE }),
    snapshot: (region, table) => snapshot(h.host, region, table),
  };
  try {
    for (const region of childEnv.DESTINATION_REGIONS.split(',')) await ensureCatalog(t, region);
  } catch (err) {
    await h.stop();
    throw err;
  }
  return t;
}

/** Creates the catalog table in region, as the deployment does, unless it exists. */
export async function ensureCatalog(h, region) {
  try {
    await h.ddb(region, 'DescribeTable', { TableName: CATALOG });
  } catch (err) {
    if (err.code !== 'ResourceNotFoundException') throw err;
    await createTable(h, region, CATALOG, { items: 0 });
  }
}

/** A region's tables other than the tool's own (the catalog, the run ledger). */
export const userTables = (ri) => ri.tables.filter((t) => t.name !== CATALOG && t.name !== DEFAULT_LEDGER_TABLE);

/**
 * Runs the backup state machine (or opts.machine, such as RESTORE_MACHINE,
 * or opts.definition, an already loaded one) on the test host, quickly and
 * quietly; each pause moves the emulator's clock (opts.virtualTime: false
 * runs it on real time).
 */
export async function run(h, input = {}, { waitMs = 20, retryMs = 10, virtualTime, name, onEvent, log, machine = MACHINE, definition } = {}) {
  const lines = [];
  const result = await runExecution({
    definitionFile: machine,
    definition,
    input,
    host: h.host,
    emulator: h.emulator,
    waitMs,
    retryMs,
    virtualTime,
    name,
    onEvent,
    log: log ?? ((l) => lines.push(l)),
  });
  result.lines = lines;
  return result;
}

/** One DynamoDB API call, signed for region as far as the emulator reads it. */
export { ddb };

/** One call to the emulator's admin API. */
export const admin = emulatorAdmin;

export { sleep };

/** Polls fn until it returns a truthy value, or throws after timeoutMs. */
export async function eventually(fn, { timeoutMs = 5000, everyMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Creates a pk/sk table with items and tags, and waits until it is ACTIVE. */
export function createTable(h, region, name, { items = 3, tags = {}, origin = 'test' } = {}) {
  return createKeyedTable(h.emulator, region, name, {
    items,
    tags,
    extra: { origin: { S: origin } },
    whenActive: () => eventually(async () => (await h.ddb(region, 'DescribeTable', { TableName: name })).Table.TableStatus === 'ACTIVE', { what: `${name} ACTIVE` }),
  });
}

/** Creates an on-demand backup and waits until it is AVAILABLE. */
export async function createBackup(h, region, table, name) {
  const out = await h.ddb(region, 'CreateBackup', { TableName: table, BackupName: name });
  const arn = out.BackupDetails.BackupArn;
  await eventually(async () => (await h.ddb(region, 'DescribeBackup', { BackupArn: arn })).BackupDescription.BackupDetails.BackupStatus === 'AVAILABLE', { what: `backup ${name}` });
  return arn;
}

/** The emulator's clock, in milliseconds since the epoch. */
export async function emulatorNow(h) {
  return (await emulatorClock(h.emulator)) * 1000;
}

/**
 * Whether the host's handlers tell the time by the emulator's clock, which
 * tests move forward to age backups and tables. prune-backups reports its
 * clock in "at".
 */
export async function handlersFollowEmulatorClock(h, region = SOURCE) {
  const out = await invoke(h.host, 'prune-backups', { region, sourceRegion: region, sourceTable: 'clock-probe', retentionDays: 1, keepLast: 1, dryRun: true });
  return Math.abs(Date.parse(out.at) - (await emulatorNow(h))) < 60000;
}

/** The emulator's whole state. */
export const state = (h) => h.admin('GET', 'state');

/** Tool-made backups (xrb.*) in a region's inventory. */
export const toolBackups = (ri) => ri.backups.filter((b) => b.name.startsWith(BACKUP_PREFIX));

/** Temporary tables (xrb-tmp.*) in a region's inventory. */
export const tempTables = (ri) => ri.tables.filter((t) => t.name.startsWith(TEMP_TABLE_PREFIX));

/** Waits until no temporary table exists in any region (deletes finish). */
export async function noTempTablesLeft(h, regions) {
  return eventually(async () => {
    const inv = await h.inventory(regions);
    return Object.values(inv).every((ri) => tempTables(ri).length === 0) ? inv : null;
  }, { what: 'temporary tables to be gone' });
}

/** DynamoDB operations that change something. */
export const WRITE_OPERATIONS = [
  'CreateTable', 'UpdateTable', 'DeleteTable', 'TagResource', 'UntagResource', 'UpdateTimeToLive',
  'UpdateContinuousBackups', 'CreateBackup', 'DeleteBackup', 'RestoreTableFromBackup',
  'PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem',
];

/** The write operations among DynamoDB call counts by operation. */
export const writes = (byOperation) => Object.fromEntries(Object.entries(byOperation).filter(([op]) => WRITE_OPERATIONS.includes(op)));

export { tempTableName };

/**
 * The states an execution entered, in order. With where.table, only those
 * of that table's iteration, and with where.region only those in that
 * region; where.table null means the states outside every table.
 */
export function statesEntered(result, { table, region } = {}) {
  return result.route
    .filter((e) => (table === undefined || e.table === (table ?? undefined)) && (region === undefined || e.region === region))
    .map((e) => e.state);
}

/**
 * Asserts the route an execution took (where: as statesEntered): it entered
 * every state of `enters`, in that order, other states may come between;
 * and none of `avoids`.
 */
export function assertRoute(result, { enters = [], avoids = [], ...where }) {
  const entered = statesEntered(result, where);
  const who = where.table === undefined ? 'the execution' : where.table === null ? 'the top level' : `${where.table}${where.region ? ` in ${where.region}` : ''}`;
  // Each state once, where a poll loop repeats it.
  const shown = entered.filter((s, i) => !entered.slice(0, i).includes(s)).join(' ');
  let next = 0;
  for (const s of entered) if (s === enters[next]) next++;
  assert.ok(next === enters.length, `${who} did not enter ${enters.slice(next).join(', ')} after ${enters.slice(0, next).join(' → ') || 'its start'}; it entered ${shown}`);
  const wrong = avoids.filter((s) => entered.includes(s));
  assert.deepEqual(wrong, [], `${who} entered ${wrong.join(', ')}; it entered ${shown}`);
}

/**
 * A test host with one source table, orders, and `fault` injected, after one
 * backup run: the host, the run's result, and the StateRetried events.
 */
export async function runWithFault(fault) {
  const h = await startTestHost();
  await createTable(h, SOURCE, 'orders');
  await h.admin('POST', 'faults', fault);
  const retried = [];
  const result = await h.run({}, { onEvent: (e) => e.type === 'StateRetried' && retried.push(e) });
  return { h, result, retried };
}
