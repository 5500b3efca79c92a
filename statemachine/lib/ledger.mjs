// The run ledger (lambdas/core/ledger.go), read as the handlers read it: a
// DynamoDB table in the state machine's region, partition "run#<runId>",
// one JSON document per record. A backup run's Map items are indices of its
// item records, and its outcomes are records too, so the runner reads the
// tables and their results from here.

import { ddbCall } from './emulator.mjs';
import { DEFAULT_LEDGER_TABLE } from './facts.mjs';

/** Every record of a run whose key starts with prefix, in key order: [{key, data}]. */
export async function ledgerRecords(emulator, region, runId, prefix, table = DEFAULT_LEDGER_TABLE) {
  const out = [];
  let start;
  do {
    const page = await ddbCall(emulator, region, 'Query', {
      TableName: table,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': { S: `run#${runId}` }, ':prefix': { S: prefix } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    for (const item of page.Items ?? []) out.push({ key: item.sk.S, data: JSON.parse(item.data.S) });
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

const indexOf = (key, prefix) => Number.parseInt(key.slice(prefix.length), 10);

/** The item records of a run, by index. */
export async function ledgerItems(emulator, region, runId) {
  const items = [];
  for (const r of await ledgerRecords(emulator, region, runId, 'item#')) items[indexOf(r.key, 'item#')] = r.data;
  return items;
}

/** The table of each item record of a run, by index. */
export async function ledgerTables(emulator, region, runId) {
  return (await ledgerItems(emulator, region, runId)).map((i) => i.table);
}

/**
 * The outcome of each item of a run, by index, folded as Summarize folds
 * them: the table's record ("outcome#i#-") with each region's
 * ("outcome#i#<region>") in destinations. A table that completed has no
 * status of its own: it succeeded unless a copy failed or was skipped.
 */
export async function ledgerOutcomes(emulator, region, runId) {
  const out = [];
  for (const r of await ledgerRecords(emulator, region, runId, 'outcome#')) {
    const i = indexOf(r.key, 'outcome#');
    const o = (out[i] ??= { destinations: [] });
    const where = r.key.slice(r.key.lastIndexOf('#') + 1);
    if (where === '-') Object.assign(o, r.data, { destinations: o.destinations });
    else o.destinations.push(r.data);
  }
  for (const o of out) {
    if (!o || o.status) continue;
    const d = ['failed', 'skipped'].map((s) => o.destinations.find((x) => x.status === s)).find(Boolean);
    o.status = d ? d.status : o.table ? 'succeeded' : 'failed';
    if (d) Object.assign(o, { error: d.error, cause: d.cause, region: d.region });
  }
  return out;
}
