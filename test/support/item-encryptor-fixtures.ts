/** Shared fixtures for the item-encryptor and provider tests: keys, configs, hand-built items. */
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import { buildStringToSign } from '../../src/encryptor/string-to-sign';
import { sign } from '../../src/crypto/signature';
import type { LocalKey } from '../../src/crypto/local-key';
import type { CanonicalOrdering, DynamoDbItem } from '../../src/format/attribute-value';
import { deserializeMaterialDescription, serializeMaterialDescription } from '../../src/format/material-description';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { vectorKey } from '../crypto/helpers';

export const TABLE = 'OrdersTable';
export const SIG = ReservedAttributes.SIGNATURE;
export const DESC = ReservedAttributes.MATERIAL_DESCRIPTION;

export const aesKey = (): LocalKey => vectorKey('aesKey');
export const hmacKey = (): LocalKey => vectorKey('hmacKey');

export const KEYED_CONTEXT: EncryptionContext = { tableName: TABLE, partitionKeyName: 'pk', sortKeyName: 'sk' };

/** Static provider over the shared vector AES + HMAC keys (or the keys given). */
export function staticProvider(
  options: { encryptionKey?: LocalKey | null; decryptionKey?: LocalKey | null; signingKey?: LocalKey; description?: Record<string, string> } = {},
): StaticMaterialsProvider {
  const signingKey = options.signingKey ?? hmacKey();
  const encryptionKey = options.encryptionKey === null ? undefined : (options.encryptionKey ?? aesKey());
  const decryptionKey = options.decryptionKey === null ? undefined : (options.decryptionKey ?? aesKey());
  return new StaticMaterialsProvider({
    encryptionMaterials: new RawEncryptionMaterials({ signingKey, encryptionKey, materialDescription: options.description }),
    decryptionMaterials: new RawDecryptionMaterials({ verificationKey: signingKey, decryptionKey }),
  });
}

/** ENCRYPT_AND_SIGN by default, keys SIGN_ONLY (what the README example configures). */
export function keyedActions(overrides: Record<string, CryptoAction> = {}): AttributeActions {
  return new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: overrides }).setIndexKeys('pk', 'sk');
}

export function makeConfig(
  materialsProvider: CryptographicMaterialsProvider = staticProvider(),
  attributeActions: AttributeActions = keyedActions(),
  encryptionContext: EncryptionContext = KEYED_CONTEXT,
): CryptoConfig {
  return { materialsProvider, attributeActions, encryptionContext };
}

export function descriptionOf(item: Readonly<DynamoDbItem>): Record<string, string> {
  const value = item[DESC];
  if (value?.B === undefined) throw new Error('item has no binary material description');
  return Object.fromEntries(deserializeMaterialDescription(value.B));
}

/** A copy of `item` with its description replaced (the description is not signed). */
export function withDescription(item: Readonly<DynamoDbItem>, description: Record<string, string>): DynamoDbItem {
  return { ...item, [DESC]: { B: serializeMaterialDescription(description) } };
}

/**
 * Assembles a stored item by hand: signs `storedAttributes` (already encrypted where needed) with
 * `signingKey` over the given table block and ordering, and adds the description and signature.
 */
export function signByHand(
  storedAttributes: Readonly<DynamoDbItem>,
  options: {
    actions: AttributeActions;
    tableBlock: string;
    ordering: CanonicalOrdering;
    signingKey?: LocalKey;
    description?: Record<string, string>;
  },
): DynamoDbItem {
  const stringToSign = buildStringToSign(storedAttributes, options.tableBlock, options.actions, options.ordering);
  const signature = sign(options.signingKey ?? hmacKey(), stringToSign);
  return {
    ...storedAttributes,
    [DESC]: { B: serializeMaterialDescription(options.description ?? {}) },
    [SIG]: { B: signature },
  };
}

/** Runs `work` and returns what it threw or rejected with; fails the test if it succeeded. */
export async function caught(work: () => unknown): Promise<Error> {
  let result: unknown;
  try {
    result = await work();
  } catch (error) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    return error;
  }
  throw new Error(`expected a failure, got a result: ${JSON.stringify(Object.keys(Object(result)))}`);
}

/** Every text an error exposes to a log line: its message, its stack and its cause chain. */
export function exposedText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    parts.push(String(current));
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      break;
    }
  }
  return parts.join('\n');
}

/** Deep copy of an item (Uint8Array values included), to check inputs are left unchanged. */
export function cloneItem(item: Readonly<DynamoDbItem>): DynamoDbItem {
  return structuredClone(item) as DynamoDbItem;
}
