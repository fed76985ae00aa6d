import { decryptAttributeValues, encryptAttributeValues } from '../crypto/attribute-cipher';
import type { LocalKey } from '../crypto/local-key';
import { freshRandomBytes } from '../crypto/random-pool';
import { sign, verify } from '../crypto/signature';
import {
  DecryptionError,
  DynamoDbEncryptionError,
  EncryptionError,
  InvalidArgumentError,
  messageWithoutLocation,
  SerializationError,
  SignatureVerificationError,
  SigningError,
} from '../errors';
import { hasOrderingDivergence, serializeAttribute } from '../format/attribute-serializer';
import { deserializeAttribute } from '../format/attribute-deserializer';
import { normalizeNumber } from '../format/number-normalizer';
import type { AttributeValue, CanonicalOrdering, DynamoDbItem } from '../format/attribute-value';
import { deserializeMaterialDescription, serializeMaterialDescription } from '../format/material-description';
import {
  MaterialDescriptionKeys,
  ReservedAttributes,
  SYMMETRIC_ENCRYPTION_MODE_VALUE,
} from '../format/material-description-keys';
import { CryptoAction } from './crypto-action';
import { contextWithItem, validateCryptoConfig, type CryptoConfig } from './crypto-config';
import { MAX_ITEM_SIZE_BYTES, itemSizeBytes } from './item-size';
import { buildStringToSign, tableBlockText } from './string-to-sign';

const IV_LENGTH = 16;
const KEY_ATTRIBUTE_TYPES = ['S', 'N', 'B'] as const;

/**
 * Encrypts and signs one item in `AttributeValue` form (the Python client's
 * `encrypt_dynamodb_item`). Returns a new item; the input is not changed.
 */
export async function encryptDynamoDbItem(item: Readonly<DynamoDbItem>, config: CryptoConfig): Promise<DynamoDbItem> {
  validateCryptoConfig(config);
  const { attributeActions: actions } = config;
  const tableName = config.encryptionContext.tableName;
  assertItemShape(item, tableName);
  for (const reserved of Object.values(ReservedAttributes)) {
    if (Object.prototype.hasOwnProperty.call(item, reserved)) {
      throw new InvalidArgumentError('a plaintext item may not contain a reserved attribute', {
        tableName,
        attributeName: reserved,
      });
    }
  }
  if (actions.takeNoActions) return { ...item };
  assertKeyAttributes(item, config);
  item = withKeyNumbersAsStored(item, config);

  const materials = await config.materialsProvider.encryptionMaterials(contextWithItem(config.encryptionContext, item));
  const names = Object.keys(item);
  const encryptedNames = names.filter((name) => actions.action(name) === CryptoAction.ENCRYPT_AND_SIGN);
  if (encryptedNames.length > 0 && materials.encryptionKey === undefined) {
    throw new EncryptionError('the materials have no encryption key, but attributes are marked ENCRYPT_AND_SIGN', {
      tableName,
      attributeName: encryptedNames[0],
    });
  }

  const stored: DynamoDbItem = { ...item };
  if (materials.encryptionKey !== undefined && encryptedNames.length > 0) {
    const plaintexts = encryptedNames.map((name) => atAttribute(name, tableName, () => serializeAttribute(item[name], 'python')));
    // One random read for every IV of the item, and one cipher for every attribute.
    const ivs = freshRandomBytes(IV_LENGTH * encryptedNames.length);
    const ciphertexts = encryptAttributeValues(materials.encryptionKey.keyObject, plaintexts, ivs, { tableName });
    encryptedNames.forEach((name, index) => {
      plaintexts[index].fill(0);
      stored[name] = { B: ciphertexts[index] };
    });
  }

  const stringToSign = buildStringToSign(stored, tableBlockText(tableName), actions, 'python', (name, error) =>
    rethrowAtAttribute(error, name, tableName),
  );
  const description: Record<string, string> = { ...materials.materialDescription };
  if (materials.encryptionKey !== undefined) {
    description[MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE] = SYMMETRIC_ENCRYPTION_MODE_VALUE;
  }
  const signatureAlgorithm = signatureAlgorithmOf(materials.signingKey, tableName);
  description[MaterialDescriptionKeys.SIGNING_ALGORITHM] = signatureAlgorithm;
  let signature: Buffer;
  try {
    signature = sign(materials.signingKey, stringToSign, signatureAlgorithm);
  } catch (error) {
    if (error instanceof DynamoDbEncryptionError) throw error;
    throw new SigningError('signing the item failed', { tableName }, { cause: error });
  }
  stored[ReservedAttributes.MATERIAL_DESCRIPTION] = { B: serializeMaterialDescription(description) };
  stored[ReservedAttributes.SIGNATURE] = { B: signature };

  const size = itemSizeBytes(stored);
  if (size > MAX_ITEM_SIZE_BYTES) {
    throw new EncryptionError(
      `the encrypted item is ${size} bytes, over DynamoDB's ${MAX_ITEM_SIZE_BYTES}-byte item limit`,
      { tableName },
    );
  }
  return stored;
}

