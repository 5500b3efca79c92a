// Facts that the Go handlers define and the JS needs: names, tags and error
// names. They live in facts.json, which lambdas/core/jsfacts_test.go pins
// against the Go constants, so the two cannot drift apart.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const facts = JSON.parse(readFileSync(new URL('./facts.json', import.meta.url), 'utf8'));

/** DynamoDB's longest table or backup name. */
export const MAX_NAME_LENGTH = facts.maxNameLength;
/** Every temporary table name starts with this. */
export const TEMP_TABLE_PREFIX = facts.tempTablePrefix;
/** Every backup name the tool makes starts with this. */
export const BACKUP_PREFIX = facts.backupPrefix;
/** The catalog table's name unless the deployment sets another. */
export const DEFAULT_CATALOG_TABLE = facts.defaultCatalogTable;
/** The run ledger table's name unless the deployment sets another. */
export const DEFAULT_LEDGER_TABLE = facts.defaultLedgerTable;
/** Every tag the tool puts on a table starts with this. */
export const RESERVED_TAG_PREFIX = facts.reservedTagPrefix;
/** The tool's tag names, by role (owner, runId, sourceTable, ...). */
export const TAGS = Object.freeze({ ...facts.tags });
/** The value of the owner tag. */
export const OWNER_VALUE = facts.ownerValue;
/**
 * Prices in US dollars: the Go cost model's restore and transfer per GB
 * (lambdas/core/cost.go), Step Functions' per Standard state transition
 * ("AWS Step Functions pricing", https://aws.amazon.com/step-functions/pricing/:
 * $0.025 per 1,000), Lambda's per request and per GB-second on Arm ("AWS
 * Lambda pricing", https://aws.amazon.com/lambda/pricing/: $0.20 per 1M
 * requests, $0.0000133334 per GB-second), and the GB-seconds assumed per
 * invocation (128 MB for 100 ms).
 */
export const COST = Object.freeze({ ...facts.cost });
/** The error names that handlers report (the Go contract errors). */
export const CONTRACT_ERRORS = Object.freeze([...facts.contractErrors]);
/** Contract errors that no retry can cure: retrying them only bills transitions. */
export const NEVER_RETRY = Object.freeze([...facts.neverRetry]);

const HASH_DIGITS = facts.tempTableHashHexDigits;
const TEMP_NAME = new RegExp(`^${TEMP_TABLE_PREFIX.replaceAll('.', '\\.')}[0-9a-f]{${HASH_DIGITS}}\\.(.+)$`);

/** The temporary-table name the handlers derive for a source table. */
export function tempTableName(sourceRegion, sourceTable) {
  const hash = createHash('sha256').update(`${sourceRegion}\x00${sourceTable}`).digest('hex').slice(0, HASH_DIGITS);
  return `${TEMP_TABLE_PREFIX}${hash}.${sourceTable}`.slice(0, MAX_NAME_LENGTH);
}

/**
 * The source table part of a temporary table's name, or undefined for any
 * other name. A long source name is cut short in the temporary name.
 */
export function tempTableSource(name) {
  return TEMP_NAME.exec(name)?.[1];
}
