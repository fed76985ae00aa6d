/**
 * Re-encryption throughput on DynamoDB Local, against a plain copy of the same table measured in
 * the same run: `measureReEncryption(emit)` (for `npm run bench -- pipeline`) prints
 *
 * - `reencrypt-1-segment`, `reencrypt-4-segments`: ScanReEncryptor moving every item from an old
 *   wrapped key to a new one (decrypt, encrypt, PutItem conditional on the signature read),
 *   1 segment or 4 at once in this process (`processTable`), items/s;
 * - `copy-1-segment`, `copy-4-segments`: a plain scan-and-put of the same table (every item read
 *   and written back unchanged with PutItem), items/s;
 * - `reencrypt-1-segment-ratio`, `reencrypt-4-segments-ratio`: re-encryption / copy.
 *
 * Both sides drive each segment the same way (ScanReEncryptor's runSegment, mirrored by
 * `copySegment` below): Scan pages of PAGE_SIZE (100) items; the next page's Scan is sent as soon
 * as the current page arrives; the page's items start through one ConcurrencyLimiter of
 * CONCURRENCY (16) writes in flight per segment, shared by all the segment's pages, so the slots
 * run straight on into the next page with no wait at page boundaries; at most two pages' items
 * are started at once (before awaiting the next page, the page before the current one must be
 * done); the segment ends once every write is done. With 4 segments, the 4 run at once, each
 * with its own limiter (64 writes in flight in all). Each figure is the items the side wrote (the
 * re-encryptor's `reencrypted` count, the copy's successful puts; both must equal the table's
 * item count) over the wall time of the run.
 *
 * One warm-up run of each side (2 segments) on a table of its own comes first. Then each round
 * loads a fresh table with BENCH_REENCRYPT_ITEMS (default 2000) standard items (bench/core.ts)
 * encrypted under the old key, and runs the four measurements on it in alternating order
 * (forwards, then backwards); each re-encryption moves every item to the other key (old → new,
 * then new → old). BENCH_ROUNDS (default 5) rounds: items/s figures are the best round, ratios
 * the median of the ratios within a round (RoundFigures in bench/figures.ts). The classifier reads
 * a description entry the wrapped providers record (`bench-key: old|new`); the source provider
 * picks the key that entry names.
 *
 * DynamoDB Local runs on this machine: both figures pay for its CPU as well as ours, and the
 * re-encryption figures also pay for decrypting and encrypting every item on the same cores.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { LocalKey } from '../src/crypto/local-key';
import { TableCrypto } from '../src/encrypted/table-crypto';
import { TableInfo } from '../src/encrypted/table-info';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import { encryptDynamoDbItem } from '../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../src/format/attribute-value';
import { descriptionEntryClassifier } from '../src/pipeline/reencrypt-classifier';
import { ScanReEncryptor } from '../src/pipeline/scan-reencryptor';
import { ConcurrencyLimiter } from '../src/providers/concurrency-limiter';
import type { CryptographicMaterialsProvider } from '../src/providers/cryptographic-materials-provider';
import { WrappedMaterialsProvider } from '../src/providers/wrapped-provider';
import { standardItem } from './core';
import { RoundFigures, type Emit } from './figures';
import { createPkSkTable } from '../test/support/tables';

export const needsLocalAws = true;

const ITEMS = Number(process.env.BENCH_REENCRYPT_ITEMS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PAGE_SIZE = 100;
/** Writes in flight per segment, for both the re-encryptor and the copy. */
const CONCURRENCY = 16;
const KEY_ENTRY = 'bench-key';

function wrappedProvider(name: string): WrappedMaterialsProvider {
  const wrappingKey = LocalKey.generateAes(256);
  return new WrappedMaterialsProvider({
    wrappingKey,
    unwrappingKey: wrappingKey,
    signingKey: LocalKey.generateHmac('HmacSHA256', 32),
    materialDescription: { [KEY_ENTRY]: name },
  });
}

/** Reads items under either key: the provider whose name the item's description records. */
function providerByName(providers: Readonly<Record<string, CryptographicMaterialsProvider>>, fallback: CryptographicMaterialsProvider): CryptographicMaterialsProvider {
  return {
    encryptionMaterials: (context) => fallback.encryptionMaterials(context),
    decryptionMaterials: (context) => (providers[context.materialDescription?.[KEY_ENTRY] ?? ''] ?? fallback).decryptionMaterials(context),
  };
}