/**
 * Verifies and decrypts one item in `AttributeValue` form (the Python client's
 * `decrypt_dynamodb_item`). The signature is checked before anything is decrypted; on any
 * failure nothing is returned.
 */
export async function decryptDynamoDbItem(item: Readonly<DynamoDbItem>, config: CryptoConfig): Promise<DynamoDbItem> {
  validateCryptoConfig(config);
  const { attributeActions: actions } = config;
  const tableName = config.encryptionContext.tableName;
  assertItemShape(item, tableName);
  if (actions.takeNoActions) return { ...item };

  const signatureValue = item[ReservedAttributes.SIGNATURE];
  const descriptionValue = item[ReservedAttributes.MATERIAL_DESCRIPTION];
  if (signatureValue === undefined || descriptionValue === undefined) {
    throw new SignatureVerificationError(
      `the item has no ${signatureValue === undefined ? 'signature' : 'material description'}: it is not encrypted, or it was tampered with`,
      { tableName, attributeName: signatureValue === undefined ? ReservedAttributes.SIGNATURE : ReservedAttributes.MATERIAL_DESCRIPTION },
    );
  }
  if (signatureValue.B === undefined || descriptionValue.B === undefined) {
    throw new SignatureVerificationError('the signature and the material description must be binary attributes', {
      tableName,
      attributeName: signatureValue.B === undefined ? ReservedAttributes.SIGNATURE : ReservedAttributes.MATERIAL_DESCRIPTION,
    });
  }
  assertKeyAttributes(item, config);
  const description = atAttribute(ReservedAttributes.MATERIAL_DESCRIPTION, tableName, () =>
    Object.fromEntries(deserializeMaterialDescription(descriptionValue.B as Uint8Array)),
  );

  // Copied without the reserved attributes rather than copied whole and then `delete`d from:
  // a deletion turns the copy into a slow dictionary object for everything that follows. (Not
  // by assignment in a loop either: an attribute named `__proto__` would set the prototype.)
  const { [ReservedAttributes.SIGNATURE]: _signature, [ReservedAttributes.MATERIAL_DESCRIPTION]: _description, ...signed } = item;

  const materials = await config.materialsProvider.decryptionMaterials(
    contextWithItem(config.encryptionContext, signed, description),
  );
  verifySignature(signed, signatureValue.B, description, materials.verificationKey, config);

  const decrypted: DynamoDbItem = { ...signed };
  const encryptedNames = Object.keys(signed).filter((name) => actions.action(name) === CryptoAction.ENCRYPT_AND_SIGN);
  if (encryptedNames.length > 0) {
    const ciphertexts = encryptedNames.map((name) => encryptedValueOf(name, signed[name], materials.decryptionKey, description, tableName));
    const plaintexts = decryptAttributeValues((materials.decryptionKey as LocalKey).keyObject, ciphertexts, { tableName }, encryptedNames);
    encryptedNames.forEach((name, index) => {
      decrypted[name] = atAttribute(name, tableName, () => deserializeDecrypted(plaintexts[index], { tableName, attributeName: name }));
    });
  }
  return decrypted;
}

