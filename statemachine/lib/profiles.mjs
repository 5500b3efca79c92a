// What the states of each state machine mean to the runner: which state
// plans the work (and so names the tables), which Map works on one table per
// iteration, which state summarises, which Tasks are polls, and how results
// read. The execution loop and its observers know nothing else about a
// machine.

import { shortName } from './format.mjs';

import { ledgerItems, ledgerOutcomes, ledgerTables } from './ledger.mjs';

/**
 * The backup state machine keeps its tables, its plan's items and their
 * outcomes in the run ledger (lib/ledger.mjs): its Map's items are indices
 * of item records, and a child's output is its index.
 */
export const backupProfile = {
  kind: 'backup',
  functions: ['list-tables'],
  planState: 'PlanCopies',
  tableMap: 'CopyTables',
  summaryState: 'Summarize',
  // What each poll loop waits for, by its poll state.
  polls: {
    PollSourceBackup: 'source backup',
    PollTemporaryTable: 'temporary table restore',
    FinishCopy: 'destination backup',
  },
  /** The plan in the plan state's output: {tables, settings, plan}, or undefined; the tables come from loadTables. */
  readPlan(output) {
    if (!output?.settings || !output.plan) return undefined;
    return { tables: [], settings: output.settings, plan: output.plan };
  },
  /** The table of each Map item, by index: the item records' (none without the emulator). */
  loadTables: (run) => (run.emulator ? ledgerTables(run.emulator, run.settings.sourceRegion, run.name) : []),
  /**
   * Each table's result, by table: its outcome records, folded as Summarize
   * folds them (a child that failed outright has none: its result is the
   * Map's).
   */
  async loadResults(run) {
    if (!run.emulator || !run.settings) return {};
    const outcomes = await ledgerOutcomes(run.emulator, run.settings.sourceRegion, run.name);
    return Object.fromEntries(outcomes.flatMap((o, i) => (o && run.tables[i] !== undefined ? [[run.tables[i], { ...o, table: run.tables[i] }]] : [])));
  },
  planLines({ settings, plan }) {
    const decided = Object.entries(plan.decided ?? {}).map(([k, n]) => `${k} ${n}`).join(', ');
    return [`PlanCopies: ${plan.count} table(s) to copy from ${settings.sourceRegion} → ${settings.destinationRegions.join(', ')}${decided ? ` (decisions: ${decided})` : ''}${settings.dryRun ? ' (dry run: nothing is copied)' : ''}`];
  },
  /** Progress lines for a top-level state's output. */
  stateLines(stateName, output) {
    if (stateName !== 'SweepOrphans') return [];
    const s = output?.sweep;
    if (s?.Error) return [`SweepOrphans failed (${s.Error}); carrying on`];
    if (s?.deleted?.length) return [`SweepOrphans removed ${s.deleted.map((d) => `${d.region}/${d.table}`).join(', ')}`];
    return [];
  },
  /**
   * Names a table's calls go by, from a state's output in its iteration:
   * the temporary table it is restored under.
   */
  aliases(output) {
    const temp = output?.restore?.table;
    return typeof temp === 'string' ? [temp] : [];
  },
  planAliases: () => ({}),
  // A child's output is its index; its result is in the ledger.
  iterationResult: () => undefined,
  iterationLine(o) {
    if (!o.status) return '→ done';
    const dests = (o.destinations ?? []).filter((d) => d.status !== 'succeeded').map((d) => `${d.region} ${d.status}: ${d.error}`);
    return `→ ${o.status}${o.error ? ` (${o.error})` : ''}${dests.length ? ` [${dests.join('; ')}]` : ''}`;
  },
  /** The regions an execution worked in. */
  regions: (run) => (run.settings ? [run.settings.sourceRegion, ...run.settings.destinationRegions] : []),
};

export const restoreProfile = {
  kind: 'restore',
  functions: ['plan-restore'],
  planState: 'PlanRestore',
  tableMap: 'RestoreTables',
  summaryState: 'Report',
  polls: { FinishRestore: 'restored table' },
  /** The plan: its tables are in the run ledger (the Map's items are their indices): see loadTables. */
  readPlan(output) {
    if (!Array.isArray(output?.items)) return undefined;
    return { tables: [], plan: output };
  },
  /** The planned tables, from the item records in the target region's ledger; a target's calls count for its table. */
  async loadTables(run) {
    if (!run.emulator) return [];
    const items = await ledgerItems(run.emulator, run.plan.targetRegion, run.plan.runId);
    Object.assign(run.aliases, Object.fromEntries(items.map((i) => [i.target, i.table])));
    return items.map((i) => i.table);
  },
  planLines({ plan }) {
    const lines = [`PlanRestore: ${plan.tables} table(s) → ${plan.targetRegion}${plan.dryRun ? ' (dry run: the plan is the output)' : ''}`];
    if (plan.catalogProblem) lines.push(`PlanRestore: ${plan.catalogProblem}`);
    return lines;
  },
  stateLines: () => [],
  aliases: () => [],
  planAliases: () => ({}),
  /** Each child ends with {}: the tables' results are the report's. */
  iterationResult: (o) => o,
  summaryResults: (summary) => summary?.results ?? [],
  iterationLine(o) {
    if (!o.status) return '→ finished (its outcome is in the run ledger)';
    const applied = o.settingsApplied?.length ? `; settings reapplied: ${o.settingsApplied.join(', ')}` : '';
    return o.status === 'succeeded'
      ? `→ restored as ${shortName(o.target ?? '?')}${o.itemCount === undefined ? '' : `: about ${o.itemCount} item(s) (DynamoDB's approximate ItemCount)`}${o.noManifest ? '; no manifest, settings not reapplied' : applied}`
      : `→ ${o.status}${o.error ? ` (${o.error})` : ''}`;
  },
  regions: (run) => (run.plan ? [run.plan.targetRegion] : []),
};

/** A machine the runner knows nothing about: it runs, with generic metrics. */
export const otherProfile = {
  kind: 'other',
  functions: [],
  planState: null,
  tableMap: null,
  summaryState: null,
  polls: {},
  readPlan: () => undefined,
  planLines: () => [],
  stateLines: () => [],
  aliases: () => [],
  planAliases: () => ({}),
  iterationResult: (o) => o,
  iterationLine: () => '',
  regions: () => [],
};

export const PROFILES = [restoreProfile, backupProfile];

/** The profile of a definition, by the functions its Tasks call. */
export function profileFor(taskFunctionNames) {
  const fns = Object.values(taskFunctionNames);
  return PROFILES.find((p) => p.functions.some((f) => fns.includes(f))) ?? otherProfile;
}
