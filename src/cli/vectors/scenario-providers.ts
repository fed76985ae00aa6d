import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalKey } from '../../crypto/local-key';
import { InvalidArgumentError } from '../../errors';
import type { EncryptionContext } from '../../encryptor/encryption-context';
import { decryptDynamoDbItem } from '../../encryptor/item-encryptor';
import type { DynamoDbItem } from '../../format/attribute-value';
import type { DecryptionMaterials, EncryptionMaterials } from '../../materials/cryptographic-materials';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../materials/raw-materials';
import type { CryptographicMaterialsProvider } from '../../providers/cryptographic-materials-provider';
import {
  META_STORE_PARTITION_KEY,
  META_STORE_SORT_KEY,
  metaStoreAttributeActions,
  metaStoreEncryptionContext,
  providerForMaterialVersion,
  versionFromDescription,
} from '../../providers/meta-store-material';
import { AwsKmsMaterialsProvider } from '../../providers/aws-kms-provider';
import { StaticMaterialsProvider } from '../../providers/static-provider';
import { WrappedMaterialsProvider } from '../../providers/wrapped-provider';
import { loadMetaStore } from './meta-store-loader';
import type { MetaStoreScenario, ProviderKind, Scenario } from './scenarios';
import { readCiphertextFile, type KeyRoleNames, type VectorKeys } from './vector-files';

/** Why a scenario cannot run here, or undefined when it can. */
export function offlineSkipReason(scenario: Scenario, keys: VectorKeys): string | undefined {
  const kinds: Array<[ProviderKind, KeyRoleNames]> = [[scenario.provider, scenario.keys]];
  if (scenario.metaStore !== undefined) kinds.push([scenario.metaStore.provider, scenario.metaStore.keys]);
  for (const [kind, roles] of kinds) {
    const kmsKeys = Object.values(roles).filter((name): name is string => name !== undefined && keys.isKmsKey(name));
    if (kind !== 'awskms' && kmsKeys.length === 0) continue;
    if (kmsKeys.length === 0 || kmsKeys.some((name) => !keys.isLocalKmsKey(name))) return 'needs AWS KMS (a real key)';
    if (process.env.AWS_ENDPOINT_URL_KMS === undefined) return 'needs the local KMS: run under scripts/with-local-aws';
  }
  if (scenario.network) return 'needs the network';
  return undefined;
}

/** The key that encrypts: the named one, or the decryption key when it is symmetric. */
function encryptingKey(roles: KeyRoleNames, keys: VectorKeys): LocalKey | undefined {
  if (roles.encrypt !== undefined) return keys.localKey(roles.encrypt);
  if (roles.decrypt !== undefined && keys.isKmsKey(roles.decrypt)) return undefined;
  if (roles.decrypt === undefined) return undefined;
  const key = keys.localKey(roles.decrypt);
  return key.keyType === 'SYMMETRIC' ? key : undefined;
}

function signingKey(roles: KeyRoleNames, keys: VectorKeys): LocalKey | undefined {
  if (roles.sign !== undefined) return keys.localKey(roles.sign);
  if (roles.verify === undefined || keys.isKmsKey(roles.verify)) return undefined;
  const key = keys.localKey(roles.verify);
  return key.keyType === 'PUBLIC' ? undefined : key;
}

/**
 * True when the scenario names keys to write with (and so can be generated). A most_recent
 * scenario writes with MetaStore versions, so only the MetaStore's own keys matter.
 */
export function canEncrypt(scenario: Scenario, keys: VectorKeys): boolean {
  const [kind, roles] = scenario.metaStore === undefined ? [scenario.provider, scenario.keys] : [scenario.metaStore.provider, scenario.metaStore.keys];
  // A KMS key does both, given access to it.
  if (kind === 'awskms') return roles.decrypt !== undefined;
  return signingKey(roles, keys) !== undefined && encryptingKey(roles, keys) !== undefined;
}

/** A static, wrapped or (local) KMS provider for one set of key roles (for reading, writing, or both). */
export function localProvider(
  kind: ProviderKind,
  roles: KeyRoleNames,
  keys: VectorKeys,
  materialDescription?: Readonly<Record<string, string>>,
): CryptographicMaterialsProvider {
  if (kind === 'awskms') {
    if (roles.decrypt === undefined) throw new InvalidArgumentError('an awskms scenario needs a "decrypt" key naming the KMS key');
    return new AwsKmsMaterialsProvider({ keyId: keys.kmsKeyId(roles.decrypt), materialDescription });
  }
  const decryptionKey = roles.decrypt === undefined ? undefined : keys.localKey(roles.decrypt);
  const verificationKey = roles.verify === undefined ? undefined : keys.localKey(roles.verify);
  const encryptionKey = encryptingKey(roles, keys);
  const signing = signingKey(roles, keys);
  if (kind === 'static') {
    return new StaticMaterialsProvider({
      decryptionMaterials:
        verificationKey === undefined ? undefined : new RawDecryptionMaterials({ verificationKey, decryptionKey, materialDescription }),
      encryptionMaterials:
        signing === undefined ? undefined : new RawEncryptionMaterials({ signingKey: signing, encryptionKey, materialDescription }),
    });
  }
  if (kind === 'wrapped') {
    const signingOrVerification = signing ?? verificationKey;
    if (signingOrVerification === undefined) throw new InvalidArgumentError('a wrapped scenario needs a verify or sign key');
    return new WrappedMaterialsProvider({
      wrappingKey: encryptionKey,
      unwrappingKey: decryptionKey,
      signingKey: signingOrVerification,
      verificationKey,
      materialDescription,
    });
  }
  throw new InvalidArgumentError(`unknown provider "${kind}"`);
}