/** The ciphertext of an ENCRYPT_AND_SIGN attribute, after checking the materials can decrypt it. */
function encryptedValueOf(
  name: string,
  value: AttributeValue,
  decryptionKey: LocalKey | undefined,
  description: Readonly<Record<string, string>>,
  tableName: string | undefined,
): Uint8Array {
  const location = { tableName, attributeName: name };
  if (decryptionKey === undefined) {
    throw new DecryptionError('the materials have no decryption key, but the attribute is ENCRYPT_AND_SIGN', location);
  }
  if (description[MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE] !== SYMMETRIC_ENCRYPTION_MODE_VALUE) {
    throw new DecryptionError(
      `the material description names no supported symmetric mode (expected "${SYMMETRIC_ENCRYPTION_MODE_VALUE}")`,
      location,
    );
  }
  if (!(value.B instanceof Uint8Array)) {
    throw new DecryptionError('an ENCRYPT_AND_SIGN attribute must be stored as binary ciphertext', location);
  }
  return value.B;
}

function deserializeDecrypted(plaintext: Buffer, location: { tableName?: string; attributeName: string }): AttributeValue {
  try {
    return deserializeAttribute(plaintext);
  } catch (error) {
    // The signature verified, so garbage here means a wrong key whose padding happened to
    // check out (about 1 in 256): report it as the decryption failure it is.
    throw new DecryptionError('the attribute did not decrypt to a valid value: wrong key or corrupted item', location, { cause: error });
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Checks the signature, trying the other reference client's conventions where they can differ:
 * Java's ordering of names, sets and map keys (FORMAT.md §2.3) only when the item holds a value
 * where the orderings disagree, and both spellings of a missing table name (§5.1).
 */
function verifySignature(
  signed: Readonly<DynamoDbItem>,
  signature: Uint8Array,
  description: Readonly<Record<string, string>>,
  verificationKey: LocalKey,
  config: CryptoConfig,
): void {
  const { attributeActions: actions } = config;
  const tableName = config.encryptionContext.tableName;
  const tableBlocks = tableName === undefined ? [tableBlockText(undefined, 'null'), tableBlockText(undefined, 'None')] : [tableBlockText(tableName)];
  // Java picks the public-key signature algorithm from the description; HMAC keys name their own.
  const signatureAlgorithm =
    verificationKey.keyType === 'SYMMETRIC' ? undefined : description[MaterialDescriptionKeys.SIGNING_ALGORITHM];
  const verifies = (tableBlock: string, ordering: CanonicalOrdering): boolean => {
    const stringToSign = buildStringToSign(signed, tableBlock, actions, ordering, (name, error) => {
      throw new SignatureVerificationError('a signed attribute cannot be put into canonical form', { tableName, attributeName: name }, { cause: error });
    });
    try {
      return verify(verificationKey, stringToSign, signature, signatureAlgorithm);
    } catch (error) {
      if (error instanceof DynamoDbEncryptionError && !(error instanceof SignatureVerificationError)) throw error;
      return false;
    }
  };

  // The Python attempt runs first and canonicalizes every signed value, so a malformed value is
  // rejected there; only well-formed items reach the (rarely needed) Java-ordering check.
  let javaOrderingCanDiffer: boolean | undefined;
  for (const tableBlock of tableBlocks) {
    if (verifies(tableBlock, 'python')) return;
    javaOrderingCanDiffer ??= orderingsCanDiffer(signed, config);
    if (javaOrderingCanDiffer && verifies(tableBlock, 'java')) return;
  }
  throw new SignatureVerificationError('the item signature is not valid: the item was changed or the wrong key is used', {
    tableName,
  });
}

function orderingsCanDiffer(signed: Readonly<DynamoDbItem>, config: CryptoConfig): boolean {
  const { attributeActions: actions } = config;
  for (const name of Object.keys(signed)) {
    const action = actions.action(name);
    if (action === CryptoAction.DO_NOTHING) continue;
    // Names differ in order only with characters at or above the surrogate range.
    if (/[\uD800-\uFFFF]/.test(name)) return true;
    // Encrypted values are binary ciphertext: their order is inside the ciphertext, not here.
    if (action === CryptoAction.SIGN_ONLY && hasOrderingDivergence(signed[name])) return true;
  }
  return false;
}

function signatureAlgorithmOf(signingKey: LocalKey, tableName: string | undefined): string {
  const algorithm = signingKey.algorithm;
  if (/^Hmac/.test(algorithm) || /withRSA$/.test(algorithm)) return algorithm;
  // A key registered as plain "RSA" signs with Java's default signature algorithm.
  if (algorithm === 'RSA') return 'SHA256withRSA';
  throw new SigningError(`a ${algorithm} key cannot sign items`, { tableName });
}

function assertItemShape(item: unknown, tableName: string | undefined): asserts item is DynamoDbItem {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new InvalidArgumentError('an item must be an object of attribute values', { tableName });
  }
  for (const [name, value] of Object.entries(item)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidArgumentError('the attribute value is not an AttributeValue object', { tableName, attributeName: name });
    }
  }
}

