// The disaster drill: after a backup execution, take the source region down
// and bring every table back from its cross-region backup, then check that
// each restored table holds what its source held at backup time, with the
// source's settings. Used by `run.mjs --drill` (`make run`) and by the tests.
//
// It needs the local host (its /snapshot and /inventory routes) and the
// project's DynamoDB emulator (its admin API takes the region down).

import { createHash } from 'node:crypto';

import { ddbCall, setRegionDown } from './emulator.mjs';
import { runExecution } from './execution.mjs';
import { MAX_NAME_LENGTH, RESERVED_TAG_PREFIX } from './facts.mjs';
import { fetchInventory, settledInventory, snapshot } from './host.mjs';

export const DRILL_SUFFIX = '-dr';
// Items written to each source table after its snapshot: a restore of the
// backup must not bring them back.
export const DRILL_EXTRA_ITEMS = 5;

/**
 * The settings a restore must bring back, by the name the restore reports
 * them under, with the manifest fields that make each one up.
 */
export const SETTINGS = [
  { name: 'ttl', fields: ['ttlEnabled', 'ttlAttribute'] },
  { name: 'stream', fields: ['streamEnabled', 'streamViewType'] },
  { name: 'pitr', fields: ['pitrEnabled', 'pitrRecoveryDays'] },
  { name: 'tags', fields: ['tags'] },
  { name: 'deletionProtection', fields: ['deletionProtection'] },
  { name: 'tableClass', fields: ['tableClass'] },
  { name: 'billing', fields: ['billingMode', 'readCapacity', 'writeCapacity'] },
];

/**
 * Writes n new items to a table, whatever its key schema: items the
 * table's backup does not hold.
 */
export async function writeItems(emulator, region, table, n, tag = 'after-backup') {
  const { Table } = await ddbCall(emulator, region, 'DescribeTable', { TableName: table });
  const types = Object.fromEntries(Table.AttributeDefinitions.map((a) => [a.AttributeName, a.AttributeType]));
  for (let i = 0; i < n; i++) {
    const item = { drill: { S: tag } };
    for (const { AttributeName: k } of Table.KeySchema) {
      const v = `${tag}-${i}`;
      item[k] = types[k] === 'N' ? { N: String(9e9 + i) } : types[k] === 'B' ? { B: Buffer.from(v).toString('base64') } : { S: v };
    }
    await ddbCall(emulator, region, 'PutItem', { TableName: table, Item: item });
  }
}

/**
 * The targets of a restore of tables with nameSuffix: targetNames for the
 * tables whose name and suffix would pass 255 characters.
 */
export function targetNamesFor(tables, suffix) {
  const out = {};
  for (const t of tables) {
    if (t.length + suffix.length <= MAX_NAME_LENGTH) continue;
    const hash = createHash('sha256').update(t).digest('hex').slice(0, 8);
    out[t] = `${t.slice(0, MAX_NAME_LENGTH - suffix.length - hash.length - 1)}.${hash}${suffix}`;
  }
  return out;
}

