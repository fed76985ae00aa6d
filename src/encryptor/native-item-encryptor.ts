import { marshall, unmarshall, type marshallOptions, type unmarshallOptions } from '@aws-sdk/util-dynamodb';
import { SerializationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { CryptoConfig } from './crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from './item-encryptor';

/** A plain JavaScript item, as `@aws-sdk/util-dynamodb` marshalls it. */
export type NativeItem = Record<string, unknown>;

export interface NativeItemOptions {
  /** Passed to `marshall` for the item going in. */
  readonly marshallOptions?: marshallOptions;
  /**
   * Passed to `unmarshall` for the item coming out. Set `wrapNumbers: true` to keep numbers
   * beyond `Number.MAX_SAFE_INTEGER` (DynamoDB keeps 38 digits; JavaScript numbers do not).
   */
  readonly unmarshallOptions?: unmarshallOptions;
}

/**
 * Encrypts a plain JavaScript item (the Python client's `encrypt_python_item`). Encrypted
 * attributes come back as `Uint8Array` ciphertext.
 */
export async function encryptItem(item: NativeItem, config: CryptoConfig, options: NativeItemOptions = {}): Promise<NativeItem> {
  const encrypted = await encryptDynamoDbItem(marshallItem(item, options.marshallOptions, config), config);
  return unmarshall(encrypted, options.unmarshallOptions);
}

/** Verifies and decrypts a plain JavaScript item (the Python client's `decrypt_python_item`). */
export async function decryptItem(item: NativeItem, config: CryptoConfig, options: NativeItemOptions = {}): Promise<NativeItem> {
  const decrypted = await decryptDynamoDbItem(marshallItem(item, options.marshallOptions, config), config);
  return unmarshall(decrypted, options.unmarshallOptions);
}

/**
 * `marshall`, with its failures turned into a SerializationError naming the attribute and the
 * table. marshall's own messages quote the value (`Number 12345678901234568 is greater than...`),
 * and this value may be plaintext bound for encryption: neither the message nor the cause is kept.
 */
function marshallItem(item: NativeItem, options: marshallOptions | undefined, config: CryptoConfig): DynamoDbItem {
  const tableName = config.encryptionContext?.tableName;
  try {
    return marshall(item, options);
  } catch {
    // Find the attribute at fault, one at a time: only on the failure path.
    for (const [attributeName, value] of Object.entries(item ?? {})) {
      try {
        marshall({ [attributeName]: value }, options);
      } catch {
        const hint = typeof value === 'number' ? ': numbers must be finite and safe integers or decimals; wrap larger ones in NumberValue' : '';
        throw new SerializationError(`the value (${describeType(value)}) cannot be marshalled${hint}`, { tableName, attributeName }, { cause: undefined });
      }
    }
    throw new SerializationError('the item cannot be marshalled: it must be an object of attribute values', { tableName });
  }
}

/** The kind of value, for messages: its type, never its content. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'plain'} object`;
  return `a ${typeof value}`;
}
