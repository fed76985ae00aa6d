/** Cryptographic primitives of the legacy item format, behind JCA-named keys. */
export * from './algorithms';
export * from './local-key';
export * from './attribute-cipher';
export * from './signature';
export * from './aes-key-wrap';
export * from './rsa-oaep';
export * from './rsa-pkcs1';
export * from './key-wrapping';
export * from './hkdf';
