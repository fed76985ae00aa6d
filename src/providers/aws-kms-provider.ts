import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { hkdfSha256 } from '../crypto/hkdf';
import { backoff } from '../encrypted/backoff';
import { LocalKey } from '../crypto/local-key';
import { InvalidAlgorithmError, InvalidArgumentError, InvalidMaterialDescriptionError, KmsError, UnwrappingError, type ErrorLocation } from '../errors';
import type { EncryptionContext } from '../encryptor/encryption-context';
import { MaterialDescriptionKeys } from '../format/material-description-keys';
import { DEFAULT_CONTENT_KEY_SPEC, parseKeySpec } from '../materials/content-key-spec';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';
import { RawDecryptionMaterials, RawEncryptionMaterials, type RawDecryptionMaterialsOptions } from '../materials/raw-materials';
import { decodeWrappedKey, encodeWrappedKey } from '../materials/wrapped-key-description';
import { ConcurrencyLimiter } from './concurrency-limiter';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';
import { kmsEncryptionContext } from './kms-encryption-context';
import { isAuthorizationFailure, isTransientKmsFailure, kmsFailure } from './kms-errors';

export interface AwsKmsMaterialsProviderOptions {
  /** The KMS key that generates data keys: a key ARN (preferred), key id or alias. */
  readonly keyId: string;
  /**
   * The client for KMS calls: every call when `kmsClientForRegion` is not given, else the calls
   * naming a key without a region (a key id or alias).
   * @default a new KMSClient in the region of `keyId` when it is an ARN, else the SDK's default region
   */
  readonly kmsClient?: KMSClient;
  /**
   * The client for a region, asked for the region of each key ARN a call names: GenerateDataKey
   * goes to `keyId`'s region, and in strict mode each Decrypt to the region of the allowed key it
   * names (keys of several regions during a rotation). A KMS key is regional: another region's
   * KMS does not know it. Asked on every call, so it should return the same client per region.
   * @default when `kmsClient` is not given, a new KMSClient per region, made on first use; else none (`kmsClient` makes every call)
   */
  readonly kmsClientForRegion?: (region: string) => KMSClient;
  /**
   * Grant tokens sent with every KMS call.
   * @default none
   */
  readonly grantTokens?: readonly string[];
  /**
   * Pairs recorded in every item's description. `amzn-ddb-env-alg` chooses the AES key size
   * (`AES/128`, `AES/192`, `AES/256`) and `amzn-ddb-sig-alg` the HMAC (`HmacSHA256/256`...).
   * @default {} (AES/256 and HmacSHA256/256)
   */
  readonly materialDescription?: Readonly<Record<string, string>>;
  /**
   * Strict mode: Decrypt names the KMS key it expects, and items whose data key another KMS key
   * wrapped are refused instead of decrypted with whatever key their ciphertext names (a
   * confused-deputy risk the reference clients have). Implied by `allowedKeyIds`.
   * @default false
   */
  readonly strict?: boolean;
  /**
   * The KMS keys items may be wrapped under, tried in order (e.g. the new key, then the old one
   * during a rotation). Setting it turns strict mode on. `keyId` is always allowed, tried first
   * when the list does not name it.
   * @default [keyId] in strict mode; any key otherwise
   */
  readonly allowedKeyIds?: readonly string[];
  /**
   * Most KMS calls this provider keeps in flight at once, however many items are decrypted in
   * parallel (query pages, stream batches).
   * @default 16
   */
  readonly maxConcurrentKmsCalls?: number;
  /**
   * Attempts of one KMS call when KMS throttles or fails transiently (5xx, a broken or timed-out
   * connection), with exponential backoff and full jitter between them, on top of the SDK
   * client's own retries: a throttling burst is absorbed rather than failing items. An
   * unreachable endpoint is not retried: it fails at once, naming the endpoint.
   * @default 6
   */
  readonly maxKmsAttempts?: number;
  /**
   * First backoff delay between those attempts; it doubles per attempt.
   * @default 50
   */
  readonly kmsRetryBaseDelayMs?: number;
}

/**
 * Decryption materials that also say which KMS key unwrapped the data key (the ARN KMS reported),
 * so that a re-encryption pass can tell items under the current key from items under an old one.
 * Composed rather than derived: `RawDecryptionMaterials` freezes itself in its constructor.
 */
export class KmsDecryptionMaterials implements DecryptionMaterials {
  readonly verificationKey: RawDecryptionMaterials['verificationKey'];
  readonly decryptionKey?: RawDecryptionMaterials['decryptionKey'];
  readonly materialDescription: Readonly<Record<string, string>>;
  /** The key ARN from KMS's Decrypt response; undefined when KMS named none. */
  readonly kmsKeyArn?: string;