/** Key attributes must be present and of a key type, on write and on read. */
function assertKeyAttributes(item: Readonly<DynamoDbItem>, config: CryptoConfig): void {
  const { partitionKeyName, sortKeyName, tableName } = config.encryptionContext;
  for (const [role, keyName] of [['partition', partitionKeyName], ['sort', sortKeyName]] as const) {
    if (keyName === undefined) continue;
    const value = item[keyName];
    if (value === undefined) {
      throw new InvalidArgumentError(`the item has no ${role} key attribute`, { tableName, attributeName: keyName });
    }
    const types = Object.keys(value).filter((type) => (value as unknown as Record<string, unknown>)[type] !== undefined);
    if (types.length !== 1 || !(KEY_ATTRIBUTE_TYPES as readonly string[]).includes(types[0])) {
      throw new InvalidArgumentError(
        `the ${role} key attribute must be of type S, N or B, got ${types.join('/') || 'nothing'}`,
        { tableName, attributeName: keyName },
      );
    }
  }
}

/**
 * The item with its primary key numbers in the form DynamoDB stores them ("1.50" is read back as
 * "1.5", "1e21" as "1000000000000000000000": FORMAT.md §2.2's normalization, which DynamoDB
 * applies too). The Direct KMS provider binds the key values to the data key as text, and readers
 * rebuild that text from the item they read (§9.9): an item encrypted under the text as written
 * would be unreadable once stored. The Python and Java clients keep the text as written; the
 * signature, over normalized numbers, is the same either way. Decryption keeps the stored text.
 */
function withKeyNumbersAsStored(item: Readonly<DynamoDbItem>, config: CryptoConfig): Readonly<DynamoDbItem> {
  const { partitionKeyName, sortKeyName, tableName } = config.encryptionContext;
  let result = item;
  for (const keyName of [partitionKeyName, sortKeyName]) {
    if (keyName === undefined) continue;
    const text = item[keyName]?.N;
    if (text === undefined) continue;
    const stored = atAttribute(keyName, tableName, () => normalizeNumber(text));
    if (stored !== text) result = { ...result, [keyName]: { N: stored } };
  }
  return result;
}

/** Runs `work` for one attribute, so that any error it raises names that attribute and table. */
function atAttribute<T>(attributeName: string, tableName: string | undefined, work: () => T): T {
  try {
    return work();
  } catch (error) {
    rethrowAtAttribute(error, attributeName, tableName);
  }
}

function rethrowAtAttribute(error: unknown, attributeName: string, tableName: string | undefined): never {
  if (error instanceof DynamoDbEncryptionError) {
    if (error.attributeName !== undefined) throw error;
    const ErrorClass = error.constructor as new (message: string, location: object, options: object) => DynamoDbEncryptionError;
    throw new ErrorClass(messageWithoutLocation(error), { tableName, attributeName }, { cause: error });
  }
  throw new SerializationError('the attribute could not be processed', { tableName, attributeName }, { cause: error });
}