export async function measureReEncryption(emit: Emit): Promise<void> {
  const dynamoDb = new DynamoDBClient({});
  const tables: string[] = [];
  const oldProvider = wrappedProvider('old');
  const newProvider = wrappedProvider('new');
  const source = providerByName({ old: oldProvider, new: newProvider }, oldProvider);
  const actions = () => new AttributeActions();

  const createTable = async (): Promise<TableInfo> => {
    const name = `bench-reencrypt-${randomBytes(4).toString('hex')}`;
    tables.push(name);
    await createPkSkTable(dynamoDb, name);
    return new TableInfo({ name, primaryIndex: { partition: 'pk', sort: 'sk' } });
  };

  try {
    // The items under the old key, encrypted once (with the table name they will be loaded into).
    const loadTable = async (): Promise<TableInfo> => {
      const table = await createTable();
      const config = new TableCrypto(table, oldProvider, actions()).config;
      const items = await Promise.all(
        Array.from({ length: ITEMS }, (_, index) => encryptDynamoDbItem({ ...standardItem(), pk: { S: `customer#${String(index).padStart(6, '0')}` } }, config)),
      );
      for (let offset = 0; offset < items.length; offset += 25) {
        let RequestItems: Record<string, WriteRequest[]> | undefined = { [table.name]: items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } })) };
        while (RequestItems !== undefined && Object.keys(RequestItems).length > 0) {
          RequestItems = (await dynamoDb.send(new BatchWriteItemCommand({ RequestItems }))).UnprocessedItems;
        }
      }
      return table;
    };

    // Each run moves every item to the other key, so one table serves a whole round.
    let under: 'old' | 'new' = 'old';
    const reEncrypt = async (table: TableInfo, totalSegments: number): Promise<number> => {
      const target = under === 'old' ? 'new' : 'old';
      const engine = new ScanReEncryptor({
        client: dynamoDb,
        table,
        materialsProvider: target === 'new' ? newProvider : oldProvider,
        sourceMaterialsProvider: source,
        classifier: descriptionEntryClassifier(KEY_ENTRY, target),
        attributeActions: actions(),
        pageSize: PAGE_SIZE,
        concurrency: CONCURRENCY,
      });
      const { counts } = await engine.processTable({ totalSegments });
      if (counts.reencrypted !== ITEMS) throw new Error(`re-encrypted ${counts.reencrypted} of ${ITEMS} items (${JSON.stringify(counts)})`);
      under = target;
      return counts.reencrypted;
    };

    // Driven as ScanReEncryptor.runSegment drives a segment: the next page's Scan is sent as soon
    // as the current page arrives, the page's puts start through one limiter per segment shared
    // by all its pages (so the slots run on into the next page, with no wait at page
    // boundaries), at most two pages' puts are started at once (the next page is awaited only
    // after the one before the current page is done), and the segment ends once every put is done.
    const copySegment = async (table: TableInfo, segment: number, totalSegments: number): Promise<number> => {
      const limiter = new ConcurrencyLimiter(CONCURRENCY);
      let put = 0;
      const scan = (ExclusiveStartKey: DynamoDbItem | undefined): Promise<ScanCommandOutput> => {
        const page = dynamoDb.send(new ScanCommand({ TableName: table.name, Segment: segment, TotalSegments: totalSegments, Limit: PAGE_SIZE, ExclusiveStartKey }));
        page.catch(() => undefined); // awaited below; a failure while the previous page is written is not unhandled
        return page;
      };
      const startPage = (items: readonly DynamoDbItem[]): Promise<unknown> => {
        const settled = Promise.all(
          items.map((Item) =>
            limiter.run(async () => {
              await dynamoDb.send(new PutItemCommand({ TableName: table.name, Item }));
              put += 1;
            }),
          ),
        );
        settled.catch(() => undefined); // awaited below
        return settled;
      };
      const started: Array<Promise<unknown>> = [];
      let next: Promise<ScanCommandOutput> | undefined = scan(undefined);
      try {
        while (next !== undefined) {
          const page: ScanCommandOutput = await next;
          next = undefined;
          started.push(startPage(page.Items ?? []));
          if (page.LastEvaluatedKey !== undefined) next = scan(page.LastEvaluatedKey);
          if (started.length > 1) await started.shift();
        }
        while (started.length > 0) await started.shift();
      } catch (error) {
        await Promise.allSettled(started); // nothing still writing when the bench moves on
        throw error;
      }
      return put;
    };
    const copy = async (table: TableInfo, totalSegments: number): Promise<number> => {
      const copied = await Promise.all(Array.from({ length: totalSegments }, (_, segment) => copySegment(table, segment, totalSegments)));
      const total = copied.reduce((sum, count) => sum + count, 0);
      if (total !== ITEMS) throw new Error(`copied ${total} of ${ITEMS} items`);
      return total;
    };

    const work: Record<string, (table: TableInfo) => Promise<number>> = {
      'reencrypt-1-segment': (table) => reEncrypt(table, 1),
      'copy-1-segment': (table) => copy(table, 1),
      'reencrypt-4-segments': (table) => reEncrypt(table, 4),
      'copy-4-segments': (table) => copy(table, 4),
    };
    const metrics = Object.keys(work);
    const figures = new RoundFigures();
    // Warm up connections and the JIT with one run of each side on a table of its own, then
    // interleaved rounds on a fresh table each (see RoundFigures).
    const warmUp = await loadTable();
    await reEncrypt(warmUp, 2);
    await copy(warmUp, 2);
    await dynamoDb.send(new DeleteTableCommand({ TableName: warmUp.name })).catch(() => undefined);
    for (let round = 0; round < ROUNDS; round += 1) {
      const table = await loadTable();
      under = 'old';
      for (const metric of round % 2 === 0 ? metrics : [...metrics].reverse()) {
        const started = process.hrtime.bigint();
        const items = await work[metric](table);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        figures.record(metric, items / seconds);
      }
      await dynamoDb.send(new DeleteTableCommand({ TableName: table.name })).catch(() => undefined);
    }

    emit('items', ITEMS, 'items');
    for (const metric of metrics) emit(metric, figures.best(metric), 'items/s');
    for (const segments of ['1-segment', '4-segments']) {
      emit(`reencrypt-${segments}-ratio`, figures.pairedRatio(`reencrypt-${segments}`, `copy-${segments}`), 'ratio');
    }
  } finally {
    await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
    dynamoDb.destroy();
  }
}

/** For `bench/run.ts`-style runners: the same figures under this file's own name. */
export const run = measureReEncryption;
