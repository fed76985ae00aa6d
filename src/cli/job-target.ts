import { NoKnownVersionError } from '../providers/provider-store';
import { metaStoreFor, type AwsClients } from '../pipeline/materials-from-config';
import type { MaterialsConfig } from '../pipeline/pipeline-config';

export type JobCommand = 'encrypt-table' | 'reencrypt';

/**
 * The materials a job moves items to. A checkpoint is only valid for the same target: one
 * left by an earlier rotation says "complete" about items that are not under the new key.
 */
export type MaterialsTarget =
  | { readonly kind: 'direct-kms'; readonly kmsKeyId: string; readonly allowedKmsKeyIds: readonly string[] }
  | {
      readonly kind: 'most-recent';
      readonly metaStoreTableName: string;
      readonly materialName: string;
      /**
       * The newest version when the job started: a rotation keeps the table and material name
       * and adds a version. Null when the material had none (the job's first write makes 0).
       */
      readonly version: number | null;
    };

export interface JobTarget {
  readonly command: JobCommand;
  readonly materials: MaterialsTarget;
}

/** The target of a job starting now; for most-recent materials the MetaStore is asked its newest version. */
export async function jobTarget(command: JobCommand, materials: MaterialsConfig, clients: AwsClients): Promise<JobTarget> {
  if (materials.kind === 'direct-kms') {
    return { command, materials: { kind: materials.kind, kmsKeyId: materials.kmsKeyId, allowedKmsKeyIds: [...(materials.allowedKmsKeyIds ?? [])] } };
  }
  let version: number | null;
  try {
    version = await metaStoreFor(materials, clients).maxVersion(materials.materialName);
  } catch (error) {
    if (!(error instanceof NoKnownVersionError)) throw error;
    version = null;
  }
  return { command, materials: { kind: materials.kind, metaStoreTableName: materials.metaStoreTableName, materialName: materials.materialName, version } };
}

/** Whether a saved job may be resumed by a run with `given` target. */
export function sameTarget(saved: MaterialsTarget, given: MaterialsTarget): boolean {
  if (saved.kind === 'direct-kms' || given.kind === 'direct-kms') {
    return saved.kind === 'direct-kms' && given.kind === 'direct-kms' && saved.kmsKeyId === given.kmsKeyId && sameSet(saved.allowedKmsKeyIds, given.allowedKmsKeyIds);
  }
  // A job that found no version made version 0 with its first write; any other change is a rotation.
  const sameVersion = saved.version === given.version || (saved.version === null && (given.version === 0 || given.version === null));
  return saved.metaStoreTableName === given.metaStoreTableName && saved.materialName === given.materialName && sameVersion;
}

/** For messages: which materials, as the flags name them. */
export function targetText(target: MaterialsTarget): string {
  if (target.kind === 'direct-kms') {
    const allowed = target.allowedKmsKeyIds.length === 0 ? 'any key allowed' : `allowed ${target.allowedKmsKeyIds.join(',')}`;
    return `KMS key ${target.kmsKeyId} (${allowed})`;
  }
  const version = target.version === null ? 'no version yet' : `newest version ${target.version}`;
  return `MetaStore ${target.metaStoreTableName} material "${target.materialName}" (${version})`;
}

export function targetFromJson(value: unknown): MaterialsTarget | undefined {
  const fields = (value ?? {}) as Record<string, unknown>;
  const strings = (list: unknown) => (Array.isArray(list) && list.every((entry) => typeof entry === 'string') ? (list as string[]) : undefined);
  if (fields.kind === 'direct-kms') {
    const allowedKmsKeyIds = strings(fields.allowedKmsKeyIds);
    if (typeof fields.kmsKeyId !== 'string' || allowedKmsKeyIds === undefined) return undefined;
    return { kind: 'direct-kms', kmsKeyId: fields.kmsKeyId, allowedKmsKeyIds };
  }
  if (fields.kind === 'most-recent') {
    const { metaStoreTableName, materialName, version } = fields;
    if (typeof metaStoreTableName !== 'string' || typeof materialName !== 'string' || !(version === null || Number.isSafeInteger(version))) return undefined;
    return { kind: 'most-recent', metaStoreTableName, materialName, version: version as number | null };
  }
  return undefined;
}

function sameSet(left: readonly string[], right: readonly string[]): boolean {
  const sorted = (list: readonly string[]) => [...new Set(list)].sort().join(',');
  return sorted(left) === sorted(right);
}
