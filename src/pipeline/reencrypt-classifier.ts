import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { InvalidArgumentError } from '../errors';
import { MaterialDescriptionKeys } from '../format/material-description-keys';
import type { DecryptionMaterials } from '../materials/cryptographic-materials';
import { NoKnownVersionError, assertMaterialName, type ProviderStore } from '../providers/provider-store';

/** What is known about the materials an encrypted item is under. */
export interface ObservedMaterials {
  /** The item's material description, as stored. */
  readonly description: Readonly<Record<string, string>>;
  /**
   * The materials the source provider returned to decrypt the item. Absent when the classifier
   * `decidesFromDescription` and is asked before anything is decrypted.
   */
  readonly materials?: DecryptionMaterials;
}

/**
 * Decides whether an encrypted item is already under the target materials (and is left
 * alone) or must be re-encrypted. Pluggable, because "current" means something different per
 * provider: the KMS key that unwrapped the data key, the MetaStore version, a wrapped key's name.
 */
export interface MaterialsClassifier {
  /**
   * True when `isCurrent` needs only the description: it is then asked before decrypting, and
   * current items are never decrypted (no KMS call for them) unless a filter needs their plaintext.
   * The description is not signed, so such items are not verified either: `alreadyCurrent`
   * counts what the descriptions say, and an item tampered with is not found by this run
   * (`ddbec verify` checks every item).
   */
  readonly decidesFromDescription?: boolean;
  /** Called at the start of every segment run, to learn what is current now (newest version, key ARN). */
  prepare?(): Promise<void>;
  isCurrent(observed: ObservedMaterials): boolean | Promise<boolean>;
}

/** A classifier, or just its `isCurrent` (which is then given the decryption materials). */
export type MaterialsClassifierLike = MaterialsClassifier | ((observed: ObservedMaterials) => boolean | Promise<boolean>);

export function asClassifier(classifier: MaterialsClassifierLike): MaterialsClassifier {
  return typeof classifier === 'function' ? { isCurrent: classifier } : classifier;
}

/**
 * Direct KMS: current when the KMS key that decrypted the item's data key is the target key.
 * Needs the source provider to be an `AwsKmsMaterialsProvider` (its materials carry the key ARN
 * KMS reported); items decrypted by anything else are never current. An alias as target is
 * resolved to its key ARN with DescribeKey, so `kmsClient` is then required.
 */
export function kmsKeyClassifier(options: { readonly keyId: string; readonly kmsClient?: KMSClient }): MaterialsClassifier {
  const { keyId, kmsClient } = options;
  if (typeof keyId !== 'string' || keyId.trim() === '') throw new InvalidArgumentError('kmsKeyClassifier needs the target keyId');
  const isAlias = keyId.startsWith('alias/') || keyId.includes(':alias/');
  if (isAlias && kmsClient === undefined) {
    throw new InvalidArgumentError('kmsKeyClassifier needs a kmsClient to resolve an alias to its key ARN (or pass the key ARN)');
  }
  let target: string | undefined = isAlias ? undefined : keyId;
  const resolve = async (): Promise<string> => {
    if (target !== undefined) return target;
    const { KeyMetadata } = await (kmsClient as KMSClient).send(new DescribeKeyCommand({ KeyId: keyId }));
    if (KeyMetadata?.Arn === undefined) throw new InvalidArgumentError('KMS DescribeKey returned no key ARN for the target alias');
    target = KeyMetadata.Arn;
    return target;
  };
  return {
    async prepare() {
      if (isAlias) target = undefined; // an alias may have been pointed at a new key
      await resolve();
    },
    async isCurrent({ materials }) {
      const arn = (materials as { kmsKeyArn?: unknown } | undefined)?.kmsKeyArn;
      return typeof arn === 'string' && sameKmsKey(await resolve(), arn);
    },
  };
}

/** Key ids and ARNs compare: `arn:...:key/ID` is the key `ID`. */
export function sameKmsKey(target: string, reported: string): boolean {
  const id = (text: string) => (text.includes(':key/') ? text.slice(text.lastIndexOf(':key/') + ':key/'.length) : text);
  return target === reported || id(target) === id(reported);
}

/**
 * MostRecent over a MetaStore: current when the item's `amzn-ddb-meta-id` names the newest
 * version of the material, as the store says at the start of each run (`maxVersion`). Decides
 * from the description alone. Re-encrypt with a target provider that writes that version: the
 * re-encryptor refreshes the target provider at the start of each run for that reason.
 */
export function mostRecentVersionClassifier(options: { readonly providerStore: ProviderStore; readonly materialName: string }): MaterialsClassifier {
  const { providerStore, materialName } = options;
  assertMaterialName(materialName);
  let current: string | null | undefined; // undefined: not read yet; null: the material has no version
  const prepare = async (): Promise<void> => {
    try {
      current = `${materialName}#${await providerStore.maxVersion(materialName)}`;
    } catch (error) {
      if (!(error instanceof NoKnownVersionError)) throw error;
      current = null;
    }
  };
  return {
    decidesFromDescription: true,
    prepare,
    async isCurrent({ description }) {
      if (current === undefined) await prepare();
      return current !== null && description[MaterialDescriptionKeys.META_ID] === current;
    },
  };
}

/**
 * Current when a description entry has the target's value, e.g. a key name the target provider
 * records in its `materialDescription` (`{ 'key-name': 'orders-2025' }`). Decides from the
 * description alone.
 */
export function descriptionEntryClassifier(name: string, value: string): MaterialsClassifier {
  if (typeof name !== 'string' || name === '' || typeof value !== 'string') {
    throw new InvalidArgumentError('descriptionEntryClassifier needs a description entry name and the value that means "current"');
  }
  return { decidesFromDescription: true, isCurrent: ({ description }) => description[name] === value };
}
