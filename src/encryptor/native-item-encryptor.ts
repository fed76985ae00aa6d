import { convertToNative, marshall, type marshallOptions, type unmarshallOptions } from '@aws-sdk/util-dynamodb';
import { SerializationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { marshallingFailure, unmarshallingFailure } from '../format/marshalling-failure';
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
  return unmarshallAttributes(encrypted, options.unmarshallOptions, config.encryptionContext?.tableName);
}

/** Verifies and decrypts a plain JavaScript item (the Python client's `decrypt_python_item`). */
export async function decryptItem(item: NativeItem, config: CryptoConfig, options: NativeItemOptions = {}): Promise<NativeItem> {
  const decrypted = await decryptDynamoDbItem(marshallItem(item, options.marshallOptions, config), config);
  return unmarshallAttributes(decrypted, options.unmarshallOptions, config.encryptionContext?.tableName);
}

/**
 * `marshall`, with its failures turned into a SerializationError naming the attribute and the
 * table, and nothing of the value (see marshallingFailure).
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
        throw marshallingFailure(value, { tableName, attributeName });
      }
    }
    throw new SerializationError('the item cannot be marshalled: it must be an object of attribute values', { tableName });
  }
}

/**
 * `unmarshall`, attribute by attribute (as `unmarshall` itself converts them), with a failure (a
 * number beyond JavaScript's range without `wrapNumbers`) turned into a SerializationError
 * naming the attribute and the table: its own messages quote the value, which may be decrypted
 * plaintext.
 */
export function unmarshallAttributes(item: DynamoDbItem, options: unmarshallOptions | undefined, tableName: string | undefined): NativeItem {
  const values: NativeItem = {};
  for (const [attributeName, value] of Object.entries(item)) {
    try {
      values[attributeName] = convertToNative(value, options);
    } catch {
      throw unmarshallingFailure({ tableName, attributeName });
    }
  }
  return values;
}
