import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The shared vector directory beside the project; `SHARED_VECTORS_DIR` points the tests at another copy. */
export const VECTORS_DIR = process.env.SHARED_VECTORS_DIR ?? path.resolve(__dirname, '../../../shared/vectors');
export const ITEM_VECTORS_DIR = path.join(VECTORS_DIR, 'encrypted_item');

export function readVectorJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, relativePath), 'utf8')) as T;
}
