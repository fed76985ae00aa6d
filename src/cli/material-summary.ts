import type { DynamoDbItem } from '../format/attribute-value';
import { deserializeMaterialDescription } from '../format/material-description';
import { MaterialDescriptionKeys as Keys, ReservedAttributes } from '../format/material-description-keys';

/** How much of an encrypted data key is shown: enough to tell two apart, never the whole blob. */
const SHOWN_KEY_CHARACTERS = 16;

export type ProviderKind = 'direct-kms' | 'most-recent' | 'wrapped' | 'static' | 'plaintext' | 'unreadable';

/** The materials an item is under, read from its material description alone (nothing decrypted). */
export interface MaterialsSummary {
  readonly provider: ProviderKind;
  /** A sentence for people: `Direct KMS (a KMS data key per item)`, `MetaStore material "orders" version 3`. */
  readonly providerText: string;
  readonly materialName?: string;
  readonly version?: number;
  readonly keyWrappingAlgorithm?: string;
  readonly contentKeyAlgorithm?: string;
  readonly signingKeyAlgorithm?: string;
  readonly signingAlgorithm?: string;
  readonly encryptionMode?: string;
  /** The start of the encrypted data key (base64) and its full length: never the whole blob. */
  readonly encryptedDataKey?: string;
  /** Entries of the description this tool has no name for, values shortened the same way. */
  readonly otherEntries?: Readonly<Record<string, string>>;
}

export function summarizeMaterials(item: Readonly<DynamoDbItem>): MaterialsSummary {
  const stored = item[ReservedAttributes.MATERIAL_DESCRIPTION];
  if (stored === undefined) {
    return item[ReservedAttributes.SIGNATURE] === undefined
      ? { provider: 'plaintext', providerText: 'none: plaintext (no signature, no material description)' }
      : { provider: 'unreadable', providerText: `a signature but no material description (damaged or tampered)` };
  }
  let description: Map<string, string>;
  try {
    if (stored.B === undefined) throw new Error('not binary');
    description = deserializeMaterialDescription(stored.B);
  } catch {
    return { provider: 'unreadable', providerText: `the material description cannot be read (damaged or tampered)` };
  }
  const entries = Object.fromEntries(description);
  const known = new Set<string>(Object.values(Keys));
  const otherEntries = Object.fromEntries(Object.entries(entries).filter(([name]) => !known.has(name)).map(([name, value]) => [name, shortened(value)]));
  const wrappedKey = entries[Keys.WRAPPED_KEY];
  const wrapping = entries[Keys.KEY_WRAPPING_ALGORITHM];
  const common = {
    keyWrappingAlgorithm: wrapping,
    contentKeyAlgorithm: entries[Keys.CONTENT_KEY_ALGORITHM],
    signingKeyAlgorithm: entries[Keys.SIGNING_KEY_ALGORITHM],
    signingAlgorithm: entries[Keys.SIGNING_ALGORITHM],
    encryptionMode: entries[Keys.SYMMETRIC_ENCRYPTION_MODE],
    encryptedDataKey: wrappedKey === undefined ? undefined : shortened(wrappedKey),
    ...(Object.keys(otherEntries).length === 0 ? {} : { otherEntries }),
  };
  const metaId = entries[Keys.META_ID];
  if (metaId !== undefined) {
    // `name#version`; the name itself may hold a '#', the version is after the last one.
    const split = metaId.lastIndexOf('#');
    const materialName = split < 0 ? metaId : metaId.slice(0, split);
    const version = split < 0 ? undefined : Number(metaId.slice(split + 1));
    return {
      provider: 'most-recent',
      providerText: `MetaStore (most-recent) material "${materialName}" version ${version ?? '?'}, data key wrapped with ${wrapping ?? 'an unnamed algorithm'}`,
      materialName,
      version,
      ...common,
    };
  }
  if (wrapping === 'kms' && wrappedKey !== undefined) {
    return { provider: 'direct-kms', providerText: 'Direct KMS (a KMS data key per item; which KMS key is known only to KMS)', ...common };
  }
  if (wrappedKey !== undefined) return { provider: 'wrapped', providerText: `wrapped (a content key per item wrapped with ${wrapping ?? 'an unnamed algorithm'})`, ...common };
  return { provider: 'static', providerText: 'static (keys used directly: no wrapped key in the description)', ...common };
}

function shortened(text: string): string {
  return text.length <= SHOWN_KEY_CHARACTERS ? text : `${text.slice(0, SHOWN_KEY_CHARACTERS)}... (${text.length} characters)`;
}