  constructor(options: RawDecryptionMaterialsOptions & { readonly kmsKeyArn?: string }) {
    const raw = new RawDecryptionMaterials(options); // validates the keys
    this.verificationKey = raw.verificationKey;
    this.decryptionKey = raw.decryptionKey;
    this.materialDescription = raw.materialDescription;
    this.kmsKeyArn = options.kmsKeyArn;
    Object.freeze(this);
  }
}

const DEFAULT_SIGNING_KEY_SPEC = 'HmacSHA256/256';
/** Always 32 bytes, whatever the AES size: the data key is HKDF input, not the AES key. */
const DATA_KEY_BYTES = 32;
const WRAPPING_ALGORITHM = 'kms';
const KMS_CONTEXT_ATTRIBUTES_VALUE = '*keys*';
const HMAC_ALGORITHMS: ReadonlySet<string> = new Set(['HmacSHA224', 'HmacSHA256', 'HmacSHA384', 'HmacSHA512']);

/**
 * The Direct KMS provider (the Python client's `AwsKmsCryptographicMaterialsProvider`): every item
 * gets a KMS data key, from which HKDF-SHA256 derives its AES and HMAC keys; the KMS ciphertext
 * is stored in the item's description and bound to table and primary key by the KMS context.
 */
export class AwsKmsMaterialsProvider implements CryptographicMaterialsProvider {
  readonly keyId: string;
  /** The client of `keyId`'s calls: GenerateDataKey, and Decrypt outside strict mode. */
  readonly kmsClient: KMSClient;
  /** For keys that name no region (or every key, without kmsClientForRegion); made on first use when not given. */
  private regionlessClient?: KMSClient;
  private readonly kmsClientForRegion?: (region: string) => KMSClient;
  private readonly grantTokens?: string[];
  private readonly configuredDescription: Readonly<Record<string, string>>;
  private readonly contentKeySpec: string;
  private readonly signingKeySpec: string;
  private readonly allowedKeyIds?: readonly string[];
  private readonly limiter: ConcurrencyLimiter;
  private readonly maxKmsAttempts: number;
  private readonly kmsRetryBaseDelayMs: number;

  constructor(options: AwsKmsMaterialsProviderOptions) {
    if (typeof options?.keyId !== 'string' || options.keyId.trim() === '') {
      throw new InvalidArgumentError('AwsKmsMaterialsProvider needs a keyId (a KMS key ARN, key id or alias)');
    }
    this.keyId = options.keyId;
    this.regionlessClient = options.kmsClient;
    this.kmsClientForRegion = options.kmsClientForRegion ?? (options.kmsClient === undefined ? onePerRegion((region) => new KMSClient({ region })) : undefined);
    this.kmsClient = this.clientFor(options.keyId);
    this.grantTokens = options.grantTokens === undefined ? undefined : [...options.grantTokens];
    this.configuredDescription = Object.freeze({ ...(options.materialDescription ?? {}) });
    this.contentKeySpec = this.configuredDescription[MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM] ?? DEFAULT_CONTENT_KEY_SPEC;
    this.signingKeySpec = this.configuredDescription[MaterialDescriptionKeys.SIGNING_KEY_ALGORITHM] ?? DEFAULT_SIGNING_KEY_SPEC;
    // Checked now so that a bad configuration fails here, not on the first item.
    contentKeyLength(this.contentKeySpec);
    signingKeyParameters(this.signingKeySpec);
    if (options.allowedKeyIds !== undefined) {
      if (options.allowedKeyIds.length === 0) throw new InvalidArgumentError('allowedKeyIds must name at least one KMS key');
      if (options.allowedKeyIds.some((keyId) => typeof keyId !== 'string' || keyId.trim() === '')) {
        throw new InvalidArgumentError('allowedKeyIds must be KMS key ARNs, key ids or aliases (non-empty strings)');
      }
      // The key new items are wrapped under is always allowed, first when not listed: without it
      // this provider could not read what it writes (e.g. allowedKeyIds listing only the old key).
      const listed = options.allowedKeyIds.some((keyId) => keyId === options.keyId);
      this.allowedKeyIds = listed ? [...options.allowedKeyIds] : [options.keyId, ...options.allowedKeyIds];
    } else if (options.strict === true) {
      this.allowedKeyIds = [options.keyId];
    }
    this.limiter = new ConcurrencyLimiter(options.maxConcurrentKmsCalls ?? 16);
    this.maxKmsAttempts = options.maxKmsAttempts ?? 6;
    if (!Number.isSafeInteger(this.maxKmsAttempts) || this.maxKmsAttempts < 1) throw new InvalidArgumentError('maxKmsAttempts must be a whole number from 1');
    this.kmsRetryBaseDelayMs = options.kmsRetryBaseDelayMs ?? 50;
  }

