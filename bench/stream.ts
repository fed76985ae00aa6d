/**
 * `stream-decrypt`: records per second of StreamDecryptor in process (for `npm run bench --
 * pipeline`): 2,000 stream records shaped as Lambda delivers them (DynamoDB JSON, binary as
 * base64), made from items really encrypted with a WrappedMaterialsProvider (AES-256 key wrap,
 * HmacSHA256); 50% INSERT, 30% MODIFY (two images to verify and decrypt), 20% REMOVE (old image),
 * the standard bench item of bench/core.ts. Processed in Lambda-sized batches of 100 with the
 * default decrypt concurrency, delivered to a target that only counts, so the figure is the
 * engine's own cost: parsing, verifying, decrypting, building and ordering the messages.
 * BENCH_ROUNDS (default 3) after one warm-up pass: figures are the best round, the ratio the
 * median of the ratios within a round (RoundFigures in bench/figures.ts).
 *
 * In the same rounds, `stream-decrypt-ceiling` decrypts the same images already in SDK form
 * (the item encryptor alone, nothing else) and reports it in records/s: the figure the fan-out
 * cannot beat on this machine, and `stream-decrypt-to-ceiling` the share of it the fan-out
 * reaches (a ratio, steadier than either figure on a busy machine).
 */
import { LocalKey } from '../src/crypto/local-key';
import { TableCrypto } from '../src/encrypted/table-crypto';
import { TableInfo } from '../src/encrypted/table-info';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import type { DynamoDbItem } from '../src/format/attribute-value';
import { itemFromJson } from '../src/format/dynamodb-json';
import type { FanOutMessage, FanOutTarget } from '../src/pipeline/fan-out-target';
import { StreamDecryptor } from '../src/pipeline/stream-decryptor';
import { WrappedMaterialsProvider } from '../src/providers/wrapped-provider';
import { syntheticStreamRecord } from '../test/support/stream-events';
import { standardItem } from './core';
import { RoundFigures, type Emit } from './figures';

const RECORDS = 2_000;
const BATCH_SIZE = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TABLE = 'bench-stream';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:111122223333:table/${TABLE}/stream/2024-01-01T00:00:00.000`;

/** Takes every message and only counts it. */
class CountingTarget implements FanOutTarget {
  readonly description = 'counter';
  count = 0;
  async deliver(message: FanOutMessage): Promise<void> {
    if (message.body.length > 0) this.count += 1;
  }
}

function wrappedTable(): TableCrypto {
  const wrappingKey = LocalKey.generateAes(256);
  const signingKey = LocalKey.generateHmac('HmacSHA256', 32);
  const provider = new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey });
  return new TableCrypto(new TableInfo({ name: TABLE, primaryIndex: { partition: 'pk', sort: 'sk' } }), provider, new AttributeActions());
}

async function streamRecords(table: TableCrypto): Promise<unknown[]> {
  const records: unknown[] = [];
  for (let index = 0; index < RECORDS; index += 1) {
    const plain: DynamoDbItem = { ...standardItem(), pk: { S: `customer#${index % 500}` }, sk: { N: String(index) } };
    const kind = index % 10 < 5 ? 'INSERT' : index % 10 < 8 ? 'MODIFY' : 'REMOVE';
    records.push(
      syntheticStreamRecord({
        eventID: `event-${index}`,
        eventName: kind,
        streamArn: STREAM_ARN,
        keys: { pk: plain.pk, sk: plain.sk },
        newImage: kind === 'REMOVE' ? undefined : await table.encrypt(plain),
        oldImage: kind === 'INSERT' ? undefined : await table.encrypt({ ...plain, attr00: { S: 'y'.repeat(90) } }),
        sequenceNumber: String(index + 1).padStart(21, '0'),
        sizeBytes: 1_000,
      }),
    );
  }
  return records;
}

export async function measureStreamDecrypt(emit: Emit): Promise<void> {
  const table = wrappedTable();
  const records = await streamRecords(table);
  const target = new CountingTarget();
  const deadLetter = new CountingTarget();
  const decryptor = new StreamDecryptor({ tables: { tableCrypto: async () => table }, targets: [target], deadLetter, plaintextRecords: 'dead-letter' });
  const pass = async (): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let start = 0; start < records.length; start += BATCH_SIZE) {
      const result = await decryptor.process({ Records: records.slice(start, start + BATCH_SIZE) });
      if (result.batchItemFailures.length > 0 || result.deadLettered.length > 0) throw new Error('the bench records must all be delivered');
    }
    return records.length / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  const images = records.flatMap((record) => {
    const { NewImage, OldImage } = (record as { dynamodb: { NewImage?: unknown; OldImage?: unknown } }).dynamodb;
    return [NewImage, OldImage].filter((image) => image !== undefined).map((image) => itemFromJson(image));
  });
  const ceiling = async (): Promise<number> => {
    const started = process.hrtime.bigint();
    for (const image of images) await table.decrypt(image);
    return records.length / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await pass();
  await ceiling();
  const figures = new RoundFigures();
  for (let round = 0; round < ROUNDS; round += 1) {
    figures.record('stream-decrypt', await pass());
    figures.record('stream-decrypt-ceiling', await ceiling());
  }
  emit('stream-decrypt', figures.best('stream-decrypt'), 'records/s');
  emit('stream-decrypt-ceiling', figures.best('stream-decrypt-ceiling'), 'records/s');
  emit('stream-decrypt-to-ceiling', figures.pairedRatio('stream-decrypt', 'stream-decrypt-ceiling'), 'ratio');
}

export const run = measureStreamDecrypt;
