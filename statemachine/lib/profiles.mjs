// What the states of each state machine mean to the runner: which state
// plans the work (and so names the tables), which Map works on one table per
// iteration, which state summarises, which Tasks are polls, and how results
// read. The execution loop and its observers know nothing else about a
// machine.

import { shortName } from './format.mjs';

// The brief result of a failed or skipped table (or copy) in a run of more
// than 100 tables: "name:Error" failed, "name" skipped (the one error a
// table is skipped on). As Summarize reads it (briefResult in
// lambdas/internal/steps/summarize.go).
const SKIP_ERROR = 'TableInProgressElsewhere';
function brief(s) {
  const at = s.indexOf(':');
  return at < 0 ? { name: s, status: 'skipped', error: SKIP_ERROR } : { name: s.slice(0, at), status: 'failed', error: s.slice(at + 1) };
}

/**
 * The backup state machine's TableDone result is compact ({t, s, b, d}, and a
 * copy that succeeded is {}) to keep the Map's result for thousands of tables
 * under 256 KiB, and so is a failed or skipped table's or copy's in a large
 * run (a string); this gives them in full. Other results pass unchanged.
 */
export function expandTableResult(o) {
  if (typeof o === 'string') {
    const { name, ...rest } = brief(o);
    return { table: name, ...rest };
  }
  if (!o || o.t === undefined) return o;
  return {
    table: o.t,
    status: 'succeeded',
    seconds: o.s,
    bytes: o.b,
    destinations: (o.d ?? []).map((d) => {
      if (typeof d === 'string') {
        const { name, ...rest } = brief(d);
        return { region: name, ...rest };
      }
      return d.status ? d : { status: 'succeeded' };
    }),
  };
}

export const backupProfile = {
  kind: 'backup',
  functions: ['list-tables'],
  planState: 'ListTables',
  tableMap: 'BackUpTables',
  summaryState: 'Summarize',
  // What each poll loop waits for, by its poll state.
  polls: {
    PollSourceBackup: 'source backup',
    PollTemporaryTable: 'temporary table restore',
    PollDestinationBackup: 'destination backup',
  },
  /** The plan in the plan state's output: {tables, settings}, or undefined. */
  readPlan(output) {
    if (!output?.settings) return undefined;
    return { tables: output.tables ?? [], settings: output.settings };
  },
  planLines({ tables, settings }) {
    return [`ListTables: ${tables.length} table(s) in ${settings.sourceRegion} → ${settings.destinationRegions.join(', ')}${settings.dryRun ? ' (dry run)' : ''}`];
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
  iterationResult: expandTableResult,
  iterationLine(o) {
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
  /**
   * The plan: its tables are in the run ledger (the Map's items are their
   * indices), which the runner reads (ledger) before the Map starts.
   */
  readPlan(output) {
    if (!Array.isArray(output?.items)) return undefined;
    return { tables: [], plan: output, ledger: { region: output.targetRegion, runId: output.runId } };
  },
  planLines({ plan }) {
    const lines = [`PlanRestore: ${plan.tables} table(s) → ${plan.targetRegion}${plan.dryRun ? ' (dry run: the plan is the output)' : ''}`];
    if (plan.catalogProblem) lines.push(`PlanRestore: ${plan.catalogProblem}`);
    return lines;
  },
  stateLines: () => [],
  aliases: () => [],
  /** A restore's calls on a target table count for its source table (items: the ledger's). */
  planAliases: ({ items = [] }) => Object.fromEntries(items.map((i) => [i.target, i.table])),
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