/**
 * Materials versions read from a MetaStore ciphertext file: each version item is verified and
 * decrypted with the meta provider, as the reference MetaStore does on a table read.
 */
export interface MaterialVersions {
  readonly materialName: string;
  readonly providers: ReadonlyMap<number, WrappedMaterialsProvider>;
  readonly decryptedItems: ReadonlyMap<number, DynamoDbItem>;
}

export async function readMaterialVersions(
  metaStore: MetaStoreScenario,
  materialName: string,
  keys: VectorKeys,
): Promise<MaterialVersions> {
  const metaProvider = localProvider(metaStore.provider, metaStore.keys, keys);
  const file = readCiphertextFile(metaStore.ciphertextFile);
  const providers = new Map<number, WrappedMaterialsProvider>();
  const decryptedItems = new Map<number, DynamoDbItem>();
  for (const stored of Object.values(file).flat()) {
    if (stored[META_STORE_PARTITION_KEY]?.S !== materialName) continue;
    const decrypted = await decryptDynamoDbItem(stored, {
      materialsProvider: metaProvider,
      encryptionContext: metaStoreEncryptionContext(metaStore.tableName),
      attributeActions: metaStoreAttributeActions(),
    });
    const version = Number(decrypted[META_STORE_SORT_KEY]?.N);
    providers.set(version, providerForMaterialVersion(materialName, version, decrypted, metaStore.tableName));
    decryptedItems.set(version, decrypted);
  }
  if (providers.size === 0) {
    throw new InvalidArgumentError(`the MetaStore file has no version of material "${materialName}"`, { tableName: metaStore.tableName });
  }
  return { materialName, providers, decryptedItems };
}

/** Reads with the version an item names; writes with the newest version. */
export class MaterialVersionsProvider implements CryptographicMaterialsProvider {
  private readonly newestVersion: number;

  constructor(private readonly versions: MaterialVersions) {
    this.newestVersion = Math.max(...versions.providers.keys());
  }

  encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    return this.versionProvider(this.newestVersion, context).encryptionMaterials(context);
  }

  decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    const version = versionFromDescription(context.materialDescription ?? {}, context.tableName);
    return this.versionProvider(version, context).decryptionMaterials(context);
  }

  private versionProvider(version: number, context: EncryptionContext): WrappedMaterialsProvider {
    const provider = this.versions.providers.get(version);
    if (provider === undefined) {
      throw new InvalidArgumentError(`material "${this.versions.materialName}" has no version ${version}`, { tableName: context.tableName });
    }
    return provider;
  }
}

/** Where most_recent scenarios keep their MetaStore: a DynamoDB table, or memory. */
export type MetaStoreBackend = { readonly kind: 'dynamodb'; readonly client: DynamoDBClient } | { readonly kind: 'offline' };

export interface ScenarioProvider {
  readonly provider: CryptographicMaterialsProvider;
  /** Releases what the provider needed (a MetaStore table). */
  readonly release: () => Promise<void>;
}

/** The provider that reads (and, where keys allow, writes) a scenario's items. */
export async function scenarioProvider(scenario: Scenario, keys: VectorKeys, metaStoreBackend: MetaStoreBackend = { kind: 'offline' }): Promise<ScenarioProvider> {
  const nothingToRelease = async () => undefined;
  if (scenario.provider === 'most_recent') {
    if (scenario.metaStore === undefined || scenario.materialName === undefined) {
      throw new InvalidArgumentError(`most_recent scenario ${scenario.name} lacks "metastore" or "material_name"`);
    }
    if (metaStoreBackend.kind === 'dynamodb') {
      const metaProvider = localProvider(scenario.metaStore.provider, scenario.metaStore.keys, keys);
      const loaded = await loadMetaStore(metaStoreBackend.client, scenario.metaStore, scenario.materialName, metaProvider);
      return { provider: loaded.provider, release: loaded.unload };
    }
    return {
      provider: new MaterialVersionsProvider(await readMaterialVersions(scenario.metaStore, scenario.materialName, keys)),
      release: nothingToRelease,
    };
  }
  return { provider: localProvider(scenario.provider, scenario.keys, keys, scenario.materialDescription), release: nothingToRelease };
}
