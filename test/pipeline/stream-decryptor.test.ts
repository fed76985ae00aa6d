/**
 * StreamDecryptor in process, with in-memory targets: strict delivery order while decrypting
 * ahead with bounded concurrency, stop-at-first-failure with batchItemFailures from that record,
 * the time budget, FIFO group and deduplication ids, oversized messages, and the bounded
 * prefetch helper itself.
 */
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsTarget } from '../../src/pipeline/fan-out-sqs';
import { messageGroupId, type FanOutMessage, type FanOutTarget } from '../../src/pipeline/fan-out-target';
import { DeliveryError } from '../../src/pipeline/stream-errors';
import { StreamDecryptor } from '../../src/pipeline/stream-decryptor';
import { prefetchInOrder } from '../../src/pipeline/stream-prefetch';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { syntheticStreamRecord } from '../support/stream-events';

const TABLE = 'orders';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:111122223333:table/${TABLE}/stream/2024-01-01T00:00:00.000`;

class MemoryTarget implements FanOutTarget {
  readonly description = 'memory';
  readonly messages: FanOutMessage[] = [];
  constructor(private readonly failOn?: (count: number) => boolean) {}
  async deliver(message: FanOutMessage): Promise<void> {
    if (this.failOn?.(this.messages.length + 1) === true) throw new DeliveryError(this.description, 'InjectedFailure');
    this.messages.push(message);
  }
  get bodies(): Array<Record<string, any>> {
    return this.messages.map((message) => JSON.parse(message.body));
  }
}

const sequenceNumber = (index: number) => String(100 + index).padStart(21, '0');

function tableWith(provider: CryptographicMaterialsProvider): TableCrypto {
  return new TableCrypto(new TableInfo({ name: TABLE, primaryIndex: { partition: 'pk', sort: 'sk' } }), provider, new AttributeActions());
}

async function insertRecord(table: TableCrypto, index: number, pk: string, value: string) {
  const plain: DynamoDbItem = { pk: { S: pk }, sk: { N: String(index) }, value: { S: value } };
  return syntheticStreamRecord({
    eventID: `event-${index}`,
    eventName: 'INSERT',
    streamArn: STREAM_ARN,
    keys: { pk: { S: pk }, sk: { N: String(index) } },
    newImage: await table.encrypt(plain),
    sequenceNumber: sequenceNumber(index),
    approximateCreationDateTime: 1_700_000_000 + index,
  });
}

describe('StreamDecryptor', () => {
  const provider = freshStaticProvider();
  const table = tableWith(provider);
  const tables = { tableCrypto: async () => table };

  it('decrypts ahead with at most decryptConcurrency in flight but delivers strictly in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    // Decryption finishes in a random order: later records are often ready first.
    const slow: CryptographicMaterialsProvider = {
      encryptionMaterials: (context: EncryptionContext) => provider.encryptionMaterials(context),
      decryptionMaterials: async (context: EncryptionContext) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
        inFlight -= 1;
        return provider.decryptionMaterials(context);
      },
    };
    const records = await Promise.all(Array.from({ length: 40 }, (_, index) => insertRecord(table, index, `customer#${index % 3}`, `v${index}`)));
    const target = new MemoryTarget();
    const decryptor = new StreamDecryptor({
      tables: { tableCrypto: async () => tableWith(slow) },
      targets: [target],
      deadLetter: new MemoryTarget(),
      plaintextRecords: 'dead-letter',
      decryptConcurrency: 4,
    });
    const result = await decryptor.process({ Records: records });
    expect(result).toMatchObject({ batchItemFailures: [], records: 40, delivered: 40, deadLettered: [] });
    expect(target.bodies.map((body) => body.newImage.value.S)).toEqual(records.map((_, index) => `v${index}`));
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('gives FIFO targets one message group per table and partition key, and the eventID to deduplicate', async () => {
    const records = [await insertRecord(table, 0, 'customer#1', 'a'), await insertRecord(table, 1, 'customer#1', 'b'), await insertRecord(table, 2, 'customer#2', 'c')];
    const target = new MemoryTarget();
    await new StreamDecryptor({ tables, targets: [target], deadLetter: new MemoryTarget(), plaintextRecords: 'dead-letter' }).process({ Records: records });
    const [first, second, third] = target.messages;
    expect(first.groupId).toBe(second.groupId);
    expect(first.groupId).not.toBe(third.groupId);
    expect(first.groupId).toBe(messageGroupId(TABLE, { S: 'customer#1' }));
    expect(first.groupId).toMatch(/^[0-9a-f]{64}$/); // within SQS's 128 characters, no key value in it
    expect(target.messages.map((message) => message.deduplicationId)).toEqual(['event-0', 'event-1', 'event-2']);
    expect(first.kind).toBe('INSERT');
    expect(first.time).toEqual(new Date(1_700_000_000 * 1000));
  });

  it('stops at the first failed delivery: that record and all later ones are reported, none after it is sent', async () => {
    const records = await Promise.all(Array.from({ length: 6 }, (_, index) => insertRecord(table, index, `customer#${index}`, `v${index}`)));
    const healthy = new MemoryTarget();
    const failing = new MemoryTarget((count) => count === 3);
    const decryptor = new StreamDecryptor({ tables, targets: [healthy, failing], deadLetter: new MemoryTarget(), plaintextRecords: 'dead-letter' });
    const result = await decryptor.process({ Records: records });
    expect(result.batchItemFailures).toEqual([2, 3, 4, 5].map((index) => ({ itemIdentifier: sequenceNumber(index) })));
    expect(result.stoppedAt).toMatchObject({ sequenceNumber: sequenceNumber(2), errorName: 'InjectedFailure', deliveryFailure: true });
    expect(result.delivered).toBe(2);
    expect(failing.bodies.map((body) => body.sequenceNumber)).toEqual([sequenceNumber(0), sequenceNumber(1)]);
    // The healthy target took record 2 (targets run side by side); the retry sends it again: at least once.
    expect(healthy.bodies.map((body) => body.sequenceNumber)).toEqual([0, 1, 2].map(sequenceNumber));
  });

  it('reports the records it has no time left for', async () => {
    const records = await Promise.all(Array.from({ length: 4 }, (_, index) => insertRecord(table, index, `customer#${index}`, `v${index}`)));
    const target = new MemoryTarget();
    const decryptor = new StreamDecryptor({ tables, targets: [target], deadLetter: new MemoryTarget(), plaintextRecords: 'dead-letter' });
    const result = await decryptor.process({ Records: records }, { shouldStop: () => target.messages.length >= 2 });
    expect(result.batchItemFailures).toEqual([2, 3].map((index) => ({ itemIdentifier: sequenceNumber(index) })));
    expect(result.stoppedAt).toMatchObject({ errorName: 'TimeBudgetExhausted', deliveryFailure: false });
    // The first record is always attempted, so even a batch that starts late makes progress.
    const late = await decryptor.process({ Records: records }, { shouldStop: () => true });
    expect(late.batchItemFailures).toEqual([1, 2, 3].map((index) => ({ itemIdentifier: sequenceNumber(index) })));
  });

  it('dead-letters a record whose message is over the size limit', async () => {
    const records = [await insertRecord(table, 0, 'customer#1', 'x'.repeat(2000)), await insertRecord(table, 1, 'customer#1', 'small')];
    const target = new MemoryTarget();
    const deadLetter = new MemoryTarget();
    const decryptor = new StreamDecryptor({ tables, targets: [target], deadLetter, plaintextRecords: 'dead-letter', maxMessageBytes: 1500 });
    const result = await decryptor.process({ Records: records });
    expect(result.batchItemFailures).toEqual([]);
    expect(deadLetter.bodies).toEqual([expect.objectContaining({ errorName: 'MessageTooLargeError', keys: { pk: { S: 'customer#1' }, sk: { N: '0' } } })]);
    expect(deadLetter.messages[0].body).not.toContain('xxxxxxxx');
    expect(target.bodies.map((body) => body.newImage.value.S)).toEqual(['small']);
  });

  it('escapes the characters SQS refuses in a message body, so a record holding one reaches the queue instead of blocking the shard', async () => {
    // U+FFFE and U+FFFF are valid in a DynamoDB string; SQS answers InvalidMessageContents to them.
    const awkward = 'a\uFFFEb\uFFFFc\u0001d\u{1F600}e\uFDD0';
    const sent: Array<{ QueueUrl: string; MessageBody: string }> = [];
    const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    sqs.middlewareStack.add(
      () => async (args) => {
        const input = args.input as { QueueUrl: string; MessageBody: string };
        // SQS's rule: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
        if (/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(input.MessageBody)) {
          throw Object.assign(new Error('Invalid binary character'), { name: 'InvalidMessageContents', $metadata: { httpStatusCode: 400 } });
        }
        sent.push(input);
        return { output: { MessageId: String(sent.length), $metadata: {} }, response: {} } as never;
      },
      { step: 'initialize', name: 'actLikeSqs' },
    );
    const queue = 'https://sqs.us-east-1.amazonaws.com/111122223333/decrypted';
    const deadLetterQueue = 'https://sqs.us-east-1.amazonaws.com/111122223333/dead-letter';
    const keys = { pk: { S: awkward }, sk: { N: '1' } };
    const records = [
      syntheticStreamRecord({ eventID: 'event-0', eventName: 'INSERT', streamArn: STREAM_ARN, keys, newImage: await table.encrypt({ ...keys, value: { S: awkward } }), sequenceNumber: sequenceNumber(0) }),
      // Plaintext, dead-lettered with its keys: the dead-letter message carries the characters too.
      syntheticStreamRecord({ eventID: 'event-1', eventName: 'INSERT', streamArn: STREAM_ARN, keys, newImage: { ...keys, value: { S: 'plain' } }, sequenceNumber: sequenceNumber(1) }),
    ];
    const decryptor = new StreamDecryptor({ tables, targets: [new SqsTarget(sqs, queue)], deadLetter: new SqsTarget(sqs, deadLetterQueue), plaintextRecords: 'dead-letter' });
    const result = await decryptor.process({ Records: records });
    expect(result).toMatchObject({ batchItemFailures: [], delivered: 1, deadLettered: [{ errorName: 'PlaintextRecordError' }] });
    expect(sent.map((message) => message.QueueUrl)).toEqual([queue, deadLetterQueue]);
    const [delivered, deadLettered] = sent.map((message) => JSON.parse(message.MessageBody) as Record<string, any>);
    // The same JSON: every value reads back exactly; characters SQS takes are left as they are.
    expect(delivered.newImage).toEqual({ ...keys, value: { S: awkward } });
    expect(deadLettered.keys).toEqual(keys);
    expect(sent[0].MessageBody).toContain('a\\ufffeb\\uffffc\\u0001d\u{1F600}e\uFDD0');
  });

  it('refuses incomplete options with typed errors', () => {
    const deadLetter = new MemoryTarget();
    expect(() => new StreamDecryptor({ tables, targets: [], deadLetter, plaintextRecords: 'dead-letter' })).toThrow('at least one target');
    expect(() => new StreamDecryptor({ tables, targets: [deadLetter], deadLetter, plaintextRecords: 'drop' as never })).toThrow('plaintextRecords');
    expect(() => new StreamDecryptor({ tables, targets: [deadLetter], deadLetter, plaintextRecords: 'dead-letter', decryptConcurrency: 0 })).toThrow('decryptConcurrency');
  });
});

describe('prefetchInOrder', () => {
  it('keeps at most `concurrency` calls ahead and stops starting work when the consumer stops', async () => {
    const started: number[] = [];
    const results: number[] = [];
    for await (const value of prefetchInOrder([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, async (item) => {
      started.push(item);
      await new Promise((resolve) => setTimeout(resolve, (10 - item) * 2));
      return item * 10;
    })) {
      results.push(value);
      expect(started.length).toBeLessThanOrEqual(results.length + 2);
      if (value === 40) break;
    }
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
