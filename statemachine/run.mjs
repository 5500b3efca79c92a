#!/usr/bin/env node
// Local runner: executes a state machine definition in aws-local-stepfunctions,
// with every Task state calling the Go handlers through the local host's
// Lambda Invoke API, every Wait state shortened and every Retry pause
// shortened. It streams progress to stderr, counts state transitions, Lambda
// invocations and DynamoDB API calls per execution and per table, and prints
// the execution's output JSON as the last line of stdout.
//
// As a CLI:
//
//   node run.mjs --machine backup.asl.json [--input file.json]
//                [--host URL [--emulator URL] | --host-bin ../build/local [--seed[=auto]] [--host-logs] [--restore-time D]]
//                [--wait-ms N] [--retry-ms N] [--name run-name] [--quiet] [--report] [--drill]
//
// --drill follows the backup execution with a disaster drill (drill.mjs):
// the source region goes down and restore.asl.json brings every table back.
//
// As a module: import { runExecution, startHost } from './run.mjs'.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';

export const ACCOUNT = '123456789012';
export const LAMBDA_REGION = 'us-east-1';
export const DEFAULT_WAIT_MS = 100;
export const DEFAULT_RETRY_MS = 50;
// Step Functions' limit on a state's input or output.
export const MAX_PAYLOAD_BYTES = 256 * 1024;

// A definition's ${Placeholder}s are filled in by CDK. Each is
// <PascalName>FunctionArn, the ARN of the Lambda function <kebab-name>, whose
// handler is lambdas/<kebab-name>.
export const PLACEHOLDER = /^([A-Z][A-Za-z0-9]*)FunctionArn$/;

// The error names that handlers report (Go contract error types).
export const CONTRACT_ERRORS = [
  'InvalidInput',
  'TableNotOwned',
  'TableInProgressElsewhere',
  'TableNotFound',
  'BackupNotFound',
  'QuotaExceeded',
  'Throttled',
  'ResourceBusy',
  'PollTimedOut',
  'ResourceFailed',
  'TemporaryTableLeftBehind',
];

/**
 * The backup state machine's TableDone result is compact ({t, s, b, d}, and a
 * copy that succeeded is {}) to keep the Map's result for thousands of tables
 * under 256 KiB; this gives it in full. Other results pass unchanged.
 */
export function expandTableResult(o) {
  if (!o || o.t === undefined) return o;
  return {
    table: o.t,
    status: 'succeeded',
    seconds: o.s,
    bytes: o.b,
    destinations: (o.d ?? []).map((d) => (d.status ? d : { status: 'succeeded' })),
  };
}

/** ListTables → list-tables */
export function kebab(pascal) {
  return pascal
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

export function functionArn(placeholder) {
  const base = placeholder.replace(/FunctionArn$/, '');
  return `arn:aws:lambda:${LAMBDA_REGION}:${ACCOUNT}:function:${kebab(base)}`;
}

/** The function name at the end of a Lambda function ARN. */
export function functionName(arn) {
  const m = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(:[^:]+)?$/.exec(arn ?? '');
  return m ? m[1] : undefined;
}

/** Every ${Name} placeholder in a definition's text. */
export function placeholdersIn(text) {
  return [...new Set([...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]))];
}

/**
 * Reads a definition, fills in the placeholders with local function ARNs and
 * validates it. Throws on an unknown placeholder or an invalid definition.
 */
const loaded = new Map(); // validation is slow: one per file version

export function loadDefinition(definitionFile) {
  const text = readFileSync(definitionFile, 'utf8');
  const cached = loaded.get(definitionFile);
  if (cached?.text === text) return structuredClone(cached.definition);
  const definition = validated(definitionFile, text);
  loaded.set(definitionFile, { text, definition });
  return structuredClone(definition);
}

