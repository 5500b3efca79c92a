// AWS's own ASL validation (the npm package amazon-states-language-service,
// which the AWS Toolkit uses) on both definitions, placeholders filled in as
// CDK fills them: zero diagnostics.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import aslService from 'amazon-states-language-service';

import { functionArn } from '../lib/definition.mjs';

const { getLanguageService, TextDocument } = aslService;
const here = path.dirname(fileURLToPath(import.meta.url));
const machineDir = path.join(here, '..');
const service = getLanguageService({});

async function diagnostics(name, text) {
  const doc = TextDocument.create(`file:///${name}`, 'json', 0, text);
  return service.doValidation(doc, service.parseJSONDocument(doc));
}

const filled = (file) => readFileSync(path.join(machineDir, file), 'utf8').replace(/\$\{([^}]*)\}/g, (_, p) => functionArn(p));
const shown = (ds) => ds.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('\n');

for (const file of readdirSync(machineDir).filter((f) => f.endsWith('.asl.json'))) {
  test(`${file} has no diagnostics from amazon-states-language-service`, async () => {
    const ds = await diagnostics(file, filled(file));
    assert.deepEqual(ds, [], shown(ds));
  });
}

test('the service reports a broken definition (the check can fail)', async () => {
  const broken = JSON.parse(filled('backup.asl.json'));
  broken.States.ListTables.Next = 'NoSuchState';
  const ds = await diagnostics('broken.asl.json', JSON.stringify(broken, null, 2));
  assert.ok(ds.some((d) => /must be the name of an existing state/.test(d.message)), shown(ds));
});
