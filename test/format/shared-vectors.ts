import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared vector directory; `SHARED_VECTORS_DIR` points the tests at another copy. */
export const vectorsDirectory = process.env.SHARED_VECTORS_DIR ?? path.resolve(__dirname, '../../../shared/vectors');

export function readVectorFile<T>(fileName: string): T {
  return JSON.parse(readFileSync(path.join(vectorsDirectory, fileName), 'utf8')) as T;
}

export interface AttributeVector {
  attribute: unknown;
  serialized: string;
}

export interface MaterialDescriptionVector {
  material_description: Record<string, string>;
  serialized: string;
}
