// The layout of the JS: imports go one way. The library (lib/) imports
// only itself; the CLIs and the test fixture import the library, never a
// CLI; nothing imports a test; and there is no import cycle.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIS = ['run.mjs', 'bench.mjs'];

function files(dir = root) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.mjs') ? [path.relative(root, p)] : [];
  });
}

// Each file's relative imports, static and dynamic, as paths from root.
const graph = Object.fromEntries(files().map((f) => {
  const text = readFileSync(path.join(root, f), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return [f, specs.map((s) => path.normalize(path.join(path.dirname(f), s)))];
}));

test('the import graph is read', () => {
  assert.ok(graph['run.mjs'].includes(path.normalize('lib/execution.mjs')), JSON.stringify(graph['run.mjs']));
});

test('the library imports only the library', () => {
  for (const [f, deps] of Object.entries(graph)) {
    if (!f.startsWith(`lib${path.sep}`)) continue;
    for (const d of deps) assert.ok(d.startsWith(`lib${path.sep}`), `${f} imports ${d}`);
  }
});

test('no file imports a CLI or a test', () => {
  for (const [f, deps] of Object.entries(graph)) {
    for (const d of deps) {
      assert.ok(!CLIS.includes(d), `${f} imports the CLI ${d}`);
      assert.ok(!d.endsWith('.test.mjs'), `${f} imports the test ${d}`);
    }
  }
});

test('the test fixture imports only the library', () => {
  for (const d of graph['testhost.mjs']) assert.ok(d.startsWith(`lib${path.sep}`), `testhost.mjs imports ${d}`);
});

test('there is no import cycle', () => {
  const state = {}; // file → 'visiting' | 'done'
  const visit = (f, trail) => {
    if (state[f] === 'done') return;
    assert.notEqual(state[f], 'visiting', `import cycle: ${[...trail.slice(trail.indexOf(f)), f].join(' → ')}`);
    state[f] = 'visiting';
    for (const d of graph[f] ?? []) visit(d, [...trail, f]);
    state[f] = 'done';
  };
  for (const f of Object.keys(graph)) visit(f, []);
});
