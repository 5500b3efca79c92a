// The resumable listing at 10,000 tables: ListTables called in a loop through
// the local host's Lambda Invoke API, as the state machine does (until it
// answers done, passing its cursor back), with a tag filter. Each
// invocation's time budget is shortened (budgetSeconds) so that the listing
// takes several invocations here as it does in AWS, where reading the tags
// of 10,000 tables at ListTagsOfResource's 10 calls per second takes 1,000
// seconds and an invocation stops after at most 4 minutes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEFAULT_LEDGER_TABLE } from '../lib/facts.mjs';
import { invoke } from '../lib/host.mjs';
import { SOURCE, startTestHost } from '../testhost.mjs';

const N = 10000;
// 255-character names, the longest DynamoDB allows.
const nameOf = (i) => `${'n'.repeat(250)}${String(i).padStart(5, '0')}`;
const isProd = (i) => i % 3 === 0;

describe('a tag-filtered listing of 10,000 tables', () => {
  let h;
  let strictRates;
  const first = {};
  const second = {};
  const recreated = Array.from({ length: 40 }, (_, k) => 1 + 3 * k); // not prod until re-created
  const added = Array.from({ length: 100 }, (_, k) => N + k);

  before(async () => {
    h = await startTestHost();
    const durations = await h.admin('GET', 'durations');
    await h.admin('POST', 'durations', { ...durations, tableCreate: 0, tableDelete: 0 });
    ({ rates: strictRates } = await h.admin('GET', 'model'));
    await createTables(h, Array.from({ length: N }, (_, i) => i));

    // The first run reads every table's tags: 1,000 s at the documented
    // rate, so this run alone relaxes ListTagsOfResource's.
    // A budget of a fifth of a second makes it take several invocations
    // however fast this machine lists (about 10,000 tables in 2 s here).
    await h.admin('POST', 'model', { rates: { ...strictRates, ListTagsOfResource: 0 } });
    Object.assign(first, await listAll(h, 'listing-1', 0.2));

    // An hour later, under DynamoDB's documented rates: 40 tables were
    // deleted and created again (same name and ARN) with other tags, and
    // 100 are new. Only their tags are read; the cache has the others'.
    await h.admin('POST', 'model', { rates: strictRates });
    await h.admin('POST', 'clock', { advanceSeconds: 3600 });
    for (const i of recreated) await h.ddb(SOURCE, 'DeleteTable', { TableName: nameOf(i) });
    await createTables(h, [...recreated, ...added], { prod: (i) => recreated.includes(i) || isProd(i) });
    Object.assign(second, await listAll(h, 'listing-2', 3));
  });
  after(() => h?.stop());

  test('the first run lists every matching table, over several invocations', async () => {
    const want = Array.from({ length: N }, (_, i) => i).filter(isProd).map(nameOf);
    assert.equal(first.last.done, true);
    assert.ok(first.invocations > 1, `${first.invocations} invocation`);
    assert.deepEqual(await listed(h, 'listing-1', first.last.cursor.chunk), want);
    assert.equal(first.last.listed, want.length);
    assert.equal(first.last.considered, N + 1); // and the run ledger itself
    assert.equal(first.stats.byOperation.ListTagsOfResource, N, 'every table\'s tags read once');
    assert.equal(first.stats.byOperation.DescribeTable, N);
  });

  test('an hour later, under the documented rates, it reads only the tags of new and re-created tables', async () => {
    const want = [...Array.from({ length: N }, (_, i) => i).filter((i) => isProd(i) || recreated.includes(i)), ...added.filter(isProd)].map(nameOf).sort();
    assert.equal(second.last.done, true);
    assert.ok(second.invocations > 1, `${second.invocations} invocation`);
    assert.deepEqual(await listed(h, 'listing-2', second.last.cursor.chunk), want);
    assert.equal(second.stats.byOperation.ListTagsOfResource, recreated.length + added.length);
    assert.deepEqual(Object.values(second.stats.throttled ?? {}).filter((n) => n > 0), [], `throttled: ${JSON.stringify(second.stats.throttled)}`);
    // 10/s: 140 reads take at least 14 s, whatever the budget.
    assert.ok(second.seconds >= (recreated.length + added.length - 10) / 10, `${second.seconds} s`);
  });

  test('every output is a few hundred bytes: the tables are in the ledger', () => {
    assert.ok(Math.max(first.largestOutput, second.largestOutput) < 2048, `${first.largestOutput}, ${second.largestOutput} bytes`);
    console.log(`10,000 tables, tag filter: first run (tags read at an unlimited rate) ${first.invocations} invocations in ${first.seconds} s; `
      + `an hour later (140 tags read at 10/s) ${second.invocations} invocations in ${second.seconds} s; largest output ${Math.max(first.largestOutput, second.largestOutput)} bytes`);
  });
});

// Creates tables (pk-only, on-demand) by index, env=prod where prod(i) says,
// 50 at a time.
async function createTables(h, indexes, { prod = isProd } = {}) {
  for (let k = 0; k < indexes.length; k += 50) {
    await Promise.all(indexes.slice(k, k + 50).map((i) => h.ddb(SOURCE, 'CreateTable', {
      TableName: nameOf(i),
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      Tags: [{ Key: 'env', Value: prod(i) ? 'prod' : 'dev' }, { Key: 'team', Value: `team-${i % 7}` }],
    })));
  }
}

// Calls list-tables until it answers done; its invocations, last output,
// largest output, wall time and the emulator's call counts meanwhile.
async function listAll(h, runId, budgetSeconds) {
  await h.admin('POST', 'stats/reset');
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  let out;
  let invocations = 0;
  let largestOutput = 0;
  do {
    out = await invoke(h.host, 'list-tables', { input: { tagFilter: { env: 'prod' } }, runId, startedAt, cursor: out?.cursor, budgetSeconds });
    invocations++;
    largestOutput = Math.max(largestOutput, JSON.stringify(out).length);
    assert.ok(invocations < 1000, 'the listing does not end');
  } while (!out.done);
  return { last: out, invocations, largestOutput, seconds: (Date.now() - t0) / 1000, stats: await h.admin('GET', 'stats') };
}

// The tables a run listed, from its ledger chunks 0..chunks-1.
async function listed(h, runId, chunks) {
  const names = [];
  const keys = [];
  let start;
  do {
    const page = await h.ddb(SOURCE, 'Query', {
      TableName: DEFAULT_LEDGER_TABLE,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :listed)',
      ExpressionAttributeValues: { ':pk': { S: `run#${runId}` }, ':listed': { S: 'listed#' } },
      ExclusiveStartKey: start,
    });
    for (const item of page.Items) {
      keys.push(item.sk.S);
      for (const t of JSON.parse(item.data.S).tables) {
        assert.equal(t.skip, undefined, `${t.name}: ${t.skip}`);
        names.push(t.name);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  assert.equal(keys.length, chunks);
  return names;
}
