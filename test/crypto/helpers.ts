/** Shared test helpers: locating the shared vectors and loading their keys. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalKey, type KeyEncoding, type KeyType } from '../../src/crypto/local-key';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

export { ITEM_VECTORS_DIR, VECTORS_DIR } from '../support/shared-vectors';

interface KeyEntry {
  material: string;
  algorithm: string;
  encoding: KeyEncoding;
  type: 'symmetric' | 'public' | 'private';
}

export type VectorKeyName = 'aesKey' | 'hmacKey' | 'rsaEncPub' | 'rsaEncPriv' | 'rsaSignPub' | 'rsaSignPriv';

export function readJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(path.join(ITEM_VECTORS_DIR, relativePath), 'utf8')) as T;
}

const keyEntries = readJson<Record<VectorKeyName, KeyEntry>>('keys.json');

export function vectorKeyBytes(name: VectorKeyName): Buffer {
  return Buffer.from(keyEntries[name].material, 'base64');
}

export function vectorKey(name: VectorKeyName): LocalKey {
  const entry = keyEntries[name];
  return new LocalKey({
    key: vectorKeyBytes(name),
    algorithm: entry.algorithm,
    keyType: entry.type.toUpperCase() as KeyType,
    encoding: entry.encoding,
  });
}

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export function ciphertextItems(relativePath: string): Record<string, Item[]> {
  return readJson<Record<string, Item[]>>(path.join('ciphertext', relativePath));
}

export function binaryAttribute(item: Item, name: string): Buffer {
  const value = item[name];
  if (value === undefined || typeof value.B !== 'string') throw new Error(`attribute ${name} is not B`);
  return Buffer.from(value.B, 'base64');
}

/**
 * Tiny material-description parser for tests only (the real one lives in src/format):
 * u32 version 0, then (u32 length + UTF-8 name, u32 length + UTF-8 value) pairs.
 */
export function parseDescription(bytes: Buffer): Map<string, string> {
  if (bytes.readUInt32BE(0) !== 0) throw new Error('bad description version');
  const result = new Map<string, string>();
  let offset = 4;
  const readString = (): string => {
    const length = bytes.readUInt32BE(offset);
    const text = bytes.toString('utf8', offset + 4, offset + 4 + length);
    offset += 4 + length;
    return text;
  };
  while (offset < bytes.length) {
    const name = readString();
    result.set(name, readString());
  }
  return result;
}

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
