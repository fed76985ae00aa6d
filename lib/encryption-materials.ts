import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';

/** Options of `EncryptionMaterials.mostRecent`. */
export interface MostRecentMaterialsOptions {
  /**
   * The MetaStore table holding the versioned materials (partition key `N` string, sort key `V`
   * number), for materials shared with other applications.
   * @default - a new MetaStore table is created
   */
  readonly existingMetaStoreTable?: ITable;
  /**
   * The material name in the MetaStore.
   * @default - the encrypted table's name
   */
  readonly materialName?: string;
  /**
   * How long a handler uses the newest version before asking the MetaStore again; also how long
   * a revoked KMS permission can go unnoticed by a warm Lambda.
   * @default Duration.minutes(5)
   */
  readonly versionTtl?: Duration;
}

/**
 * Which materials provider the pipeline handlers use (`FORMAT.md` §8.3, §8.4).
 *
 * - `directKms()`: one KMS GenerateDataKey per item written and one Decrypt per item read;
 *   simplest, and each item's key is tied to its primary key by the KMS encryption context.
 * - `mostRecent()`: materials versions stored in a MetaStore table, encrypted under the KMS key;
 *   one KMS call per version per warm Lambda, for high-volume tables.
 */
export class EncryptionMaterials {
  static directKms(): EncryptionMaterials {
    return new EncryptionMaterials('direct-kms', {});
  }

  static mostRecent(options: MostRecentMaterialsOptions = {}): EncryptionMaterials {
    return new EncryptionMaterials('most-recent', options);
  }

  private constructor(
    /** `direct-kms` or `most-recent`, as the handlers' configuration names it. */
    readonly kind: 'direct-kms' | 'most-recent',
    /** Set for `mostRecent` only. */
    readonly mostRecentOptions: MostRecentMaterialsOptions,
  ) {}
}