function validated(definitionFile, text) {
  const unknown = placeholdersIn(text).filter((p) => !PLACEHOLDER.test(p));
  if (unknown.length > 0) {
    throw new Error(`${definitionFile}: unknown placeholder(s) ${unknown.map((p) => '${' + p + '}').join(', ')}; placeholders are <PascalName>FunctionArn`);
  }
  const filled = text.replace(/\$\{([^}]*)\}/g, (_, p) => functionArn(p));
  let definition;
  try {
    definition = JSON.parse(filled);
  } catch (err) {
    throw new Error(`${definitionFile} is not valid JSON: ${err.message}`);
  }
  const { isValid, errorsText } = aslValidator(definition, { checkArn: true, checkPaths: true });
  if (!isValid) {
    throw new Error(`${definitionFile} is not a valid state machine definition:\n${errorsText('\n')}`);
  }
  return definition;
}

/**
 * Every state of a definition, nested Map and Parallel states included, as
 * [{name, state, path}]. Overrides in aws-local-stepfunctions are keyed by
 * state name at every level, so a name used twice must mean the same thing.
 */
export function allStates(definition, where = []) {
  const out = [];
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    out.push({ name, state, path: [...where, name] });
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) out.push(...allStates(inner, [...where, name]));
    for (const branch of state.Branches ?? []) out.push(...allStates(branch, [...where, name]));
  }
  return out;
}

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

/** Which Lambda function each Task state calls, by state name. */
export function taskFunctions(definition) {
  const byName = {};
  for (const { name, state, path: where } of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    const fn = functionName(state.Resource);
    if (!fn) throw new Error(`Task state ${where.join(' > ')}: Resource ${state.Resource} is not a Lambda function ARN`);
    if (byName[name] && byName[name] !== fn) {
      throw new Error(`Task state name ${name} is used twice with different functions (${byName[name]}, ${fn}); local overrides are keyed by state name`);
    }
    byName[name] = fn;
  }
  return byName;
}

/** The temporary-table name the handlers derive for a source table. */
export function tempTableName(sourceRegion, sourceTable) {
  const hash = createHash('sha256').update(`${sourceRegion}\x00${sourceTable}`).digest('hex').slice(0, 16);
  return `xrb-tmp.${hash}.${sourceTable}`.slice(0, 255);
}

// Error names as Step Functions reports Lambda service failures.
function lambdaServiceError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * Invokes one function on the host's Lambda Invoke API. A function error
 * becomes an Error whose name is the errorType and whose message is the
 * error document, as Step Functions reports them (Error and Cause).
 */
