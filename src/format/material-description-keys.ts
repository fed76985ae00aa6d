/**
 * Names used inside the material description and for the reserved item attributes
 * (FORMAT.md §1, §3.2). These strings are part of the stored format: changing one makes
 * existing items unreadable.
 */
export const MaterialDescriptionKeys = {
  SYMMETRIC_ENCRYPTION_MODE: 'amzn-ddb-map-sym-mode',
  SIGNING_ALGORITHM: 'amzn-ddb-map-signingAlg',
  WRAPPED_KEY: 'amzn-ddb-env-key',
  CONTENT_KEY_ALGORITHM: 'amzn-ddb-env-alg',
  KEY_WRAPPING_ALGORITHM: 'amzn-ddb-wrap-alg',
  SIGNING_KEY_ALGORITHM: 'amzn-ddb-sig-alg',
  KMS_ENCRYPTION_CONTEXT_ATTRIBUTES: 'aws-kms-ec-attr',
  META_ID: 'amzn-ddb-meta-id',
} as const;

/** Appended to the key's algorithm (`AES`) to name the cipher `AES/CBC/PKCS5Padding`. */
export const SYMMETRIC_ENCRYPTION_MODE_VALUE = '/CBC/PKCS5Padding';

/** The two attributes the encryptor adds to every item it signs. */
export const ReservedAttributes = {
  MATERIAL_DESCRIPTION: '*amzn-ddb-map-desc*',
  SIGNATURE: '*amzn-ddb-map-sig*',
} as const;
