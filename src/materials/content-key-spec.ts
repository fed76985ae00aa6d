import { InvalidAlgorithmError } from '../errors';

/** An `amzn-ddb-env-alg` / `amzn-ddb-sig-alg` value: `ALGORITHM` or `ALGORITHM/BITS`. */
export interface KeySpec {
  readonly algorithm: string;
  /** Undefined when the spec has no `/BITS` part: the length then comes from the key itself. */
  readonly bits?: number;
}

export function parseKeySpec(spec: string, descriptionKey: string): KeySpec {
  const separator = spec.indexOf('/');
  if (separator === -1) return { algorithm: spec };
  const algorithm = spec.slice(0, separator);
  const bitsText = spec.slice(separator + 1);
  if (!/^[1-9][0-9]{0,4}$/.test(bitsText) || algorithm === '') {
    throw new InvalidAlgorithmError(`"${descriptionKey}" holds a malformed key specification "${spec}"`);
  }
  return { algorithm, bits: Number(bitsText) };
}

export const DEFAULT_CONTENT_KEY_SPEC = 'AES/256';
