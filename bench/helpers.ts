/**
 * `npm run bench -- helpers`: what the encrypted helpers cost over the plain clients against
 * DynamoDB Local, measured in the same run: items/s of PutItem, GetItem and Query (a 100-item
 * partition, items returned per second), with the same number of requests in flight for both
 * (BENCH_CONCURRENCY, default 16), interleaved rounds (BENCH_ROUNDS, default 5; items/s figures are
 * the best round, ratios the median of ratios within a round: RoundFigures in bench/figures.ts),
 * BENCH_SECONDS per measurement (default 2). Encryption uses a WrappedMaterialsProvider (AES key
 * wrap + HmacSHA256) on the standard item of bench/core.ts; each put writes a new partition key.
 *
 * Two levels, each against the plain client of the same level:
 *
 * - `put-encrypted`, `get-encrypted`, `query-encrypted` (and their `-plain` and `-ratio`): the
 *   issue's figures, EncryptedTable (native JavaScript items) against the plain
 *   DynamoDBDocumentClient it sends through. Both sides marshall the same native items.
 * - `client-*`: EncryptedClient (AttributeValue items) against the plain DynamoDBClient, where
 *   the crypto is the larger share of the work.
 *
 * DynamoDB Local runs on the same machine, so the encrypted figures pay for both the crypto and
 * the CPU it takes from DynamoDB Local. To tell those apart, the same rounds also measure
 * `client-put-plain-ciphertext` and `client-get-plain-ciphertext` (the plain client writing or
 * reading an encrypted item: the cost of the bigger item alone, in DynamoDB Local and in the SDK)
 * and `encrypt-only` / `decrypt-only` (the item encryptor on one thread, no DynamoDB);
 * `client-put-ratio-ceiling` and `client-get-ratio-ceiling` are those ciphertext figures over
 * the plain ones (the encrypted ratios cannot exceed them), `client-query-ratio-ceiling` is
 * decrypt-only / client-query-plain.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand as DocumentQueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EncryptedClient } from '../src/encrypted/encrypted-client';
import { EncryptedTable } from '../src/encrypted/encrypted-table';
import { TableInfo } from '../src/encrypted/table-info';
import { LocalKey } from '../src/crypto/local-key';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import { CryptoAction } from '../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../src/format/attribute-value';
import { WrappedMaterialsProvider } from '../src/providers/wrapped-provider';
import { createPkSkTable } from '../test/support/tables';
import { standardItem } from './core';
import { operationsPerSecond, RoundFigures, type Emit } from './figures';

export const needsLocalAws = true;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const GET_KEYS = 256;
const QUERY_PARTITION_SIZE = 100;

/** Items per second of `work` (which returns how many items it handled), `concurrency` calls in flight. */
async function itemsPerSecond(work: () => Promise<number>, seconds: number, concurrency: number): Promise<number> {
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let items = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        // Not `items += await work()`: that reads `items` before awaiting and loses the other workers' counts.
        const handled = await work();
        items += handled;
      }
    }),
  );
  return items / (Number(process.hrtime.bigint() - started) / 1e9);
}

function keyed(pk: string, sk = 42): DynamoDbItem {
  return { ...standardItem(), pk: { S: pk }, sk: { N: String(sk) } };
}

