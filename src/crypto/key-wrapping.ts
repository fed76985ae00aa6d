/**
 * Content-key wrapping for the wrapped (envelope) materials provider (FORMAT.md §8.2):
 * decode the JCE transformation name recorded in `amzn-ddb-wrap-alg` and dispatch to the
 * matching primitive.
 *
 * Read side: when `amzn-ddb-wrap-alg` is absent (old Java items), the unwrapping key's own
 * algorithm name is the transformation, as in Java — `RSA` therefore means PKCS#1 v1.5.
 * Write side: RSAES-PKCS1-v1_5 is refused. It exists only to read legacy items; writing it
 * would create new ciphertexts exposed to Bleichenbacher-style attacks.
 */
import { InvalidAlgorithmError, InvalidArgumentError, type ErrorLocation } from '../errors';
import { AES_KEY_ALGORITHM, AES_KEY_SIZES_BYTES, parseWrappingTransformation } from './algorithms';
import { unwrapKey, wrapKey } from './aes-key-wrap';
import type { LocalKey } from './local-key';
import { rsaOaepDecrypt, rsaOaepEncrypt } from './rsa-oaep';
import { rsaPkcs1DecryptContentKey } from './rsa-pkcs1';

/** Wrap `contentKey` under `wrappingKey` with the JCE `transformation` (e.g. `AESWrap`). */
export function wrapContentKey(
  wrappingKey: LocalKey,
  transformation: string,
  contentKey: Uint8Array,
  location: ErrorLocation = {},
): Buffer {
  const parsed = parseWrappingTransformation(transformation, location);
  switch (parsed.kind) {
    case 'AES_KEY_WRAP':
      requireAesKey(wrappingKey, transformation, location);
      return wrapKey(wrappingKey.keyObject, contentKey);
    case 'RSA_OAEP':
      requireRsaKey(wrappingKey, transformation, ['PUBLIC', 'PRIVATE'], location);
      return rsaOaepEncrypt(wrappingKey.keyObject, contentKey, parsed);
    case 'RSA_PKCS1_V1_5':
      throw new InvalidAlgorithmError(
        `Refusing to wrap new keys with "${transformation}" (RSAES-PKCS1-v1_5); use "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"`,
        location,
      );
  }
}

/**
 * Unwrap a content key. `transformation` is the item's `amzn-ddb-wrap-alg`; when undefined,
 * the unwrapping key's algorithm is used instead (Java's legacy behaviour). `contentKeyLengths`
 * are the sizes the item's description allows: RSA PKCS#1 v1.5 unwraps with implicit rejection
 * (see rsaPkcs1DecryptContentKey), so anything else there yields a synthetic key of one of them.
 */
export function unwrapContentKey(
  unwrappingKey: LocalKey,
  transformation: string | undefined,
  wrapped: Uint8Array,
  location: ErrorLocation = {},
  contentKeyLengths: readonly number[] = AES_KEY_SIZES_BYTES,
): Buffer {
  const name = transformation ?? unwrappingKey.algorithm;
  const parsed = parseWrappingTransformation(name, location);
  switch (parsed.kind) {
    case 'AES_KEY_WRAP':
      requireAesKey(unwrappingKey, name, location);
      return unwrapKey(unwrappingKey.keyObject, wrapped, location);
    case 'RSA_OAEP':
      requireRsaKey(unwrappingKey, name, ['PRIVATE'], location);
      return rsaOaepDecrypt(unwrappingKey.keyObject, wrapped, parsed, location);
    case 'RSA_PKCS1_V1_5':
      requireRsaKey(unwrappingKey, name, ['PRIVATE'], location);
      return rsaPkcs1DecryptContentKey(unwrappingKey.keyObject, wrapped, contentKeyLengths, location);
  }
}

function requireAesKey(key: LocalKey, transformation: string, location: ErrorLocation): void {
  if (key.algorithm !== AES_KEY_ALGORITHM) {
    throw new InvalidArgumentError(`"${transformation}" needs an AES key, got a ${key.algorithm} key`, location);
  }
}

function requireRsaKey(key: LocalKey, transformation: string, allowedTypes: readonly string[], location: ErrorLocation): void {
  if (key.keyObject.asymmetricKeyType !== 'rsa' || !allowedTypes.includes(key.keyType)) {
    throw new InvalidArgumentError(
      `"${transformation}" needs an RSA ${allowedTypes.join(' or ')} key, got a ${key.keyType} ${key.algorithm} key`,
      location,
    );
  }
}
