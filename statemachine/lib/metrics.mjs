// The metrics observer: state transitions, retries, Lambda invocations and
// poll waits per execution and per table, from the events; Lambda
// invocations per function from the host, and DynamoDB API calls from the
// emulator, each by the difference of their counts before and after.

import { emulatorStats } from './emulator.mjs';
import { tempTableSource } from './facts.mjs';
import { hostStats } from './host.mjs';

// waits counts Wait states entered: each poll cycle costs a Wait, a poll
// Task and a Choice (3 transitions, 1 invocation, about 1 DynamoDB call), and
// how many there are depends on how long DynamoDB takes, and locally on
// --wait-ms.
function newCounter() {
  return { stateTransitions: 0, retries: 0, lambdaInvocations: 0, lambdaErrors: 0, dynamodbCalls: 0, waits: 0 };
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

/**
 * The table a DynamoDB call on tableName counts for: a table of the run, or
 * the table an alias stands for (a temporary copy, a restore target), or
 * else the name itself (the catalog, say).
 */
function countsFor(tableName, run) {
  if (run.aliases[tableName] !== undefined) return run.aliases[tableName];
  if (run.tables.includes(tableName)) return tableName;
  const part = tempTableSource(tableName);
  if (part === undefined) return tableName;
  // A long source name is cut short in its temporary table's name.
  const long = run.tables.filter((t) => t.startsWith(part));
  return long.length === 1 ? long[0] : part;
}

export function metricsObserver() {
  const perTable = {};
  const top = newCounter();
  const total = newCounter();
  const counterOf = (table) => {
    if (table === undefined) return top;
    perTable[table] ??= newCounter();
    return perTable[table];
  };
  let emuBefore;
  let hostBefore;
  return {
    async start(run) {
      emuBefore = await emulatorStats(run.emulator);
      hostBefore = await hostStats(run.host);
    },
    event(ev) {
      const c = counterOf(ev.table);
      const bump = (k) => {
        c[k]++;
        total[k]++;
      };
      switch (ev.type) {
        case 'StateEntered':
          bump('stateTransitions');
          if (ev.state.type === 'Task') bump('lambdaInvocations');
          if (ev.state.type === 'Wait') bump('waits');
          break;
        case 'StateFailed':
          if (ev.state.type === 'Task') bump('lambdaErrors');
          break;
        case 'StateRetried':
          bump('retries');
          // The retried attempt is another Lambda invocation.
          if (ev.state.type === 'Task') bump('lambdaInvocations');
          break;
        default:
          break;
      }
    },
    /** The metrics of the finished run. */
    async finish(run, status) {
      const { tables, results } = run;
      const wallSeconds = (Date.now() - run.startedAt) / 1000;
      const emuAfter = await emulatorStats(run.emulator);
      const hostAfter = await hostStats(run.host);

      // DynamoDB calls per table: the emulator counts by table name.
      const dynamodb = { calls: null, byOperation: {}, byRegion: {}, byTable: {} };
      if (emuBefore && emuAfter) {
        dynamodb.calls = (emuAfter.total ?? 0) - (emuBefore.total ?? 0);
        dynamodb.byOperation = countsDelta(emuAfter.byOperation, emuBefore.byOperation);
        dynamodb.byRegion = countsDelta(emuAfter.byRegion, emuBefore.byRegion);
        for (const [key, n] of Object.entries(countsDelta(emuAfter.byTable, emuBefore.byTable))) {
          const table = countsFor(key.includes('/') ? key.slice(key.indexOf('/') + 1) : key, run);
          dynamodb.byTable[table] = (dynamodb.byTable[table] ?? 0) + n;
        }
        for (const t of tables) counterOf(t).dynamodbCalls = dynamodb.byTable[t] ?? 0;
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

      return {
        execution: run.name,
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
        largestPayload: run.largestPayload,
        waitMs: run.waitMs,
        retryMs: run.retryMs,
      };
    },
  };
}
