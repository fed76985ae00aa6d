import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';
import { attributeValueFromJson, itemFromJson, itemToJson } from '../format/dynamodb-json';
import { ReEncryptRequestError } from './reencrypt-errors';
import type { AttributeEqualsFilter, ItemFilter } from './reencrypt-filter';

/** One parallel-scan segment to process, from the start or from a checkpoint. */
export interface ReEncryptSegmentRequest {
  /** 0-based, below `totalSegments`. */
  readonly segment: number;
  /** 1 to 1,000,000 (DynamoDB's limit). */
  readonly totalSegments: number;
  /** A checkpoint (`lastEvaluatedKey` of an earlier run of the same segment); absent to start at the beginning. */
  readonly exclusiveStartKey?: DynamoDbItem;
  /**
   * Count what would be done, write nothing: not to the table, nor to a MetaStore (nothing is
   * encrypted, so a MostRecent provider never creates a version). Items are still decrypted,
   * so those that do not verify count as failed; one that would fail only once encrypted (too
   * large) counts as it would have been written. @default false
   */
  readonly dryRun?: boolean;
  /** Process only matching items; the others are counted `skipped`. */
  readonly filter?: ItemFilter;
}

const MAX_TOTAL_SEGMENTS = 1_000_000;

/**
 * Checks a request given in code (keys as SDK AttributeValues, any filter). Throws
 * `ReEncryptRequestError` listing every problem.
 */
export function validateSegmentRequest(request: unknown, tableName?: string): ReEncryptSegmentRequest {
  const problems: string[] = [];
  const fields = asObject(request, problems);
  if (fields === undefined) throw new ReEncryptRequestError(problems, tableName);
  const { segment, totalSegments } = checkSegments(fields, problems);
  const exclusiveStartKey = fields.exclusiveStartKey ?? undefined;
  if (exclusiveStartKey !== undefined && !isKeyObject(exclusiveStartKey)) {
    problems.push('exclusiveStartKey must be an object of AttributeValues (the lastEvaluatedKey of an earlier run)');
  }
  const dryRun = checkDryRun(fields.dryRun, problems);
  const filter = fields.filter ?? undefined;
  if (filter !== undefined && typeof filter !== 'function') checkEqualsFilter(filter, problems);
  if (problems.length > 0) throw new ReEncryptRequestError(problems, tableName);
  return { segment, totalSegments, exclusiveStartKey: exclusiveStartKey as DynamoDbItem | undefined, dryRun, filter: filter as ItemFilter | undefined };
}

/**
 * Reads a request that arrived as JSON (a Lambda event, a Step Functions state): the checkpoint
 * in DynamoDB JSON (binary as base64, as `segmentCheckpointToJson` writes it), the filter as
 * `{ attribute, equals }` with a string, number, boolean or DynamoDB JSON value.
 */
export function segmentRequestFromJson(event: unknown, tableName?: string): ReEncryptSegmentRequest {
  const problems: string[] = [];
  const fields = asObject(event, problems);
  if (fields === undefined) throw new ReEncryptRequestError(problems, tableName);
  let exclusiveStartKey: DynamoDbItem | undefined;
  if (fields.exclusiveStartKey !== undefined && fields.exclusiveStartKey !== null) {
    try {
      exclusiveStartKey = itemFromJson(fields.exclusiveStartKey);
    } catch {
      problems.push('exclusiveStartKey must be a key in DynamoDB JSON (the lastEvaluatedKey an earlier run returned)');
    }
  }
  let filter: AttributeEqualsFilter | undefined;
  if (fields.filter !== undefined && fields.filter !== null) {
    if (checkEqualsFilter(fields.filter, problems)) {
      const { attribute, equals } = fields.filter as { attribute: string; equals: unknown };
      try {
        filter = { attribute, equals: typeof equals === 'object' ? (attributeValueFromJson(equals) as AttributeValue) : (equals as string | number | boolean) };
      } catch {
        problems.push('filter.equals must be a string, a number, a boolean or a DynamoDB JSON value');
      }
    }
  }
  let request: ReEncryptSegmentRequest | undefined;
  try {
    request = validateSegmentRequest({ ...fields, exclusiveStartKey, filter }, tableName);
  } catch (error) {
    if (!(error instanceof ReEncryptRequestError)) throw error;
    problems.push(...error.problems);
  }
  if (request === undefined || problems.length > 0) throw new ReEncryptRequestError(problems, tableName);
  return request;
}

/** A checkpoint in DynamoDB JSON, safe to return from a Lambda and to pass back as `exclusiveStartKey`. */
export function segmentCheckpointToJson(key: DynamoDbItem | undefined): Record<string, unknown> | undefined {
  return key === undefined ? undefined : itemToJson(key);
}

function asObject(value: unknown, problems: string[]): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('the request must be an object { segment, totalSegments, exclusiveStartKey?, dryRun?, filter? }');
    return undefined;
  }
  return value as Record<string, unknown>;
}

function checkSegments(fields: Record<string, unknown>, problems: string[]): { segment: number; totalSegments: number } {
  const { segment, totalSegments } = fields;
  const segmentOk = isWhole(segment, 0, MAX_TOTAL_SEGMENTS - 1);
  const totalOk = isWhole(totalSegments, 1, MAX_TOTAL_SEGMENTS);
  if (segment === undefined || segment === null) problems.push('segment is missing (a whole number from 0 to totalSegments - 1)');
  else if (!segmentOk) problems.push(`segment must be a whole number >= 0, got ${describe(segment)}`);
  if (totalSegments === undefined || totalSegments === null) problems.push(`totalSegments is missing (a whole number from 1 to ${MAX_TOTAL_SEGMENTS})`);
  else if (!totalOk) problems.push(`totalSegments must be a whole number from 1 to ${MAX_TOTAL_SEGMENTS}, got ${describe(totalSegments)}`);
  if (segmentOk && totalOk && (segment as number) >= (totalSegments as number)) {
    problems.push(`segment ${segment as number} is out of range: with totalSegments ${totalSegments as number} it must be 0 to ${(totalSegments as number) - 1}`);
  }
  return { segment: segment as number, totalSegments: totalSegments as number };
}

function checkDryRun(dryRun: unknown, problems: string[]): boolean {
  if (dryRun === undefined || dryRun === null) return false;
  if (typeof dryRun !== 'boolean') problems.push(`dryRun must be true or false, got ${describe(dryRun)}`);
  return dryRun === true;
}

function checkEqualsFilter(filter: unknown, problems: string[]): boolean {
  const fields = filter as { attribute?: unknown; equals?: unknown } | null;
  const valid =
    fields !== null &&
    typeof fields === 'object' &&
    typeof fields.attribute === 'string' &&
    fields.attribute !== '' &&
    (typeof fields.equals === 'string' || typeof fields.equals === 'boolean' || (typeof fields.equals === 'number' && Number.isFinite(fields.equals)) || (typeof fields.equals === 'object' && fields.equals !== null));
  // The value is never quoted: it may be data.
  if (!valid) problems.push('filter must be { attribute: "name", equals: a string, number, boolean or AttributeValue } (or a function, in code)');
  return valid;
}

function isKeyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.values(value as Record<string, unknown>);
  return entries.length > 0 && entries.every((entry) => entry !== null && typeof entry === 'object' && !Array.isArray(entry));
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** The type of a bad setting, and its value only when it is a number or boolean (never text that may be data). */
function describe(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : `a ${Array.isArray(value) ? 'list' : typeof value}`;
}