export async function invoke(host, fn, payload) {
  let res;
  try {
    res = await fetch(`${host}/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload ?? null),
    });
  } catch (err) {
    throw lambdaServiceError('Lambda.SdkClientException', `invoke ${fn} at ${host}: ${err.cause?.message ?? err.message}`);
  }
  const body = await res.text();
  if (res.status === 404) throw lambdaServiceError('Lambda.ResourceNotFoundException', body);
  if (res.status === 429) throw lambdaServiceError('Lambda.TooManyRequestsException', body);
  if (res.status !== 200) throw lambdaServiceError('Lambda.ServiceException', `HTTP ${res.status}: ${body}`);
  if (res.headers.get('x-amz-function-error')) {
    let errorType = 'Lambda.Unknown';
    try {
      errorType = JSON.parse(body).errorType || errorType;
    } catch {
      // keep Lambda.Unknown
    }
    throw lambdaServiceError(errorType, body);
  }
  try {
    return body === '' ? null : JSON.parse(body);
  } catch {
    throw lambdaServiceError('States.Runtime', `function ${fn} returned a payload that is not JSON: ${body.slice(0, 200)}`);
  }
}

async function getJSON(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** What exists in each region: {region: {tables: [...], backups: [...]}}. */
export function fetchInventory(host, regions) {
  return getJSON(`${host}/inventory?regions=${regions.map(encodeURIComponent).join(',')}`);
}

/** The emulator's API call counts, or null when the endpoint has none. */
async function emulatorStats(emulator) {
  if (!emulator) return null;
  try {
    return await getJSON(`${emulator}/_emulator/stats`);
  } catch {
    return null;
  }
}

async function hostStats(host) {
  try {
    return await getJSON(`${host}/stats`);
  } catch {
    return null;
  }
}

function countsDelta(after = {}, before = {}) {
  const out = {};
  for (const [k, v] of Object.entries(after ?? {})) {
    const d = (typeof v === 'number' ? v : 0) - (before?.[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

function sum(obj) {
  return Object.values(obj).reduce((a, b) => a + b, 0);
}

// Reads a simple JSONPath ($.a.b.c) from a value; undefined if absent.
function simplePath(pathExpr, value) {
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(pathExpr)) return { supported: false };
  let v = value;
  for (const key of pathExpr.split('.').slice(1)) {
    if (v === null || typeof v !== 'object') return { supported: true, value: undefined };
    v = v[key];
  }
  return { supported: true, value: v };
}

function shortName(name, max = 40) {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

// waits counts Wait states entered: each poll cycle costs a Wait, a poll
// Task and a Choice (3 transitions, 1 invocation, about 1 DynamoDB call), and
// how many there are depends on how long DynamoDB takes, and locally on
// --wait-ms.
function newCounter() {
  return { stateTransitions: 0, retries: 0, lambdaInvocations: 0, lambdaErrors: 0, dynamodbCalls: 0, waits: 0 };
}

/**
 * Runs one execution. Returns
 * {name, status: 'SUCCEEDED'|'FAILED', output, error, cause, settings, plan,
 *  tables, results, metrics}. settings is a backup run's (ListTables), plan a
 * restore's (PlanRestore); tables are the tables either works on, and
 * results each one's Map iteration output.
 *
 * Options:
 *   definitionFile  path of the ASL file (or definition: an already loaded one)
 *   input           the execution input (any JSON value; default {})
 *   host            the local host URL (serves the Lambda Invoke API)
 *   emulator        the DynamoDB emulator URL, for API call counts (optional)
 *   waitMs, retryMs every Wait state and Retry pause, in milliseconds
 *   name            the execution name ($$.Execution.Name); default run-<timestamp>
 *   onEvent         called with each execution event, plus {table, region}
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
  onEvent,
  name,
  log = (line) => process.stderr.write(`${line}\n`),
  stateMachineName = 'dynamodb-xregion-backup',
}) {
  if (!host) throw new Error('runExecution: host is required');
  const def = definition ?? loadDefinition(definitionFile);
  const functions = taskFunctions(def);
  const states = allStates(def);
  const stateByName = Object.fromEntries(states.map((s) => [s.name, s.state]));
  const execName = name ?? `run-${new Date().toISOString().replace(/[-:.]/g, '').replace('T', 't').toLowerCase()}-${Math.random().toString(16).slice(2, 6)}`;
  const say = log ?? (() => {});

  const overrides = { taskResourceLocalHandlers: {}, waitTimeOverrides: {}, retryIntervalOverrides: {} };
  for (const { name: stateName, state } of states) {
    if (state.Type === 'Task') {
      const fn = functions[stateName];
      overrides.taskResourceLocalHandlers[stateName] = (payload) => invoke(host, fn, payload);
    }
    if (state.Type === 'Wait') overrides.waitTimeOverrides[stateName] = waitMs;
    if (Array.isArray(state.Retry)) overrides.retryIntervalOverrides[stateName] = retryMs;
  }

  const started = Date.now();
  const stateMachineArn = `arn:aws:states:${LAMBDA_REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`;
  const context = {
    Execution: {
      Id: `arn:aws:states:${LAMBDA_REGION}:${ACCOUNT}:execution:${stateMachineName}:${execName}`,
      Name: execName,
      Input: input,
      StartTime: new Date(started).toISOString(),
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${stateMachineName}-state-machine`,
    },
    StateMachine: { Id: stateMachineArn, Name: stateMachineName },
  };

  const emuBefore = await emulatorStats(emulator);
  const hostBefore = await hostStats(host);

  // The validation above is ours; the interpreter need not repeat it.
  const machine = new StateMachine(forInterpreter(def), { validationOptions: { noValidate: true } });
  const execution = machine.run(input, { overrides, context });

  let settings;
  let plan; // a restore's plan (PlanRestore's output)
  let tables = [];
  const results = {}; // table → its iteration's output
  let summary;
  const perTable = {};
  const top = newCounter();
  const total = newCounter();
  const violations = [];
  const since = () => `${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`;
  const tableOf = (ev) => (ev.index !== undefined ? tables[ev.index] ?? `#${ev.index}` : undefined);
  const counterOf = (table) => {
    if (table === undefined) return top;
    perTable[table] ??= newCounter();
    return perTable[table];
  };
  const line = (table, region, text) => {
    const who = table === undefined ? '' : `[${shortName(table)}] `;
    say(`${since()} ${who}${region ? `${region} ` : ''}${text}`);
  };
  const checkSize = (what, value) => {
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
    if (bytes > MAX_PAYLOAD_BYTES) violations.push({ error: 'States.DataLimitExceeded', cause: `${what} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit` });
    return bytes;
  };
  let maxPayload = { bytes: 0 };
  const polls = {};

  const consume = (async () => {
    for await (const ev of execution.eventLogs) {
      const table = tableOf(ev);
      const region = ev.state?.input?.region;
      const c = counterOf(table);
      const st = ev.state ? stateByName[ev.state.name] : undefined;
      switch (ev.type) {
        case 'StateEntered': {
          c.stateTransitions++;
          total.stateTransitions++;
          if (ev.state.type === 'Task') {
            c.lambdaInvocations++;
            total.lambdaInvocations++;
            if (!/^Poll/.test(ev.state.name)) line(table, region, ev.state.name);
          }
          if (ev.state.type === 'Wait') {
            c.waits++;
            total.waits++;
          }
          if (ev.state.type === 'Wait' && st?.SecondsPath) {
            // The wait is overridden locally; still check what Step
            // Functions would read, or it fails there with States.Runtime.
            const r = simplePath(st.SecondsPath, ev.state.input);
            if (r.supported && !(Number.isInteger(r.value) && r.value >= 0)) {
              violations.push({ error: 'States.Runtime', cause: `Wait state ${ev.state.name}: SecondsPath ${st.SecondsPath} is ${JSON.stringify(r.value)}, not a non-negative integer` });
            }
          }
          break;
        }
        case 'StateExited': {
          const bytes = checkSize(`the output of state ${ev.state.name}`, ev.state.output);
          if (bytes > maxPayload.bytes) maxPayload = { bytes, state: ev.state.name };
          if (ev.state.name === 'ListTables' && table === undefined && ev.state.output?.settings) {
            settings = ev.state.output.settings;
            tables = ev.state.output.tables ?? [];
            line(undefined, undefined, `ListTables: ${tables.length} table(s) in ${settings.sourceRegion} → ${settings.destinationRegions.join(', ')}${settings.dryRun ? ' (dry run)' : ''}`);
          }
          if (ev.state.name === 'PlanRestore' && table === undefined && Array.isArray(ev.state.output?.items)) {
            plan = ev.state.output;
            tables = plan.items.map((i) => i.table);
            line(undefined, undefined, `PlanRestore: ${tables.length} table(s) → ${plan.targetRegion}${plan.dryRun ? ' (dry run: the plan is the output)' : ''}`);
            if (plan.catalogProblem) line(undefined, undefined, `PlanRestore: ${plan.catalogProblem}`);
          }
          if (ev.state.name === 'SweepOrphans' && table === undefined) {
            const s = ev.state.output?.sweep;
            if (s?.Error) line(undefined, undefined, `SweepOrphans failed (${s.Error}); carrying on`);
            else if (s?.deleted?.length) line(undefined, undefined, `SweepOrphans removed ${s.deleted.map((d) => `${d.region}/${d.table}`).join(', ')}`);
          }
          if ((ev.state.name === 'Summarize' || ev.state.name === 'Report') && table === undefined) summary = ev.state.output;
          if (ev.state.type === 'Task' && /^Poll/.test(ev.state.name)) {
            // One line when polling starts, one when it ends.
            const p = ev.state.output?.poll;
            const key = `${table}|${region}|${ev.state.name}`;
            polls[key] = (polls[key] ?? 0) + 1;
            if (p?.ready) line(table, region, `${ev.state.name}: ${p.status} after ${polls[key]} poll(s)`);
            else if (p && polls[key] === 1) line(table, region, `${ev.state.name}: ${p.status}; polling (Step Functions would wait ${p.waitSeconds}s, here ${waitMs}ms)`);
          }
          break;
        }
        case 'StateFailed':
          if (ev.state.type === 'Task') {
            c.lambdaErrors++;
            total.lambdaErrors++;
          }
          break;
        case 'StateRetried': {
          c.retries++;
          total.retries++;
          // The retried attempt is another Lambda invocation.
          if (ev.state.type === 'Task') {
            c.lambdaInvocations++;
            total.lambdaInvocations++;
          }
          line(table, region, `${ev.state.name}: retry ${ev.retry.attempt} after ${ev.retry.retrier.ErrorEquals.join('|')}`);
          break;
        }
        case 'StateCaught':
          line(table, region, `${ev.state.name}: caught → ${ev.catch.catcher.Next}`);
          break;
        case 'MapIterationSucceeded':
          if (ev.parentState?.name === 'RestoreTables' && table !== undefined) {
            results[table] = ev.output;
            const o = ev.output ?? {};
            const applied = o.settingsApplied?.length ? `; settings reapplied: ${o.settingsApplied.join(', ')}` : '';
            line(table, undefined, o.status === 'succeeded'
              ? `→ restored as ${shortName(o.target ?? '?')}: ${o.itemCount ?? 0} item(s)${o.noManifest ? '; no manifest, settings not reapplied' : applied}`
              : `→ ${o.status}${o.error ? ` (${o.error})` : ''}`);
          }
          if (ev.parentState?.name === 'BackUpTables' && table !== undefined) {
            results[table] = expandTableResult(ev.output);
            const o = results[table] ?? {};
            const dests = (o.destinations ?? []).filter((d) => d.status !== 'succeeded').map((d) => `${d.region} ${d.status}: ${d.error}`);
            line(table, undefined, `→ ${o.status}${o.error ? ` (${o.error})` : ''}${dests.length ? ` [${dests.join('; ')}]` : ''}`);
          }
          break;
        case 'MapIterationFailed':
          if (ev.parentState?.name === 'RestoreTables' && table !== undefined) {
            results[table] = { table, status: 'failed', error: ev.Error, cause: ev.Cause };
            line(table, undefined, `→ iteration FAILED: ${ev.Error}`);
          }
          if (ev.parentState?.name === 'BackUpTables' && table !== undefined) {
            results[table] = { table, status: 'failed', error: ev.Error, cause: ev.Cause };
            line(table, undefined, `→ iteration FAILED: ${ev.Error}`);
          }
          break;
        default:
          break;
      }
      if (onEvent) onEvent({ ...ev, table, region, executionName: execName });
    }
  })();

  let status = 'SUCCEEDED';
  let output;
  let error;
  let cause;
  try {
    output = await execution.result;
  } catch (err) {
    status = 'FAILED';
    const e = err?.cause ?? err;
    error = e?.name ?? 'Error';
    cause = e?.message ?? String(e);
  }
  await consume;
  if (status === 'SUCCEEDED' && violations.length > 0) {
    // Step Functions would have failed the execution here.
    status = 'FAILED';
    ({ error, cause } = violations[0]);
  }
  if (status === 'FAILED') output = { status: 'FAILED', error, cause };

  const wallSeconds = (Date.now() - started) / 1000;
  const emuAfter = await emulatorStats(emulator);
  const hostAfter = await hostStats(host);

  // DynamoDB calls per table: the emulator counts by table name; temporary
  // tables and their backups count for their source table.
  const dynamodb = { calls: null, byOperation: {}, byRegion: {}, byTable: {}, unattributed: null };
  if (emuBefore && emuAfter) {
    dynamodb.calls = (emuAfter.total ?? 0) - (emuBefore.total ?? 0);
    dynamodb.byOperation = countsDelta(emuAfter.byOperation, emuBefore.byOperation);
    dynamodb.byRegion = countsDelta(emuAfter.byRegion, emuBefore.byRegion);
    const tempToSource = {};
    if (settings) for (const t of tables) tempToSource[tempTableName(settings.sourceRegion, t)] = t;
    // A restore's calls on a target table count for its source table.
    for (const i of plan?.items ?? []) tempToSource[i.target] = i.table;
    for (const [key, n] of Object.entries(countsDelta(emuAfter.byTable, emuBefore.byTable))) {
      const tableName = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
      const source = tempToSource[tableName] ?? (tables.includes(tableName) ? tableName : /^xrb-tmp\.[0-9a-f]{16}\.(.+)$/.exec(tableName)?.[1] ?? tableName);
      dynamodb.byTable[source] = (dynamodb.byTable[source] ?? 0) + n;
    }
    for (const t of tables) {
      counterOf(t).dynamodbCalls = dynamodb.byTable[t] ?? 0;
    }
    total.dynamodbCalls = dynamodb.calls;
    top.dynamodbCalls = dynamodb.calls - sum(Object.fromEntries(tables.map((t) => [t, dynamodb.byTable[t] ?? 0])));
  }

  const counts = Object.values(perTable);
  const avgOf = (f) => (counts.length ? +(counts.reduce((a, x) => a + f(x), 0) / counts.length).toFixed(1) : 0);
  const avg = (k) => avgOf((x) => x[k]);
  const outcomes = { succeeded: 0, skipped: 0, failed: 0 };
  for (const t of tables) {
    const r = results[t];
    let s = r?.status ?? 'failed';
    if (s === 'succeeded' && (r.destinations ?? []).some((d) => d.status === 'failed')) s = 'failed';
    else if (s === 'succeeded' && (r.destinations ?? []).some((d) => d.status === 'skipped')) s = 'skipped';
    outcomes[s] = (outcomes[s] ?? 0) + 1;
    counterOf(t).status = s;
  }

  const metrics = {
    execution: execName,
    status,
    wallSeconds: +wallSeconds.toFixed(2),
    tables: tables.length,
    outcomes,
    // Step Functions bills each state entered, and each retry.
    stateTransitions: total.stateTransitions,
    retries: total.retries,
    billedTransitions: total.stateTransitions + total.retries,
    lambdaInvocations: total.lambdaInvocations,
    lambdaErrors: total.lambdaErrors,
    lambdaInvocationsByFunction: hostBefore && hostAfter ? countsDelta(hostAfter.invocations, hostBefore.invocations) : undefined,
    dynamodbCalls: dynamodb.calls,
    dynamodbCallsByOperation: dynamodb.byOperation,
    dynamodbCallsByRegion: dynamodb.byRegion,
    // By the table a call named: source tables (temporary copies included)
    // and any other, such as the catalog.
    dynamodbCallsByTable: dynamodb.byTable,
    outsideTables: top,
    waits: total.waits,
    perTableAverage: {
      stateTransitions: avg('stateTransitions'),
      retries: avg('retries'),
      lambdaInvocations: avg('lambdaInvocations'),
      dynamodbCalls: avg('dynamodbCalls'),
      waits: avg('waits'),
    },
    // What a table costs apart from waiting: each poll cycle adds 3
    // transitions, 1 invocation and 1 DynamoDB call (a Describe*).
    perTableWithoutPolling: {
      stateTransitions: avgOf((x) => x.stateTransitions - 3 * x.waits),
      lambdaInvocations: avgOf((x) => x.lambdaInvocations - x.waits),
      dynamodbCalls: avgOf((x) => x.dynamodbCalls - x.waits),
    },
    perTable,
    largestPayload: maxPayload,
    waitMs,
    retryMs,
  };
  return { name: execName, status, output, error, cause, settings, plan, tables, results, summary, metrics };
}

/**
 * Starts the Go host binary and waits for its ready line. Returns
 * {host, emulator, process, stop()}. The host stops when its stdin closes,
 * so it also stops if this process dies.
 */
export async function startHost({ bin, args = [], env = process.env, logs = false, readyTimeoutMs = 60000 }) {
  const child = spawn(bin, [...args, ...(logs ? ['-logs'] : [])], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((_, reject) => child.once('error', (err) => reject(new Error(`start ${bin}: ${err.message}`))));
  const rl = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    rl.once('line', (l) => {
      try {
        resolve(JSON.parse(l));
      } catch {
        reject(new Error(`${bin} printed ${JSON.stringify(l)} instead of its JSON ready line`));
      }
    });
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${bin} did not print its ready line within ${readyTimeoutMs} ms`)), readyTimeoutMs);
  });
  const early = exited.then(({ code, signal }) => {
    throw new Error(`${bin} exited before it was ready (${signal ?? `exit code ${code}`})`);
  });
  let info;
  try {
    info = await Promise.race([ready, timeout, early, spawnError]);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  early.catch(() => {});
  rl.on('line', (l) => process.stderr.write(`host: ${l}\n`));
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGTERM'), 5000);
      const r = await exited;
      clearTimeout(t);
      return r;
    })();
    return stopping;
  };
  return { host: info.host, emulator: info.emulator, process: child, stop };
}

function printInventory(inv, say) {
  for (const [region, ri] of Object.entries(inv)) {
    say(`  ${region}:`);
    say(`    tables (${ri.tables.length}):${ri.tables.length ? '' : ' none'}`);
    for (const t of ri.tables) say(`      ${shortName(t.name, 60)}  ${t.status}  ${t.items} item(s)`);
    say(`    backups (${ri.backups.length}):${ri.backups.length ? '' : ' none'}`);
    for (const b of ri.backups) say(`      ${shortName(b.name, 60)}  of ${shortName(b.table, 50)}  ${b.type} ${b.status}  ${b.created}`);
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
    say(`    restored: ${shortName(r.table)} as ${shortName(r.target)}: ${r.itemCount ?? 0} item(s), backup ${r.backupAgeSeconds ?? 0}s old, ${r.restoreSeconds ?? 0}s to restore; ${settings}`);
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

// What a definition does, by its first Task's function.
function machineKind(definition) {
  const fns = Object.values(taskFunctions(definition));
  if (fns.includes('plan-restore')) return 'restore';
  if (fns.includes('list-tables')) return 'backup';
  return 'other';
}

// The regions an execution worked in, for the inventory.
function regionsOf(result) {
  if (result.settings) return [result.settings.sourceRegion, ...result.settings.destinationRegions];
  if (result.plan) return [result.plan.targetRegion];
  return [];
}

// What exists in regions once deletes end.
async function settledInventory(host, regions, say) {
  if (!regions.length) return undefined;
  let inventory;
  // Deleting a table takes a moment: show what remains once deletes end.
  const until = Date.now() + 10000;
  for (;;) {
    try {
      inventory = await fetchInventory(host, regions);
      if (!Object.values(inventory).some((ri) => ri.tables.some((t) => t.status === 'DELETING'))) break;
    } catch (err) {
      if (Date.now() > until) say(`(could not read the inventory: ${err.message})`);
    }
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return inventory;
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
      'restore-time': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.error(USAGE);
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
  const kind = machineKind(definition);
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
    const result = await runExecution({
      definition,
      input,
      host,
      emulator,
      waitMs,
      retryMs,
      name: values.name,
      log,
    });
    printSummary(result, await settledInventory(host, regionsOf(result), say), say);
    if (values.report) say(`report: ${JSON.stringify(result.metrics)}`);
    process.stdout.write(`${JSON.stringify(result.output)}\n`);
    if (!values.drill || result.status !== 'SUCCEEDED') return result.status === 'SUCCEEDED' ? 0 : 1;

    const { runDrill, drillReport } = await import('./drill.mjs');
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
    printSummary(drill.restore, await settledInventory(host, [drill.targetRegion], say), say);
    if (values.report) say(`report (restore): ${JSON.stringify(drill.restore.metrics)}`);
    say('');
    for (const l of drillReport(drill)) say(l);
    process.stdout.write(`${JSON.stringify(drill.restore.output)}\n`);
    return drill.ok ? 0 : 1;
  } finally {
    await stopAll();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`run.mjs: ${err.message}`);
      process.stdout.write(`${JSON.stringify({ status: 'FAILED', error: 'Runner.Error', cause: err.message })}\n`);
      process.exitCode = 2;
    },
  );
}
