import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalKey } from '../../crypto/local-key';
import { InvalidArgumentError } from '../../errors';
import { AttributeActions } from '../../encryptor/attribute-actions';
import { CryptoAction } from '../../encryptor/crypto-action';
import type { DynamoDbItem } from '../../format/attribute-value';
import { itemFromJson } from '../../format/dynamodb-json';

/**
 * The vector directory layout of `shared/vectors/encrypted_item/` (see its README): JSON files
 * linked with `file://` paths relative to the directory.
 */

export type ActionName = 'encrypt' | 'sign' | 'nothing';
export interface ActionSetJson {
  readonly default: ActionName;
  readonly override?: Readonly<Record<string, ActionName>>;
}

export interface KeyRoleNames {
  readonly decrypt?: string;
  readonly verify?: string;
  readonly encrypt?: string;
  readonly sign?: string;
}

export interface PlaintextManifest {
  readonly actions: Readonly<Record<string, ActionSetJson>>;
  readonly items: Readonly<
    Record<
      string,
      {
        readonly index: { readonly partition: string; readonly sort?: string };
        readonly items: ReadonlyArray<{ readonly attributes: unknown; readonly action: string; readonly exact?: boolean }>;
      }
    >
  >;
  readonly versions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface KeyJson {
  readonly material?: string;
  readonly algorithm?: string;
  readonly encoding?: 'RAW' | 'DER';
  readonly type?: 'symmetric' | 'public' | 'private';
  readonly keyId?: string;
  /** True for a KMS key of the local KMS (moto under scripts/with-local-aws), not of AWS. */
  readonly local?: boolean;
}

export type CiphertextFile = Readonly<Record<string, ReadonlyArray<DynamoDbItem>>>;

const ACTIONS: Readonly<Record<ActionName, CryptoAction>> = {
  encrypt: CryptoAction.ENCRYPT_AND_SIGN,
  sign: CryptoAction.SIGN_ONLY,
  nothing: CryptoAction.DO_NOTHING,
};

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new InvalidArgumentError(`cannot read vector file ${file}: ${(error as Error).message}`);
  }
}

/** Resolves a `file://relative/path` link against the vector directory. */
export function resolveLink(directory: string, link: string): string {
  if (!link.startsWith('file://')) throw new InvalidArgumentError(`vector links must start with file://, got ${link}`);
  return path.resolve(directory, link.slice('file://'.length));
}

export function relativeLink(directory: string, file: string): string {
  return `file://${path.relative(directory, file).split(path.sep).join('/')}`;
}

export function readCiphertextFile(file: string): CiphertextFile {
  const json = readJson<Record<string, unknown[]>>(file);
  return Object.fromEntries(Object.entries(json).map(([table, items]) => [table, items.map((item) => itemFromJson(item))]));
}

export function attributeActionsFromJson(json: ActionSetJson): AttributeActions {
  const toAction = (name: ActionName): CryptoAction => {
    const action = ACTIONS[name];
    if (action === undefined) throw new InvalidArgumentError(`unknown action "${name}" in the vectors`);
    return action;
  };
  return new AttributeActions({
    defaultAction: toAction(json.default),
    attributeActions: Object.fromEntries(Object.entries(json.override ?? {}).map(([name, action]) => [name, toAction(action)])),
  });
}

/** The keys of `keys.json` as `LocalKey`s; KMS key ids are returned as strings. */
export class VectorKeys {
  private readonly json: Readonly<Record<string, KeyJson>>;
  private readonly cache = new Map<string, LocalKey>();

  constructor(file: string) {
    this.json = readJson<Record<string, KeyJson>>(file);
  }

  isKmsKey(name: string): boolean {
    return this.entry(name).keyId !== undefined;
  }

  isLocalKmsKey(name: string): boolean {
    return this.isKmsKey(name) && this.entry(name).local === true;
  }

  kmsKeyId(name: string): string {
    const keyId = this.entry(name).keyId;
    if (keyId === undefined) throw new InvalidArgumentError(`key "${name}" in keys.json is not a KMS key`);
    return keyId;
  }

  localKey(name: string): LocalKey {
    let key = this.cache.get(name);
    if (key === undefined) {
      const entry = this.entry(name);
      if (entry.material === undefined || entry.algorithm === undefined || entry.type === undefined) {
        throw new InvalidArgumentError(`key "${name}" in keys.json is not local key material`);
      }
      key = new LocalKey({
        key: Buffer.from(entry.material, 'base64'),
        algorithm: entry.algorithm,
        keyType: entry.type.toUpperCase() as 'SYMMETRIC' | 'PUBLIC' | 'PRIVATE',
        encoding: entry.encoding ?? 'RAW',
      });
      this.cache.set(name, key);
    }
    return key;
  }

  private entry(name: string): KeyJson {
    const entry = this.json[name];
    if (entry === undefined) throw new InvalidArgumentError(`keys.json has no key named "${name}"`);
    return entry;
  }
}
