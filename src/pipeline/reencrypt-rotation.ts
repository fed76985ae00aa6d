import { InvalidArgumentError } from '../errors';
import { metaStoreFor, type AwsClients } from './materials-from-config';
import type { MaterialsConfig } from './pipeline-config';

/**
 * Materials rotation before a re-encryption: `{ "rotateMaterials": true }` asks for a new
 * MetaStore version of the configured material, which the re-encryption that follows then moves
 * every item to. Started, for instance, when KMS rotates the key that protects the MetaStore:
 * the new version's keys are then wrapped under the new key material.
 *
 * Direct KMS has nothing to rotate here: after a KMS rotation the key ARN is the same and KMS
 * keeps decrypting older data keys; moving to another key is a configuration change (the new key
 * current, the old one allowed) followed by a re-encryption.
 */

export interface MaterialsRotationResult {
  readonly materialName: string;
  /** The version created (or the one a concurrent rotation created first). */
  readonly version: number;
}

export class MaterialsRotationError extends InvalidArgumentError {}

/** Whether a re-encryption event asks for a materials rotation rather than a segment. */
export function isMaterialsRotationRequest(event: unknown): boolean {
  return event !== null && typeof event === 'object' && (event as { rotateMaterials?: unknown }).rotateMaterials === true;
}

export async function rotateMaterials(materials: MaterialsConfig, clients: AwsClients): Promise<MaterialsRotationResult> {
  if (materials.kind !== 'most-recent') {
    throw new MaterialsRotationError(
      'rotateMaterials needs most-recent materials: Direct KMS items stay readable under a rotated KMS key; to change keys, make the new key current, keep the old one allowed, and re-encrypt',
    );
  }
  const provider = await metaStoreFor(materials, clients).newProvider(materials.materialName);
  return { materialName: materials.materialName, version: provider.version };
}
