import type { TableCrypto } from '../encrypted/table-crypto';
import { DynamoDbEncryptionError, KmsError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import type { PlaintextRecordPolicy } from './pipeline-config';
import { deduplicationId, messageGroupId, type FanOutMessage } from './fan-out-target';
import { EncryptionDowngradeError, MessageTooLargeError, PlaintextRecordError } from './stream-errors';
import { deadLetterMessage, messageJson, streamMessage } from './stream-message';
import { identityOf, parseStreamRecord, type ParsedStreamRecord, type RecordIdentity } from './stream-record';

/** Where a table's crypto configuration comes from; an `EncryptedClient` is one. */
export interface StreamTables {
  tableCrypto(tableName: string): Promise<TableCrypto>;
}

/** What to do with one record, decided before anything is sent. */
export type RecordOutcome =
  /**
   * Verified and decrypted (or plaintext passed through by policy, or a plaintext OldImage left
   * out under a verified NewImage): send to every target.
   */
  | { readonly kind: 'deliver'; readonly identity: RecordIdentity; readonly message: FanOutMessage; readonly passedThrough: boolean }
  /** The record itself is bad (tampered, downgraded to plaintext, plaintext by policy, malformed, too large): send to the dead-letter queue. */
  | { readonly kind: 'dead-letter'; readonly identity: RecordIdentity; readonly error: DynamoDbEncryptionError; readonly message: FanOutMessage }
  /** Something outside the record failed (KMS, DescribeTable): the record must be tried again later. */
  | { readonly kind: 'retry'; readonly identity: RecordIdentity; readonly error: unknown };

export interface StreamRecordDecryptorOptions {
  readonly tables: StreamTables;
  readonly plaintextRecords: PlaintextRecordPolicy;
  /** Messages above this many bytes are dead-lettered: no target would take them. */
  readonly maxMessageBytes: number;
}

/**
 * Turns one stream record into an outcome: verifies and decrypts its images, applies the
 * plaintext policy, and tells a problem with the item (dead-letter, the shard moves on) from a
 * problem with the environment (retry, the shard waits).
 */
export class StreamRecordDecryptor {
  constructor(private readonly options: StreamRecordDecryptorOptions) {}

  async prepare(record: unknown): Promise<RecordOutcome> {
    const identity = identityOf(record);
    let table: TableCrypto | undefined;
    try {
      const parsed = parseStreamRecord(record);
      table = await this.options.tables.tableCrypto(parsed.tableName);
      const newIsPlaintext = parsed.newImage !== undefined && isPlaintext(parsed.newImage);
      if (newIsPlaintext && parsed.oldImage !== undefined && !isPlaintext(parsed.oldImage)) {
        throw new EncryptionDowngradeError(
          "the record's NewImage is not encrypted (no signature, no material description) while its OldImage is: an encrypted item was replaced by a plaintext one",
          { tableName: parsed.tableName },
        );
      }
      // NewImage is the item's state now; once it verifies, a plaintext OldImage only says the
      // item was not encrypted before (every item a backfill touches), and is left out.
      const oldMayBeLeftOut = parsed.newImage !== undefined && !newIsPlaintext;
      const [newImage, oldImage] = await Promise.all([
        this.image(parsed.newImage, 'NewImage', table, false),
        this.image(parsed.oldImage, 'OldImage', table, oldMayBeLeftOut),
      ]);
      const unverified = [...(newImage.verified ? [] : ['newImage' as const]), ...(oldImage.verified ? [] : ['oldImage' as const])];
      const body = messageJson(streamMessage(parsed, newImage.item, oldImage.item, unverified));
      const bytes = Buffer.byteLength(body);
      if (bytes > this.options.maxMessageBytes) {
        throw new MessageTooLargeError(`the decrypted record is ${bytes} bytes, over the targets' ${this.options.maxMessageBytes}-byte limit`, {
          tableName: parsed.tableName,
        });
      }
      const passedThrough = [newImage, oldImage].some((image) => !image.verified && image.item !== undefined);
      return { kind: 'deliver', identity, message: this.fanOutMessage(parsed, identity, table, body), passedThrough };
    } catch (error) {
      if (!isItemProblem(error)) return { kind: 'retry', identity, error };
      const body = messageJson(deadLetterMessage(identity, error));
      return { kind: 'dead-letter', identity, error, message: this.fanOutMessage(undefined, identity, table, body) };
    }
  }

  /**
   * One image, verified and decrypted. A plaintext one is delivered as read (`pass-through`),
   * left out when `mayLeaveOut`, or dead-letters the record; either of the first two is
   * `verified: false`.
   */
  private async image(
    image: DynamoDbItem | undefined,
    which: 'NewImage' | 'OldImage',
    table: TableCrypto,
    mayLeaveOut: boolean,
  ): Promise<{ item?: DynamoDbItem; verified: boolean }> {
    if (image === undefined) return { verified: true };
    if (!isPlaintext(image)) return { item: await table.decrypt(image), verified: true };
    if (this.options.plaintextRecords === 'pass-through') return { item: image, verified: false };
    if (mayLeaveOut) return { verified: false };
    throw new PlaintextRecordError(`the record's ${which} is not encrypted (no signature, no material description) and plaintext records are dead-lettered`, {
      tableName: table.tableName,
    });
  }

  private fanOutMessage(parsed: ParsedStreamRecord | undefined, identity: RecordIdentity, table: TableCrypto | undefined, body: string): FanOutMessage {
    const tableName = parsed?.tableName ?? identity.tableName ?? '';
    const partitionKeyName = table?.tableInfo.primaryIndex.partition;
    // Without the table's key schema (malformed record, unknown table) all keys make the group.
    const partitionKey = partitionKeyName === undefined ? identity.keys : identity.keys?.[partitionKeyName];
    const created = parsed?.approximateCreationDateTime;
    return {
      body,
      groupId: messageGroupId(tableName, partitionKey),
      deduplicationId: deduplicationId(identity.eventID, identity.sequenceNumber),
      kind: parsed?.eventName ?? 'DeadLetter',
      time: created === undefined ? undefined : new Date(created * 1000),
    };
  }
}

/**
 * Never encrypted: neither reserved attribute is there. An item with only one of them was
 * tampered with, and decrypting it reports so.
 */
function isPlaintext(image: DynamoDbItem): boolean {
  return !Object.hasOwn(image, ReservedAttributes.SIGNATURE) && !Object.hasOwn(image, ReservedAttributes.MATERIAL_DESCRIPTION);
}

/**
 * The library's errors are about the item (signature, description, ciphertext, shape), except
 * KMS failures, which are about KMS (unreachable, throttling, access) and pass with time. A
 * KMS refusal of the item's wrapped key (wrong context, another key wrapped it) is an
 * UnwrappingError, hence an item problem; KMS denying the caller the key (AccessDenied: a lost
 * role, grant or key policy) is a KmsError, retried: dead-lettering it would drop every record
 * of the outage. Anything else (DescribeTable, MetaStore reads over the network) is retried too.
 */
function isItemProblem(error: unknown): error is DynamoDbEncryptionError {
  return error instanceof DynamoDbEncryptionError && !(error instanceof KmsError);
}