  /**
   * One KMS call under the concurrency limit, tried again after a transient failure. The wait
   * happens outside the limit, so a backing-off call does not hold a slot others could use.
   */
  private async callKms<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.limiter.run(call);
      } catch (error) {
        if (attempt >= this.maxKmsAttempts || !isTransientKmsFailure(error)) throw error;
        await backoff(attempt, this.kmsRetryBaseDelayMs);
      }
    }
  }

  /** The client for a call naming `keyId`: KMS in the region of its ARN, when clients by region are known. */
  private clientFor(keyId: string): KMSClient {
    const region = this.kmsClientForRegion === undefined ? undefined : regionOfKeyArn(keyId);
    if (region !== undefined) return (this.kmsClientForRegion as (region: string) => KMSClient)(region);
    // As the single default client of earlier versions: in keyId's region (the SDK's default when keyId is no ARN).
    this.regionlessClient ??= new KMSClient({ region: regionOfKeyArn(this.keyId) });
    return this.regionlessClient;
  }

  /** True when Decrypt is limited to `allowedKeyIds`. */
  get strict(): boolean {
    return this.allowedKeyIds !== undefined;
  }

  async encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    const location = { tableName: context.tableName };
    const kmsContext = kmsEncryptionContext(context, this.contentKeySpec, this.signingKeySpec);
    const response = await this.callKms(() =>
      this.kmsClient.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          NumberOfBytes: DATA_KEY_BYTES,
          EncryptionContext: kmsContext,
          GrantTokens: this.grantTokens,
        }),
      ),
    ).catch(async (error: unknown) => {
      throw await kmsFailure(error, 'GenerateDataKey', this.kmsClient, location);
    });
    if (response.Plaintext === undefined || response.CiphertextBlob === undefined) {
      response.Plaintext?.fill(0);
      throw new UnwrappingError('KMS GenerateDataKey returned no data key', location);
    }
    const keys = this.derivedKeys(response.Plaintext, this.contentKeySpec, this.signingKeySpec, location);
    return new RawEncryptionMaterials({
      encryptionKey: keys.encryptionKey,
      signingKey: keys.signingKey,
      materialDescription: {
        ...this.configuredDescription,
        [MaterialDescriptionKeys.WRAPPED_KEY]: encodeWrappedKey(response.CiphertextBlob),
        [MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM]: this.contentKeySpec,
        [MaterialDescriptionKeys.SIGNING_KEY_ALGORITHM]: this.signingKeySpec,
        [MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM]: WRAPPING_ALGORITHM,
        [MaterialDescriptionKeys.KMS_ENCRYPTION_CONTEXT_ATTRIBUTES]: KMS_CONTEXT_ATTRIBUTES_VALUE,
      },
    });
  }

  async decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    const location = { tableName: context.tableName };
    const description = context.materialDescription ?? {};
    const wrappedText = description[MaterialDescriptionKeys.WRAPPED_KEY];
    if (wrappedText === undefined) {
      throw new InvalidMaterialDescriptionError('the item was not written by a KMS provider: its description has no "amzn-ddb-env-key"', location);
    }
    const wrappingAlgorithm = description[MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM];
    if (wrappingAlgorithm !== undefined && wrappingAlgorithm !== WRAPPING_ALGORITHM) {
      throw new InvalidAlgorithmError(`the item's data key was wrapped with "${wrappingAlgorithm}", not by KMS`, location);
    }
    // Both algorithms come from the item: KMS checks them through the encryption context.
    const contentKeySpec = description[MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM] ?? DEFAULT_CONTENT_KEY_SPEC;
    const signingKeySpec = description[MaterialDescriptionKeys.SIGNING_KEY_ALGORITHM] ?? DEFAULT_SIGNING_KEY_SPEC;
    const request = {
      CiphertextBlob: decodeWrappedKey(wrappedText, context.tableName),
      EncryptionContext: kmsEncryptionContext(context, contentKeySpec, signingKeySpec),
      GrantTokens: this.grantTokens,
    };
    const { dataKey, kmsKeyArn } = await this.decryptDataKey(request, location);
    const keys = this.derivedKeys(dataKey, contentKeySpec, signingKeySpec, location);
    return new KmsDecryptionMaterials({
      decryptionKey: keys.encryptionKey,
      verificationKey: keys.signingKey,
      materialDescription: description,
      kmsKeyArn,
    });
  }

  private async decryptDataKey(
    request: { CiphertextBlob: Uint8Array; EncryptionContext: Record<string, string>; GrantTokens?: string[] },
    location: { tableName?: string },
  ): Promise<{ dataKey: Uint8Array; kmsKeyArn?: string }> {
    const candidates: ReadonlyArray<string | undefined> = this.allowedKeyIds ?? [undefined];
    // Allowed keys KMS would not let this caller use, and the last such answer.
    const deniedKeyIds: string[] = [];
    let denial: unknown;
    let mismatch: unknown;
    for (const keyId of candidates) {
      // Each allowed key in its own region; without one named, the ciphertext goes where keyId is.
      const client = keyId === undefined ? this.kmsClient : this.clientFor(keyId);
      try {
        const response = await this.callKms(() => client.send(new DecryptCommand({ ...request, KeyId: keyId })));
        if (response.Plaintext === undefined) throw new UnwrappingError('KMS Decrypt returned no data key', location);
        if (keyId !== undefined && !sameKey(keyId, response.KeyId)) {
          response.Plaintext.fill(0);
          throw new UnwrappingError('KMS decrypted the data key with a key other than the one requested', location);
        }
        return { dataKey: response.Plaintext, kmsKeyArn: response.KeyId };
      } catch (error) {
        // KMS took the key from the ciphertext: kmsFailure tells answers about the item from others.
        if (keyId === undefined) throw await kmsFailure(error, 'Decrypt', client, location);
        // In strict mode, both answers below mean "try the next allowed key"; anything else is final.
        if (deniesCallerTheKey(error, keyId)) {
          // A denial of one allowed key says nothing about the others, and the next one may well
          // be the key that wrapped this data key.
          deniedKeyIds.push(keyId);
          denial = error;
        } else if (isKeyMismatch(error)) {
          mismatch = error;
        } else {
          throw await kmsFailure(error, 'Decrypt', client, location);
        }
      }
    }
    if (deniedKeyIds.length > 0) {
      // Not a verdict on the item: a key KMS denied may be the one that wrapped it, even when the
      // other allowed keys answered a mismatch. The caller lost the right to use the key (role,
      // grant or key policy), which fails every item alike: as a KmsError it makes pipelines stop
      // and retry instead of dead-lettering item after item. A foreign item meets this only
      // while such an outage lasts, and is dead-lettered once access is restored.
      const others = deniedKeyIds.length < candidates.length ? '; the other allowed key(s) did not wrap it' : '';
      throw new KmsError(
        `strict mode: KMS denied Decrypt with allowed key(s) ${deniedKeyIds.join(', ')} (AccessDeniedException)${others}: ` +
          `this caller may not use ${deniedKeyIds.length === 1 ? 'that key' : 'those keys'} (its role, a grant or the key policy); the item is read once access is restored`,
        location,
        { cause: denial, kmsErrorName: 'AccessDeniedException' },
      );
    }
    const name = (mismatch as { name?: string } | undefined)?.name;
    throw new UnwrappingError(
      `strict mode: KMS would not decrypt the item's data key with any of the ${candidates.length} allowed key(s) (${name}): another key wrapped it`,
      location,
      { cause: mismatch },
    );
  }

  private derivedKeys(
    dataKey: Uint8Array,
    contentKeySpec: string,
    signingKeySpec: string,
    location: ErrorLocation,
  ): { encryptionKey: LocalKey; signingKey: LocalKey } {
    // Zeroed whatever happens, a refused data key included.
    let encryptionBytes: Buffer | undefined;
    let signingBytes: Buffer | undefined;
    try {
      if (dataKey.byteLength !== DATA_KEY_BYTES) {
        throw new UnwrappingError(`KMS returned a ${dataKey.byteLength}-byte data key, expected ${DATA_KEY_BYTES}`, location);
      }
      const signing = signingKeyParameters(signingKeySpec, location);
      encryptionBytes = hkdfSha256(dataKey, 'Encryption', contentKeyLength(contentKeySpec, location));
      signingBytes = hkdfSha256(dataKey, 'Signing', signing.lengthBytes);
      return {
        encryptionKey: new LocalKey({ key: encryptionBytes, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' }),
        signingKey: new LocalKey({ key: signingBytes, algorithm: signing.algorithm, keyType: 'SYMMETRIC', encoding: 'RAW' }),
      };
    } finally {
      encryptionBytes?.fill(0);
      signingBytes?.fill(0);
      if (dataKey instanceof Uint8Array) dataKey.fill(0);
    }
  }
}

/** `create` called once per region, its client kept: KMS clients by region, made on first use. */
export function onePerRegion(create: (region: string) => KMSClient): (region: string) => KMSClient {
  const clients = new Map<string, KMSClient>();
  return (region) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
}

/** The region field of a KMS key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`), if it is one. */
export function regionOfKeyArn(keyId: string): string | undefined {
  const fields = keyId.split(':');
  return fields[0] === 'arn' && fields.length >= 6 && fields[3] !== '' ? fields[3] : undefined;
}

function contentKeyLength(spec: string, location: ErrorLocation = {}): number {
  const { algorithm, bits = 256 } = parseKeySpec(spec, MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM);
  if (algorithm !== 'AES' || ![128, 192, 256].includes(bits)) {
    throw new InvalidAlgorithmError(`unsupported content key "${spec}": use AES/128, AES/192 or AES/256`, location);
  }
  return bits / 8;
}

function signingKeyParameters(spec: string, location: ErrorLocation = {}): { algorithm: string; lengthBytes: number } {
  const { algorithm, bits = 256 } = parseKeySpec(spec, MaterialDescriptionKeys.SIGNING_KEY_ALGORITHM);
  if (!HMAC_ALGORITHMS.has(algorithm) || bits % 8 !== 0 || bits < 128 || bits > 1024) {
    throw new InvalidAlgorithmError(`unsupported signing key "${spec}": use HmacSHA224/256/384/512 with 128 to 1024 bits`, location);
  }
  return { algorithm, lengthBytes: bits / 8 };
}

/**
 * KMS's answer to Decrypt naming a key other than the one that wrapped the ciphertext: real KMS's
 * IncorrectKeyException, and every AccessDeniedException that is not about this caller's right to
 * the requested key (see `deniesCallerTheKey`).
 */
function isKeyMismatch(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  return name === 'IncorrectKeyException' || name === 'AccessDeniedException';
}

/**
 * Whether an answer to Decrypt with `keyId` says this caller may not use that key (IAM policy,
 * grant or key policy: an outage that fails every item alike) rather than something about the
 * item. KMS answers both with AccessDeniedException, told apart by the message alone:
 * - about the caller: "User: arn:aws:sts::111122223333:assumed-role/fn-role/fn is not authorized
 *   to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-... because
 *   no identity-based policy allows the kms:Decrypt action" (or "... with an explicit deny in a
 *   resource-based policy");
 * - about the item: "The ciphertext refers to a customer master key that does not exist, does not
 *   exist in this region, or you are not allowed to access." (a data key wrapped under someone
 *   else's key, which anyone allowed PutItem can plant); moto answers any key mismatch with an
 *   AccessDeniedException without a message (the SDK says "UnknownError").
 * Only an authorization failure naming the requested key (its ARN, or its key id) is about the
 * caller: one naming another resource is not about this key. An alias cannot be matched against
 * the key ARN the message names, so for an alias the authorization failure for kms:Decrypt suffices.
 */
function deniesCallerTheKey(error: unknown, keyId: string): boolean {
  if (!isAccessDenied(error) || !isAuthorizationFailure(error)) return false;
  const message = (error as { message: string }).message;
  if (isAlias(keyId)) return message.includes('not authorized to perform: kms:Decrypt');
  const keyIdPart = keyId.includes('key/') ? keyId.slice(keyId.lastIndexOf('key/') + 'key/'.length) : keyId;
  return namesToken(message, keyId) || namesToken(message, keyIdPart);
}

function isAccessDenied(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'AccessDeniedException';
}

/** Whether `text` holds `token` not as part of a longer key id or ARN (`key/1234` does not name `key/12345`). */
function namesToken(text: string, token: string): boolean {
  if (token === '') return false;
  for (let at = text.indexOf(token); at !== -1; at = text.indexOf(token, at + 1)) {
    const before = at === 0 ? '' : text[at - 1];
    const after = text[at + token.length] ?? '';
    if (!/[\w-]/.test(before) && !/[\w-]/.test(after)) return true;
  }
  return false;
}

function isAlias(keyId: string): boolean {
  return keyId.startsWith('alias/') || keyId.includes(':alias/');
}

/** Whether the ARN KMS answered with is the key that was asked for (ids and ARNs compare; aliases cannot). */
function sameKey(requested: string, answered: string | undefined): boolean {
  if (answered === undefined || isAlias(requested)) return true;
  return answered === requested || answered.endsWith(`:key/${requested}`);
}