const userTags = (tags) => Object.fromEntries(Object.entries(tags ?? {})
  .filter(([k]) => !k.startsWith('aws:') && !k.startsWith(RESERVED_TAG_PREFIX))
  .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** One setting of a snapshot's settings, comparable with JSON equality. */
export function settingValue(settings, name) {
  const s = SETTINGS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown setting ${name}`);
  const out = {};
  for (const f of s.fields) {
    let v = settings?.[f];
    if (f === 'tags') v = userTags(v);
    // Capacity means something only in provisioned mode.
    if ((f === 'readCapacity' || f === 'writeCapacity') && settings?.billingMode !== 'PROVISIONED') v = undefined;
    if (f === 'pitrRecoveryDays' && !settings?.pitrEnabled) v = undefined;
    if (f === 'streamViewType' && !settings?.streamEnabled) v = undefined;
    if (f === 'ttlAttribute' && !settings?.ttlEnabled) v = undefined;
    out[f] = v ?? null;
  }
  return out;
}

const show = (v) => {
  const entries = Object.entries(v);
  if (entries.length === 1) return JSON.stringify(entries[0][1]);
  return entries.filter(([, x]) => x !== null).map(([k, x]) => `${k}=${typeof x === 'object' ? JSON.stringify(x) : x}`).join(' ') || 'off';
};

/**
 * Compares a restored table's snapshot with its source's at backup time.
 * Returns {equal, items, hash, settings: {name: {equal, want, got}},
 * differences: [text]}.
 */
export function compareSnapshots(source, restored) {
  const c = { items: source.items === restored.items, hash: source.hash === restored.hash, settings: {}, differences: [] };
  if (!c.items) c.differences.push(`items: ${restored.items}, want ${source.items}`);
  if (!c.hash) c.differences.push('content: differs from the source at backup time');
  for (const { name } of SETTINGS) {
    const want = settingValue(source.settings, name);
    const got = settingValue(restored.settings, name);
    const equal = JSON.stringify(want) === JSON.stringify(got);
    c.settings[name] = { equal, want, got };
    if (!equal) c.differences.push(`${name}: ${show(got)}, want ${show(want)}`);
  }
  c.equal = c.differences.length === 0;
  return c;
}

function pad(s, n) {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

// A long target name keeps its end, where a suffix and a hash tell it apart.
function padMiddle(s, n) {
  if (s.length <= n) return s.padEnd(n);
  const tail = Math.floor((n - 1) / 2);
  return `${s.slice(0, n - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** The drill's report, as lines of a readable table. */
export function drillReport(drill) {
  const lines = [];
  const rows = drill.tables.map((t) => {
    const c = t.comparison;
    const set = c ? Object.entries(c.settings) : [];
    const differing = set.filter(([, s]) => !s.equal).map(([n]) => n);
    return [
      t.table,
      t.target ?? '-',
      c ? `${t.source.items} → ${t.restored.items}` : '-',
      c ? (c.hash ? 'equal' : 'DIFFERS') : '-',
      c ? (differing.length ? `DIFFER: ${differing.join(', ')}` : `all ${set.length} equal`) : '-',
      t.ok ? 'ok' : 'FAIL',
    ];
  });
  const head = ['table', 'restored as', 'items', 'content', 'settings', ''];
  const widths = head.map((h, i) => Math.min(i < 2 ? 28 : 40, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const fmt = (r) => `  ${r.map((x, i) => (i === 1 ? padMiddle : pad)(x, widths[i])).join('  ')}`.trimEnd();
  const back = drill.tables.filter((t) => t.restored).length;
  lines.push(`Disaster drill: ${drill.sourceRegion} down; ${back} of ${drill.tables.length} table(s) restored in ${drill.targetRegion} from their backups`);
  lines.push(`  (${drill.extraItems} item(s) were written to each source table after its backup; a restore must not bring them back)`);
  lines.push(fmt(head));
  lines.push(fmt(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) lines.push(fmt(r));
  for (const t of drill.tables) {
    for (const d of t.problems) lines.push(`    ${pad(t.table, 40).trimEnd()}: ${d}`);
  }
  for (const p of drill.problems) lines.push(`  ${p}`);
  lines.push(drill.ok
    ? `Drill passed: every table came back as it was at backup time, settings included (checked: ${SETTINGS.map((s) => s.name).join(', ')}).`
    : 'Drill FAILED: see above.');
  return lines;
}

/**
 * Runs the drill after a backup execution: snapshots the source tables,
 * writes more items to them, takes the source region down (and back up at
 * the end), restores every
 * table that has a backup in the target region (restoreInput, by default
 * {"tables":["*"], "nameSuffix":"-dr"} with targetNames for names too long
 * for the suffix), and compares each restored table with its snapshot.
 *
 * Returns {ok, sourceRegion, targetRegion, restoreInput, restore (the
 * runExecution result), snapshots, tables: [{table, target, source,
 * restored, comparison, problems, ok}], problems, extraItems}.
 */
export async function runDrill({
  host,
  emulator,
  sourceRegion,
  targetRegion,
  tables,
  restoreDefinitionFile,
  suffix = DRILL_SUFFIX,
  extraItems = DRILL_EXTRA_ITEMS,
  waitMs,
  retryMs,
  log = (line) => process.stderr.write(`${line}\n`),
  name,
}) {
  if (!emulator) throw new Error('the drill needs the DynamoDB emulator (its admin API takes the source region down)');
  const say = log ?? (() => {});
  say(`Drill: snapshot of ${tables.length} source table(s) in ${sourceRegion}`);
  const snapshots = {};
  for (const t of tables) snapshots[t] = await snapshot(host, sourceRegion, t);
  say(`Drill: ${extraItems} more item(s) written to each source table`);
  for (const t of tables) await writeItems(emulator, sourceRegion, t, extraItems);
  say(`Drill: ${sourceRegion} is down`);
  await setRegionDown(emulator, sourceRegion, true);

  try {
    return await restoreAndCompare({ host, emulator, sourceRegion, targetRegion, tables, restoreDefinitionFile, suffix, extraItems, waitMs, retryMs, log, name, snapshots });
  } finally {
    // An emulator that outlives the drill gets its region back.
    await setRegionDown(emulator, sourceRegion, false);
  }
}

async function restoreAndCompare({ host, emulator, sourceRegion, targetRegion, tables, restoreDefinitionFile, suffix, extraItems, waitMs, retryMs, log, name, snapshots }) {
  const say = log ?? (() => {});
  const before = (await fetchInventory(host, [targetRegion]))[targetRegion];
  const restoreInput = { tables: ['*'], nameSuffix: suffix, targetRegion };
  const long = targetNamesFor(tables, suffix);
  if (Object.keys(long).length) restoreInput.targetNames = long;
  say(`Drill: restore ${JSON.stringify(restoreInput).replace(/"([^"]{40})[^"]{10,}"/g, '"$1…"')}`);
  const restore = await runExecution({ definitionFile: restoreDefinitionFile, input: restoreInput, host, emulator, waitMs, retryMs, log, name });

  const problems = [];
  if (restore.status !== 'SUCCEEDED') {
    // TablesFailed lists the tables, as the rows below do.
    problems.push(`the restore execution ${restore.status}: ${restore.error}${restore.error === 'TablesFailed' ? '' : `: ${String(restore.cause).slice(0, 500)}`}`);
  }
  // Each table's report; a failed execution still has its Report state's.
  const report = new Map((restore.summary?.results ?? Object.values(restore.results)).map((r) => [r.table, r]));
  const out = [];
  for (const t of [...new Set([...tables, ...report.keys()])].sort()) {
    const r = report.get(t);
    const row = { table: t, target: r?.target, source: snapshots[t], problems: [] };
    if (!snapshots[t]) row.problems.push('restored, but not backed up by this run: not compared');
    else if (!r) row.problems.push('not restored');
    else if (r.status !== 'succeeded') row.problems.push(`restore ${r.status}: ${r.error}: ${r.cause}`);
    else {
      row.restored = await snapshot(host, targetRegion, r.target);
      row.comparison = compareSnapshots(snapshots[t], row.restored);
      row.problems.push(...row.comparison.differences);
    }
    row.ok = row.problems.length === 0;
    out.push(row);
  }

  // The restore created the targets and nothing else.
  const after = (await settledInventory(host, [targetRegion], (t) => t.status === 'ACTIVE', { everyMs: 50 }))[targetRegion];
  const had = new Set(before.tables.map((x) => x.name));
  const created = after.tables.map((x) => x.name).filter((x) => !had.has(x)).sort();
  const targets = out.filter((t) => t.restored).map((t) => t.target).sort();
  if (JSON.stringify(created) !== JSON.stringify(targets)) {
    problems.push(`tables created in ${targetRegion}: ${created.join(', ') || 'none'}; want exactly the targets ${targets.join(', ')}`);
  }
  const elsewhere = Object.keys(restore.metrics.dynamodbCallsByRegion ?? {}).filter((r) => r !== targetRegion);
  if (elsewhere.length) problems.push(`the restore called DynamoDB in ${elsewhere.join(', ')}; it must touch only ${targetRegion}`);
  if (after.backups.length !== before.backups.length) problems.push(`backups in ${targetRegion}: ${after.backups.length}, ${before.backups.length} before the restore`);

  const ok = problems.length === 0 && out.length > 0 && out.every((t) => t.ok);
  return { ok, sourceRegion, targetRegion, restoreInput, restore, snapshots, tables: out, problems, extraItems };
}