export async function run(emit: Emit): Promise<void> {
  const dynamoDb = new DynamoDBClient({});
  const tableName = `bench-helpers-${randomBytes(4).toString('hex')}`;
  await createPkSkTable(dynamoDb, tableName);
  try {
    const wrappingKey = LocalKey.generateAes(256);
    const encrypted = new EncryptedClient({
      client: dynamoDb,
      materialsProvider: new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) }),
      attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }),
      tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
      autoRefreshTableIndexes: false,
    });

    // Items to read: GET_KEYS single items and one QUERY_PARTITION_SIZE-item partition, each way.
    const write = async (items: DynamoDbItem[], encrypt: boolean) => {
      for (let offset = 0; offset < items.length; offset += 25) {
        const RequestItems: Record<string, WriteRequest[]> = { [tableName]: items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } })) };
        if (encrypt) await encrypted.batchWriteAll(RequestItems);
        else await dynamoDb.send(new BatchWriteItemCommand({ RequestItems }));
      }
    };
    await write(Array.from({ length: GET_KEYS }, (_, index) => keyed(`get-encrypted-${index}`)), true);
    await write(Array.from({ length: GET_KEYS }, (_, index) => keyed(`get-plain-${index}`)), false);
    await write(Array.from({ length: QUERY_PARTITION_SIZE }, (_, index) => keyed('query-encrypted', index)), true);
    await write(Array.from({ length: QUERY_PARTITION_SIZE }, (_, index) => keyed('query-plain', index)), false);

    const config = (await encrypted.tableCrypto(tableName)).config;
    const ciphertext = await encryptDynamoDbItem(keyed('ciphertext'), config);
    let putSerial = 0;
    let getSerial = 0;
    const key = (prefix: string) => ({ pk: { S: `${prefix}-${(getSerial += 1) % GET_KEYS}` }, sk: { N: '42' } });
    const queryOf = (pk: string) => ({ TableName: tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: pk } } });
    // A get that finds nothing is a broken bench (the keys were all written above), not 0 items.
    const found = (item: object | undefined): number => {
      if (item === undefined) throw new Error('a get returned no item: every key read was written before the rounds');
      return 1;
    };
    const returned = (count: number | undefined): number => {
      if (count !== QUERY_PARTITION_SIZE) throw new Error(`a query returned ${count} items, expected ${QUERY_PARTITION_SIZE}`);
      return count;
    };

    // The level: native items through EncryptedTable, and through the plain document client.
    const table = new EncryptedTable({ tableName, client: encrypted });
    const documents = DynamoDBDocumentClient.from(dynamoDb);
    const native = (pk: string) => unmarshall(keyed(pk));
    const nativeKey = (prefix: string) => ({ pk: `${prefix}-${(getSerial += 1) % GET_KEYS}`, sk: 42 });
    const nativeQueryOf = (pk: string) => ({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk } });

    // Grouped by operation: the figures of one ratio are measured one after another.
    const work = {
      'put-plain': async () => {
        await documents.send(new PutCommand({ TableName: tableName, Item: native(`put-plain-${(putSerial += 1)}`) }));
        return 1;
      },
      'put-encrypted': async () => {
        await table.putItem(native(`put-encrypted-${(putSerial += 1)}`));
        return 1;
      },
      'client-put-plain': async () => {
        await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: keyed(`put-plain-${(putSerial += 1)}`) }));
        return 1;
      },
      'client-put-plain-ciphertext': async () => {
        await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: { ...ciphertext, pk: { S: `put-ciphertext-${(putSerial += 1)}` } } }));
        return 1;
      },
      'client-put-encrypted': async () => {
        await encrypted.putItem({ TableName: tableName, Item: keyed(`put-encrypted-${(putSerial += 1)}`) });
        return 1;
      },
      'get-plain': async () => {
        const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: nativeKey('get-plain') }));
        return found(Item);
      },
      'get-encrypted': async () => {
        const { Item } = await table.getItem(nativeKey('get-encrypted'));
        return found(Item);
      },
      'client-get-plain': async () => {
        const { Item } = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: key('get-plain') }));
        return found(Item);
      },
      'client-get-plain-ciphertext': async () => {
        const { Item } = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: key('get-encrypted') }));
        return found(Item);
      },
      'client-get-encrypted': async () => {
        const { Item } = await encrypted.getItem({ TableName: tableName, Key: key('get-encrypted') });
        return found(Item);
      },
      'query-plain': async () => returned((await documents.send(new DocumentQueryCommand({ TableName: tableName, ...nativeQueryOf('query-plain') }))).Items?.length),
      'query-encrypted': async () => returned((await table.query(nativeQueryOf('query-encrypted'))).Items?.length),
      'client-query-plain': async () => returned((await dynamoDb.send(new QueryCommand(queryOf('query-plain')))).Items?.length),
      'client-query-encrypted': async () => returned((await encrypted.query(queryOf('query-encrypted'))).Items?.length),
    } as const;
    const metrics = Object.keys(work) as Array<keyof typeof work>;

    const plainItem = keyed('crypto-only');
    const crypto = {
      'encrypt-only': () => encryptDynamoDbItem(plainItem, config),
      'decrypt-only': () => decryptDynamoDbItem(ciphertext, config),
    };

    // Warm up connections and the JIT, then interleaved rounds (see RoundFigures).
    for (const metric of metrics) await itemsPerSecond(work[metric], Math.min(0.5, SECONDS), CONCURRENCY);
    const figures = new RoundFigures();
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const metric of round % 2 === 0 ? metrics : [...metrics].reverse()) {
        figures.record(metric, await itemsPerSecond(work[metric], SECONDS, CONCURRENCY));
      }
      for (const [metric, operation] of Object.entries(crypto)) figures.record(metric, await operationsPerSecond(operation, SECONDS / 2));
    }

    emit('concurrency', CONCURRENCY, 'requests');
    for (const level of ['', 'client-'] as const) {
      for (const operation of ['put', 'get', 'query'] as const) {
        emit(`${level}${operation}-encrypted`, figures.best(`${level}${operation}-encrypted`), 'items/s');
        emit(`${level}${operation}-plain`, figures.best(`${level}${operation}-plain`), 'items/s');
      }
      for (const operation of ['put', 'get', 'query'] as const) {
        emit(`${level}${operation}-ratio`, figures.pairedRatio(`${level}${operation}-encrypted`, `${level}${operation}-plain`), 'ratio');
      }
    }
    // The plain client moving ciphertext-sized items does less than EncryptedClient (no crypto),
    // so these bound the client-level put and get ratios from above on this machine.
    for (const operation of ['put', 'get'] as const) {
      emit(`client-${operation}-plain-ciphertext`, figures.best(`client-${operation}-plain-ciphertext`), 'items/s');
      emit(`client-${operation}-ratio-ceiling`, figures.pairedRatio(`client-${operation}-plain-ciphertext`, `client-${operation}-plain`), 'ratio');
    }
    emit('encrypt-only', figures.best('encrypt-only'), 'items/s');
    emit('decrypt-only', figures.best('decrypt-only'), 'items/s');
    emit('client-query-ratio-ceiling', figures.pairedRatio('decrypt-only', 'client-query-plain'), 'ratio');
  } finally {
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamoDb.destroy();
  }
}
