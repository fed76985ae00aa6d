/**
 * Ingest throughput: items/s through IngestWriter (check, encrypt, BatchWriteItem) into DynamoDB
 * Local, with a WrappedMaterialsProvider (AES key wrap + HmacSHA256) so that the figure measures
 * this code and DynamoDB Local rather than a KMS emulator. BENCH_INGEST_ITEMS standard items of
 * bench/core.ts (default 2,000, each with its own partition key) per round, sent as requests of
 * 100 items (an SQS batch or an HTTP request), BENCH_CONCURRENCY requests in flight (default 4);
 * best of BENCH_ROUNDS rounds (default 3). Needs the local backends (AWS_ENDPOINT_URL_DYNAMODB).
 *
 * `measureIngest(emit)` emits `ingest` (items/s); the `pipeline` bench calls it, and
 * `npm run bench -- ingest` runs it alone.
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomBytes } from 'node:crypto';
import { LocalKey } from '../src/crypto/local-key';
import { EncryptedClient } from '../src/encrypted/encrypted-client';
import { TableInfo } from '../src/encrypted/table-info';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import { CryptoAction } from '../src/encryptor/crypto-action';
import { IngestWriter } from '../src/pipeline/ingest-writer';
import { WrappedMaterialsProvider } from '../src/providers/wrapped-provider';
import { standardItem } from './core';
import type { Emit } from './figures';
import { createPkSkTable } from '../test/support/tables';

export const needsLocalAws = true;

const ITEMS = Number(process.env.BENCH_INGEST_ITEMS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const REQUEST_SIZE = 100;

export async function measureIngest(emit: Emit): Promise<void> {
  const dynamoDb = new DynamoDBClient({});
  const tableName = `bench-ingest-${randomBytes(6).toString('hex')}`;
  await createPkSkTable(dynamoDb, tableName);
  try {
    const wrappingKey = LocalKey.generateAes(256);
    const writer = new IngestWriter({
      encryptedClient: new EncryptedClient({
        client: dynamoDb,
        materialsProvider: new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) }),
        attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }),
        tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
      }),
      tableName,
    });
    // Warm-up: the key schema is learned (one DescribeTable) outside the measurement.
    await writer.write([{ ...unmarshall(standardItem()), pk: 'warm-up' }]);

    let best = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const requests = requestsOf(round);
      const started = process.hrtime.bigint();
      let next = 0;
      let written = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < requests.length) {
            const request = requests[next];
            next += 1;
            const result = await writer.write(request);
            if (result.failures.length > 0) throw new Error(`ingest bench: ${result.failures.length} item(s) not written: ${result.failures[0].reason}`);
            written += result.written;
          }
        }),
      );
      best = Math.max(best, written / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    emit('ingest', best, 'items/s');
  } finally {
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamoDb.destroy();
  }
}

/** ITEMS native items (as JSON would bring them), new keys per round, in requests of REQUEST_SIZE. */
function requestsOf(round: number): Array<Record<string, unknown>[]> {
  const template = unmarshall(standardItem());
  const requests: Array<Record<string, unknown>[]> = [];
  for (let offset = 0; offset < ITEMS; offset += REQUEST_SIZE) {
    requests.push(
      Array.from({ length: Math.min(REQUEST_SIZE, ITEMS - offset) }, (_, index) => ({ ...template, pk: `customer#${round}-${offset + index}` })),
    );
  }
  return requests;
}

/** `npm run bench -- ingest`: the ingest figure alone. */
export function run(emit: Emit): Promise<void> {
  return measureIngest(emit);
}
