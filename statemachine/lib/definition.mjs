// State machine definitions: placeholders, loading and validation, and the
// walks over their states that the runner, the bench and the tests share.

import { readFileSync } from 'node:fs';

import aslValidator from 'asl-validator';

export const ACCOUNT = '123456789012';
export const LAMBDA_REGION = 'us-east-1';

// A definition's ${Placeholder}s are filled in by CDK. Each is
// <PascalName>FunctionArn, the ARN of the Lambda function whose Handler
// setting is <kebab-name>, an entry of lambdas/registry.
export const PLACEHOLDER = /^([A-Z][A-Za-z0-9]*)FunctionArn$/;

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

const loaded = new Map(); // validation is slow: one per file version

/**
 * Reads a definition, fills in the placeholders with local function ARNs and
 * validates it. Throws on an unknown placeholder or an invalid definition.
 */
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

/**
 * The shape of a definition: its Map states by mode, and its poll loops (a
 * Wait state whose Next is a Task, the poll), by poll state:
 * {distributed, inline, loops: {poll: {poll, wait, waitPath, resultPath}}}.
 */
export function machineShape(definition) {
  const states = allStates(definition);
  const byName = Object.fromEntries(states.map((s) => [s.name, s.state]));
  const distributed = new Set();
  const inline = new Set();
  for (const { name, state } of states) {
    if (state.Type !== 'Map') continue;
    const mode = (state.ItemProcessor ?? state.Iterator)?.ProcessorConfig?.Mode ?? 'INLINE';
    (mode === 'DISTRIBUTED' ? distributed : inline).add(name);
  }
  const loops = {};
  for (const { name, state } of states) {
    if (state.Type === 'Wait' && byName[state.Next]?.Type === 'Task') {
      loops[state.Next] = {
        poll: state.Next,
        wait: name,
        // Where the Wait reads its seconds, and where the poll puts its result.
        waitPath: state.SecondsPath,
        resultPath: byName[state.Next].ResultPath,
      };
    }
  }
  return { distributed, inline, loops };
}

/**
 * Reads a simple JSONPath ($ or $.a.b.c) from a value: {supported, value};
 * value is undefined when absent.
 */
export function simplePath(pathExpr, value) {
  if (typeof pathExpr !== 'string' || !/^\$(\.[A-Za-z0-9_]+)*$/.test(pathExpr)) return { supported: false };
  let v = value;
  for (const key of pathExpr.split('.').slice(1)) {
    if (v === null || typeof v !== 'object') return { supported: true, value: undefined };
    v = v[key];
  }
  return { supported: true, value: v };
}
