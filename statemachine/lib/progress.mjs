// The progress observer: one line per step of each table, and one when a
// poll loop starts and when it ends, with the seconds since the start.

import { simplePath } from './definition.mjs';
import { shortName } from './format.mjs';

export function progressObserver(say) {
  const polls = {};
  return {
    event(ev, run) {
      const { profile } = run;
      const { table, region } = ev;
      const since = () => `${((Date.now() - run.startedAt) / 1000).toFixed(2).padStart(6)}s`;
      const line = (who, where, text) => {
        say(`${since()} ${who === undefined ? '' : `[${shortName(who)}] `}${where ? `${where} ` : ''}${text}`);
      };
      const name = ev.state?.name;
      const isPoll = profile.polls[name] !== undefined;
      switch (ev.type) {
        case 'StateEntered':
          if (ev.state.type === 'Task' && !isPoll) line(table, region, name);
          break;
        case 'StateExited': {
          const out = ev.state.output;
          if (table === undefined) {
            const planned = name === profile.planState ? profile.readPlan(out) : undefined;
            if (planned) for (const l of profile.planLines(planned)) line(undefined, undefined, l);
            for (const l of profile.stateLines(name, out)) line(undefined, undefined, l);
          }
          if (ev.state.type === 'Task' && isPoll) {
            // The poll's result, where its state puts it.
            const resultPath = run.stateByName[name]?.ResultPath;
            const p = typeof resultPath === 'string' ? simplePath(resultPath, out).value : out;
            const key = `${table}|${region}|${name}`;
            polls[key] = (polls[key] ?? 0) + 1;
            if (p?.ready) line(table, region, `${name}: ${p.status} after ${polls[key]} poll(s)`);
            else if (p && polls[key] === 1) line(table, region, `${name}: ${p.status}; polling (Step Functions would wait ${p.waitSeconds}s, here ${run.waitMs}ms)`);
          }
          break;
        }
        case 'StateRetried':
          line(table, region, `${name}: retry ${ev.retry.attempt} after ${ev.retry.retrier.ErrorEquals.join('|')}`);
          break;
        case 'StateCaught':
          line(table, region, `${name}: caught → ${ev.catch.catcher.Next}`);
          break;
        case 'MapIterationSucceeded':
          if (ev.parentState?.name === profile.tableMap && table !== undefined) line(table, undefined, profile.iterationLine(run.results[table] ?? {}));
          break;
        case 'MapIterationFailed':
          if (ev.parentState?.name === profile.tableMap && table !== undefined) line(table, undefined, `→ iteration FAILED: ${ev.Error}`);
          break;
        default:
          break;
      }
    },
  };
}
