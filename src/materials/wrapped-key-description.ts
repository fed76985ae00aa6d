import { InvalidMaterialDescriptionError } from '../errors';

/**
 * Decodes the base64 text of `amzn-ddb-env-key`. Old Java versions broke the text into 76-character
 * lines with CRLF (FORMAT.md §3.2, §9.7), so white space is dropped first; anything else outside
 * the base64 alphabet means the description is damaged.
 */
export function decodeWrappedKey(text: string, tableName?: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new InvalidMaterialDescriptionError('"amzn-ddb-env-key" is not valid base64', { tableName });
  }
  return Buffer.from(compact, 'base64');
}

export function encodeWrappedKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
