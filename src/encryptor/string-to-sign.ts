import { hash } from 'node:crypto';
import type { AttributeValue, CanonicalOrdering, DynamoDbItem } from '../format/attribute-value';
import { InvalidArgumentError } from '../errors';
import { compareStrings, serializeAttribute } from '../format/attribute-serializer';
import { isWellFormedText } from '../format/well-formed-text';
import type { AttributeActions } from './attribute-actions';
import { CryptoAction } from './crypto-action';

/**
 * The "string to sign" (FORMAT.md §5.1): SHA-256 of the table block, then for every signed
 * attribute in name order the digests of its name, of its action marker and of its stored value.
 */

const DIGEST_LENGTH = 32;
const ENCRYPTED_MARKER = sha256(Buffer.from('ENCRYPTED', 'utf8'));
const PLAINTEXT_MARKER = sha256(Buffer.from('PLAINTEXT', 'utf8'));
const BINARY_HEADER = Buffer.from([0x00, 0x62]);
/** Header and u32 length before a binary value's bytes. */
const BINARY_PREFIX_LENGTH = BINARY_HEADER.length + 4;
/**
 * Where a binary value's canonical form is assembled before hashing. Only ciphertext and
 * signed binary values pass through it (never plaintext of an encrypted attribute), and it is
 * used synchronously, so one buffer serves every call.
 */
let canonicalScratch = Buffer.allocUnsafe(1024);
/** Larger values get a buffer of their own, so that one big item does not pin its size for good. */
const CANONICAL_SCRATCH_LIMIT = 64 * 1024;

/**
 * Attribute names and table names repeat on every item, so their digests are cached; the cache
 * is bounded so that a stream of distinct names cannot grow it without limit.
 */
const NAME_DIGEST_CACHE_LIMIT = 10_000;
const nameDigests = new Map<string, Buffer>();

/** One-shot SHA-256: no Hash object per call, which matters at a dozen digests per item. */
function sha256(data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer');
}

/**
 * SHA-256 of `data` written into `output` at `offset`. The digest comes back as a `binary`
 * (latin1) string, one character per byte so the copy is exact, because a Buffer result costs node a new
 * backing store per call: about twice the time of the hash itself on these short values, a
 * dozen times an item, and garbage for the collector.
 */
function writeSha256(output: Buffer, offset: number, data: Uint8Array): void {
  output.write(hash('sha256', data, 'binary'), offset, DIGEST_LENGTH, 'latin1');
}

function digestOfName(text: string): Buffer {
  let digest = nameDigests.get(text);
  if (digest === undefined) {
    // UTF-8 would turn a lone surrogate into U+FFFD, so two different names would sign alike and
    // an attribute could be renamed without breaking the signature (found by fuzzing).
    if (!isWellFormedText(text)) throw new InvalidArgumentError('an attribute or table name is not well-formed Unicode (it contains a lone surrogate)');
    digest = sha256(Buffer.from(text, 'utf8'));
    if (nameDigests.size >= NAME_DIGEST_CACHE_LIMIT) nameDigests.clear();
    nameDigests.set(text, digest);
  }
  return digest;
}

/**
 * Writes the digest of a stored value's canonical bytes into `output` at `offset`. Encrypted
 * values are binary: their canonical form is built directly, without the general serializer.
 */
function writeDigestOfValue(output: Buffer, offset: number, value: AttributeValue, ordering: CanonicalOrdering): void {
  // Anything else (a string where bytes belong, a second type) goes through the strict serializer.
  if (value.B instanceof Uint8Array && Object.keys(value).length === 1) {
    // Built in one reused buffer: an allocation per value showed up in every item's cost.
    const length = BINARY_PREFIX_LENGTH + value.B.byteLength;
    if (length > canonicalScratch.length && length <= CANONICAL_SCRATCH_LIMIT) canonicalScratch = Buffer.allocUnsafe(Math.max(length, 2 * canonicalScratch.length));
    const canonical = length <= canonicalScratch.length ? canonicalScratch : Buffer.allocUnsafe(length);
    canonical[0] = BINARY_HEADER[0];
    canonical[1] = BINARY_HEADER[1];
    canonical.writeUInt32BE(value.B.byteLength, BINARY_HEADER.length);
    canonical.set(value.B, BINARY_PREFIX_LENGTH);
    writeSha256(output, offset, canonical.subarray(0, length));
    return;
  }
  writeSha256(output, offset, serializeAttribute(value, ordering));
}

/**
 * The text of the table block. Without a table name, Java concatenates `null` into it and the
 * Python client would write `None`; we write Java's form (a DBE vector needs it) and accept both.
 */
export function tableBlockText(tableName: string | undefined, missingTableName: 'null' | 'None' = 'null'): string {
  return `TABLE>${tableName ?? missingTableName}<TABLE`;
}

/**
 * Builds the string to sign over `item`, which must not hold the reserved attributes.
 * `onAttributeError` lets the caller attach the attribute name to serialization errors.
 */
export function buildStringToSign(
  item: Readonly<DynamoDbItem>,
  tableBlock: string,
  actions: AttributeActions,
  ordering: CanonicalOrdering,
  onAttributeError: (attributeName: string, error: unknown) => never = rethrow,
): Buffer {
  const signedNames: string[] = [];
  for (const name of Object.keys(item)) {
    if (actions.action(name) !== CryptoAction.DO_NOTHING) signedNames.push(name);
  }
  signedNames.sort((a, b) => compareStrings(a, b, ordering));

  const output = Buffer.allocUnsafe(DIGEST_LENGTH * (1 + 3 * signedNames.length));
  // TypedArray set rather than Buffer.copy: three copies per attribute, and copy's argument
  // handling cost more than the 32 bytes it moves.
  output.set(digestOfName(tableBlock), 0);
  let offset = DIGEST_LENGTH;
  for (const name of signedNames) {
    output.set(digestOfName(name), offset);
    const marker = actions.action(name) === CryptoAction.ENCRYPT_AND_SIGN ? ENCRYPTED_MARKER : PLAINTEXT_MARKER;
    output.set(marker, offset + DIGEST_LENGTH);
    try {
      writeDigestOfValue(output, offset + 2 * DIGEST_LENGTH, item[name], ordering);
    } catch (error) {
      onAttributeError(name, error);
    }
    offset += 3 * DIGEST_LENGTH;
  }
  return output;
}

function rethrow(_attributeName: string, error: unknown): never {
  throw error;
}
