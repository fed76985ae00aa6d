import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { marshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { unmarshallAttributes } from '../encryptor/native-item-encryptor';
import type { DynamoDbItem } from '../format/attribute-value';
import { marshallingFailure } from '../format/marshalling-failure';
import { returnedItemHolders } from './condition-failure';

/** A map of attributes in native JavaScript values, as `@aws-sdk/lib-dynamodb` takes and returns them. */
export type NativeAttributeMap = Record<string, NativeAttributeValue>;

/** The legacy condition and update shapes (Expected, KeyConditions, QueryFilter, ScanFilter, AttributeUpdates). */
interface NativeCondition {
  readonly Value?: NativeAttributeValue;
  readonly AttributeValueList?: readonly NativeAttributeValue[];
}

type AttributeCondition<C> = Omit<C, 'Value' | 'AttributeValueList'> & { Value?: AttributeValue; AttributeValueList?: AttributeValue[] };

/**
 * Converts between native values and `AttributeValue`s exactly where `@aws-sdk/lib-dynamodb`
 * does, with a document client's `translateConfig`: value by value, so that a top-level
 * `undefined` attribute is dropped (as lib-dynamodb drops it) and containers stay wrapped in
 * `M` / `L`. The encrypted clients need the `AttributeValue` form because that is what is signed.
 */
export class DocumentTranslation {
  private readonly marshallOptions: NonNullable<TranslateConfig['marshallOptions']>;
  private readonly unmarshallOptions: NonNullable<TranslateConfig['unmarshallOptions']>;

  /**
   * @param tableName the table the values belong to, named in conversion errors (which never
   *   quote a value: it may be plaintext).
   */
  constructor(
    private readonly translateConfig: TranslateConfig | undefined,
    private readonly tableName?: string,
  ) {
    // Copies: lib-dynamodb writes its defaults into the caller's option objects; we do not.
    this.marshallOptions = { ...translateConfig?.marshallOptions, convertTopLevelContainer: true };
    this.unmarshallOptions = { ...translateConfig?.unmarshallOptions };
  }

  /** The same conversions for the values of another table (batch and transaction requests). */
  forTable(tableName: string | undefined): DocumentTranslation {
    return new DocumentTranslation(this.translateConfig, tableName);
  }

  toAttributeValue(value: NativeAttributeValue): AttributeValue {
    return marshall(value, this.marshallOptions) as AttributeValue;
  }

  toAttributeMap(values: NativeAttributeMap): DynamoDbItem;
  toAttributeMap(values: NativeAttributeMap | undefined): DynamoDbItem | undefined;
  toAttributeMap(values: NativeAttributeMap | undefined): DynamoDbItem | undefined {
    if (values === undefined) return undefined;
    const attributes: DynamoDbItem = {};
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined || typeof value === 'function') continue;
      attributes[name] = this.toAttributeValueOf(name, value);
    }
    return attributes;
  }

  /** `toAttributeValue`, with a failure turned into a SerializationError naming the attribute and table, not the value. */
  private toAttributeValueOf(attributeName: string, value: NativeAttributeValue): AttributeValue {
    try {
      return this.toAttributeValue(value);
    } catch {
      throw marshallingFailure(value, { tableName: this.tableName, attributeName });
    }
  }

  toNativeMap(attributes: DynamoDbItem): NativeAttributeMap;
  toNativeMap(attributes: DynamoDbItem | undefined): NativeAttributeMap | undefined;
  toNativeMap(attributes: DynamoDbItem | undefined): NativeAttributeMap | undefined {
    if (attributes === undefined) return undefined;
    return unmarshallAttributes(attributes, this.unmarshallOptions, this.tableName) as NativeAttributeMap;
  }

  /**
   * Awaits a request and, when it fails with a condition failure carrying stored items (already
   * verified and decrypted), rethrows the same error with those items in native values. An item
   * that cannot be converted (a number needing `wrapNumbers`) is left out rather than replacing
   * the condition failure, which callers catch by name, with a conversion error.
   */
  async nativeConditionFailure<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      for (const { holder } of returnedItemHolders(error)) {
        try {
          holder.Item = this.toNativeMap(holder.Item as DynamoDbItem);
        } catch {
          holder.Item = undefined;
        }
      }
      throw error;
    }
  }

  toNativeMaps(items: readonly DynamoDbItem[] | undefined): NativeAttributeMap[] | undefined {
    return items?.map((item) => this.toNativeMap(item));
  }

  toAttributeConditions<C extends NativeCondition>(conditions: Readonly<Record<string, C>> | undefined): Record<string, AttributeCondition<C>> | undefined {
    if (conditions === undefined) return undefined;
    const converted: Record<string, AttributeCondition<C>> = {};
    for (const [name, condition] of Object.entries(conditions)) {
      const { Value, AttributeValueList, ...rest } = condition;
      converted[name] = {
        ...rest,
        ...(Value === undefined ? {} : { Value: this.toAttributeValueOf(name, Value) }),
        ...(AttributeValueList === undefined ? {} : { AttributeValueList: AttributeValueList.map((value) => this.toAttributeValueOf(name, value)) }),
      };
    }
    return converted;
  }

  /** `ItemCollectionMetrics` as lib-dynamodb returns it: the collection key in native values. */
  toNativeMetrics<M extends { ItemCollectionKey?: DynamoDbItem }>(metrics: M | undefined): (Omit<M, 'ItemCollectionKey'> & { ItemCollectionKey?: NativeAttributeMap }) | undefined {
    if (metrics === undefined) return undefined;
    return { ...metrics, ItemCollectionKey: this.toNativeMap(metrics.ItemCollectionKey) };
  }

  toNativeMetricsByTable<M extends { ItemCollectionKey?: DynamoDbItem }>(
    metrics: Record<string, M[]> | undefined,
  ): Record<string, Array<Omit<M, 'ItemCollectionKey'> & { ItemCollectionKey?: NativeAttributeMap }>> | undefined {
    if (metrics === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(metrics).map(([tableName, list]) => [tableName, list.map((entry) => this.toNativeMetrics(entry)!)]),
    );
  }
}
