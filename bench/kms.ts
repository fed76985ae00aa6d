/**
 * `npm run bench -- kms`: KMS calls and throughput of the Direct KMS and MostRecent providers on
 * the local KMS (moto) and DynamoDB Local, and the gain of decrypting a query page in parallel.
 *
 * moto answers on the same machine, so a KMS call costs its CPU time but no network round trip.
 * The page figures are therefore measured through a loopback proxy that adds a fixed delay to
 * each KMS request (`kms-simulated-round-trip-ms`, default 10 ms, env KMS_ROUND_TRIP_MS), and also
 * straight to moto (`...-no-network` metrics), both in the same run.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import { CryptoAction } from '../src/encryptor/crypto-action';
import type { CryptoConfig } from '../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../src/format/attribute-value';
import { AwsKmsMaterialsProvider } from '../src/providers/aws-kms-provider';
import type { CryptographicMaterialsProvider } from '../src/providers/cryptographic-materials-provider';
import { MetaStore } from '../src/providers/meta-store';
import { MostRecentProvider } from '../src/providers/most-recent-provider';
import { standardItem } from './core';
import type { Emit } from './figures';
import { startLatencyProxy } from './latency-proxy';

export const needsLocalAws = true;

const ITEMS = 1000;
const PAGE = 100;
const ROUND_TRIP_MS = Number(process.env.KMS_ROUND_TRIP_MS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function countingKmsClient(endpoint?: string): { client: KMSClient; calls: () => number } {
  const client = new KMSClient(endpoint === undefined ? {} : { endpoint });
  let calls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countKmsCalls' },
  );
  return { client, calls: () => calls };
}

function configFor(provider: CryptographicMaterialsProvider): CryptoConfig {
  return {
    materialsProvider: provider,
    encryptionContext: { tableName: 'bench', partitionKeyName: 'pk', sortKeyName: 'sk' },
    attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }).setIndexKeys('pk', 'sk'),
  };
}

function items(count: number): DynamoDbItem[] {
  return Array.from({ length: count }, (_, index) => ({ ...standardItem(), pk: { S: `customer#${String(index).padStart(6, '0')}` } }));
}

/** Encrypts then decrypts `plain` a page at a time (each page in parallel, as a batch writer or a query reader does). */
async function encryptThenDecrypt(plain: DynamoDbItem[], config: CryptoConfig): Promise<number> {
  const started = process.hrtime.bigint();
  const stored: DynamoDbItem[] = [];
  for (let offset = 0; offset < plain.length; offset += PAGE) {
    stored.push(...(await Promise.all(plain.slice(offset, offset + PAGE).map((item) => encryptDynamoDbItem(item, config)))));
  }
  for (let offset = 0; offset < stored.length; offset += PAGE) {
    await Promise.all(stored.slice(offset, offset + PAGE).map((item) => decryptDynamoDbItem(item, config)));
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function pageTimes(page: DynamoDbItem[], config: CryptoConfig): Promise<{ sequential: number; concurrent: number }> {
  let sequential = Infinity;
  let concurrent = Infinity;
  for (let round = 0; round < ROUNDS; round += 1) {
    let started = process.hrtime.bigint();
    for (const item of page) await decryptDynamoDbItem(item, config);
    sequential = Math.min(sequential, Number(process.hrtime.bigint() - started) / 1e6);
    started = process.hrtime.bigint();
    await Promise.all(page.map((item) => decryptDynamoDbItem(item, config)));
    concurrent = Math.min(concurrent, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { sequential, concurrent };
}

export async function run(emit: Emit): Promise<void> {
  const kms = new KMSClient({});
  const dynamoDb = new DynamoDBClient({});
  const keyId = (await kms.send(new CreateKeyCommand({ Description: 'bench' }))).KeyMetadata?.Arn as string;
  const plain = items(ITEMS);

  const direct = countingKmsClient();
  const directMs = await encryptThenDecrypt(plain, configFor(new AwsKmsMaterialsProvider({ keyId, kmsClient: direct.client })));
  emit('direct-kms-calls-per-1000', (direct.calls() * 1000) / ITEMS, 'calls');
  emit('direct-kms-items-per-s', ITEMS / (directMs / 1000), 'items/s');

  // MostRecent over a MetaStore whose version items KMS protects; the TTL outlasts the run.
  const metaKms = countingKmsClient();
  const tableName = `bench-metastore-${randomBytes(4).toString('hex')}`;
  await MetaStore.createTable(dynamoDb, tableName);
  try {
    const store = new MetaStore({ tableName, dynamoDbClient: dynamoDb, materialsProvider: new AwsKmsMaterialsProvider({ keyId, kmsClient: metaKms.client }) });
    const mostRecent = new MostRecentProvider({ providerStore: store, materialName: 'bench', versionTtlMs: 10 * 60_000 });
    const mostRecentMs = await encryptThenDecrypt(plain, configFor(mostRecent));
    emit('most-recent-kms-calls-per-1000', (metaKms.calls() * 1000) / ITEMS, 'calls');
    emit('most-recent-items-per-s', ITEMS / (mostRecentMs / 1000), 'items/s');
  } finally {
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  }

  // One query page, decrypted one item after another, then in parallel (at most 16 KMS calls in flight).
  const writer = configFor(new AwsKmsMaterialsProvider({ keyId, kmsClient: kms }));
  const page = await Promise.all(items(PAGE).map((item) => encryptDynamoDbItem(item, writer)));
  const proxy = await startLatencyProxy(process.env.AWS_ENDPOINT_URL_KMS as string, ROUND_TRIP_MS);
  try {
    const remote = configFor(new AwsKmsMaterialsProvider({ keyId, kmsClient: new KMSClient({ endpoint: proxy.url }), maxConcurrentKmsCalls: 16 }));
    const local = configFor(new AwsKmsMaterialsProvider({ keyId, kmsClient: kms, maxConcurrentKmsCalls: 16 }));
    const withNetwork = await pageTimes(page, remote);
    const noNetwork = await pageTimes(page, local);
    emit('kms-simulated-round-trip-ms', ROUND_TRIP_MS, 'ms');
    emit('decrypt-page-sequential-ms', withNetwork.sequential, 'ms');
    emit('decrypt-page-concurrent-ms', withNetwork.concurrent, 'ms');
    emit('decrypt-page-speedup', withNetwork.sequential / withNetwork.concurrent, 'ratio');
    emit('decrypt-page-sequential-ms-no-network', noNetwork.sequential, 'ms');
    emit('decrypt-page-concurrent-ms-no-network', noNetwork.concurrent, 'ms');
    emit('decrypt-page-speedup-no-network', noNetwork.sequential / noNetwork.concurrent, 'ratio');
  } finally {
    await proxy.close();
  }
}
