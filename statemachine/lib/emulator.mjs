// The project's DynamoDB emulator (lambdas/internal/emulator): DynamoDB calls
// on its wire protocol, and its admin API (/_emulator/...).

import { DEFAULT_CATALOG_TABLE } from './facts.mjs';
import { getJSON } from './http.mjs';

/**
 * One DynamoDB API call on the emulator's wire protocol. The emulator reads
 * the region from the credential scope and checks no signature. An error
 * has the DynamoDB error name in err.code.
 */
export async function ddbCall(emulator, region, op, body = {}) {
  const res = await fetch(emulator, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `DynamoDB_20120810.${op}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/${region}/dynamodb/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const out = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const err = new Error(`${op} in ${region}: ${out.__type ?? res.status}: ${out.message ?? out.Message ?? text}`);
    err.code = String(out.__type ?? '').split('#').pop();
    throw err;
  }
  return out;
}

/** One call to the emulator's admin API: admin(emulator, 'POST', 'clock', {...}). */
export async function admin(emulator, method, p, body) {
  const res = await fetch(`${emulator}/_emulator/${p}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_emulator/${p}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Takes a region down (or brings it back up). */
export async function setRegionDown(emulator, region, down = true) {
  const res = await fetch(`${emulator}/_emulator/regions/${encodeURIComponent(region)}/${down ? 'down' : 'up'}`, { method: 'POST' });
  if (!res.ok) throw new Error(`the emulator at ${emulator} could not take ${region} ${down ? 'down' : 'up'}: HTTP ${res.status} ${(await res.text()).trim()}`);
}

/** The emulator's clock, in seconds since the epoch. */
export async function emulatorClock(emulator) {
  const { now } = await admin(emulator, 'POST', 'clock', { advanceSeconds: 0 });
  return now;
}

/** The emulator's API call counts, or null when the endpoint has none. */
export async function emulatorStats(emulator) {
  if (!emulator) return null;
  try {
    return await getJSON(`${emulator}/_emulator/stats`);
  } catch {
    return null;
  }
}

/**
 * Creates a pk/sk on-demand table with tags, and once it is ACTIVE (by
 * whenActive, which waits or moves a simulated clock) writes `items` items
 * {pk: item-<i>, sk: v1, ...extra}.
 */
export async function createKeyedTable(emulator, region, name, { items = 0, tags = {}, extra = {}, whenActive }) {
  const call = (op, body) => ddbCall(emulator, region, op, body);
  const created = await call('CreateTable', {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });
  await whenActive();
  for (let i = 0; i < items; i += 25) {
    const batch = [];
    for (let j = i; j < Math.min(items, i + 25); j++) {
      batch.push({ PutRequest: { Item: { pk: { S: `item-${j}` }, sk: { S: 'v1' }, ...extra } } });
    }
    await call('BatchWriteItem', { RequestItems: { [name]: batch } });
  }
  return created.TableDescription;
}

/**
 * Records in each destination's catalog a past copy of every table, one
 * second per phase, long ago (copy status items, as FinishCopy writes them:
 * lambdas/core/status.go). A run admits copies by predicted copy time, and a
 * table never copied is predicted at an hour: this makes a run over many
 * tables admit every one of them, for tests and benches about a run's size.
 */
export async function recordFastCopies(emulator, { sourceRegion, regions, tables, catalog = DEFAULT_CATALOG_TABLE }) {
  const phase = { s: 1, b: 0 };
  const status = (table) => JSON.stringify({
    table, sourceRegion, dataTime: '2020-01-01T00:00:00Z', currentAsOf: '2020-01-01T00:00:00Z',
    phases: { sourceBackup: phase, restore: phase, destinationBackup: phase }, copySeconds: 3, sizeBytes: 0,
  });
  for (const region of regions) {
    const batches = [];
    for (let i = 0; i < tables.length; i += 25) batches.push(tables.slice(i, i + 25));
    for (let i = 0; i < batches.length; i += 20) {
      await Promise.all(batches.slice(i, i + 20).map((batch) => ddbCall(emulator, region, 'BatchWriteItem', {
        RequestItems: {
          [catalog]: batch.map((t) => ({ PutRequest: { Item: { pk: { S: `status#${sourceRegion}` }, sk: { S: t }, status: { S: status(t) } } } })),
        },
      })));
    }
  }
}
