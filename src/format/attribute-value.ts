import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type { AttributeValue };

/** A DynamoDB item in the low-level `AttributeValue` form of `@aws-sdk/client-dynamodb`. */
export type DynamoDbItem = Record<string, AttributeValue>;

/**
 * The two canonical orderings of the reference clients (FORMAT.md §2.3, §5.2).
 *
 * - `python`: strings (set members, map keys, attribute names) by Unicode code point,
 *   binary set members by unsigned bytes. This is what we write.
 * - `java`: strings by UTF-16 code unit (`String.compareTo`), binary set members by signed bytes
 *   (`ByteBuffer.compareTo`). Accepted on read as a fallback.
 */
export type CanonicalOrdering = 'python' | 'java';
