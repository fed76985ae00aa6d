/**
 * Re-encryption racing concurrent writers (issue #8, part 2).
 *
 * A table of items encrypted with Direct KMS under key A is rotated to key B by ScanReEncryptor
 * (4 segments, kmsKeyClassifier) while 4 writers keep updating the same items:
 *
 * - EncryptedClient puts of a whole new value (`card`, `amount`, a SIGN_ONLY `version`), half
 *   with the old key A (an application not yet moved) and half with the new key B;
 * - plain UpdateItem of the DO_NOTHING attribute `note` (which leaves the signature valid);
 * - now and then a DeleteItem (the next put re-creates the item): the re-encryptor must not
 *   bring a deleted item back.
 *
 * Writes to one key are serialized among the writers by a per-key lock, so each key has a
 * well-defined last write (the writers' own order, with a per-key version counter); the
 * re-encryptor takes no lock: that is the race. Besides the free-running writers, a fraction of
 * the re-encryptor's writes are preceded (in its client's middleware, after it read the item) by
 * a writer write on the same key: a conflict injected at the worst moment.
 *
 * Checked: every key's final item is exactly the last value the writers wrote (`lost` counts
 * the others, including missing and resurrected items), no other key appeared (`duplicated`), every item
 * verifies and decrypts with keys [B, A] (`corrupted`); the engine's counts add up and none failed.
 */
import { DeleteItemCommand, DeleteTableCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { kmsKeyClassifier } from '../../src/pipeline/reencrypt-classifier';
import { ScanReEncryptor } from '../../src/pipeline/scan-reencryptor';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { scanTable } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable } from '../support/tables';
import { createKmsKey, keyText, mapLimit, sameItem, scenarioSeed, seededRandom, type Scale } from './crash-support';
import type { HardeningRow } from './crash-support';

export interface RacingScenarioOptions {
  readonly items: number;
  readonly writers: number;
  /** Fraction of the re-encryptor's writes preceded by a writer write on the same key. */
  readonly injectedConflictRate: number;
  readonly segments: number;
  readonly pageSize: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export const RACING_SCALES: Record<Scale, RacingScenarioOptions> = {
  test: { items: 300, writers: 4, injectedConflictRate: 0.15, segments: 4, pageSize: 25 },
  full: { items: 3000, writers: 4, injectedConflictRate: 0.1, segments: 4, pageSize: 25 },
};

export interface RacingScenarioResult extends HardeningRow {
  readonly problems: readonly string[];
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand']);

const actions = () => new AttributeActions({ attributeActions: { note: CryptoAction.DO_NOTHING, version: CryptoAction.SIGN_ONLY } });

export function racingPlaintextItem(index: number): DynamoDbItem {
  const id = String(index).padStart(6, '0');
  return {
    pk: { S: `race-${id}` },
    sk: { N: String(index % 3) },
    card: { S: `card-${id}-v0` },
    amount: { N: `${index}.5` },
    version: { N: '0' },
    note: { S: `note-${id}-v0` },
  };
}

/** A per-key mutex: writes to one key are applied one after another, in a known order. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export async function racingScenario(options: RacingScenarioOptions): Promise<RacingScenarioResult> {
  const started = Date.now();
  const seed = options.seed ?? scenarioSeed();
  const random = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const dynamoDb: DynamoDBClient = localDynamoDbClient();
  const engineClient: DynamoDBClient = localDynamoDbClient();
  const kms: KMSClient = localKmsClient();
  const tableName = uniqueName('hardening-racing');
  const problems: string[] = [];
  try {
    await createPkSkTable(dynamoDb, tableName);
    const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
    const [keyA, keyB] = [await createKmsKey(kms, 'racing scenario: old key'), await createKmsKey(kms, 'racing scenario: new key')];
    const oldProvider = new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms });
    const target = new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] });
    const oldWriter = new EncryptedClient({ client: dynamoDb, materialsProvider: oldProvider, attributeActions: actions(), tableInfos: [table] });
    const newWriter = new EncryptedClient({ client: dynamoDb, materialsProvider: target, attributeActions: actions(), tableInfos: [table] });
    const items = Array.from({ length: options.items }, (_, index) => racingPlaintextItem(index));
    for (let offset = 0; offset < items.length; offset += 500) {
      await oldWriter.batchWriteAll({ [tableName]: items.slice(offset, offset + 500).map((Item) => ({ PutRequest: { Item } })) });
    }
    const keys = items.map(keyText);
    const byKey = new Map(items.map((item) => [keyText(item), item]));
    /** The last value the writers wrote, per key: what the table must hold at the end. */
    const expected = new Map(byKey);
    const versions = new Map(keys.map((key) => [key, 0]));
    const locks = new KeyLocks();
    let writerWrites = 0;
    let writesDuringRun = 0;
    let running = false;
    let puts = 0;
    let noteUpdates = 0;
    let deletes = 0;

    /** One writer write on `key`, under its lock; `expected` follows only once it has succeeded. */
    const writeOnce = (key: string, writer: number) =>
      locks.with(key, async () => {
        const version = (versions.get(key) as number) + 1;
        const current = expected.get(key);
        const Key = { pk: (byKey.get(key) as DynamoDbItem).pk, sk: (byKey.get(key) as DynamoDbItem).sk };
        const choice = random();
        if (current === undefined || choice < 0.45) {
          // A whole new value (re-creating the item if a writer deleted it).
          const next: DynamoDbItem = {
            ...(current ?? (byKey.get(key) as DynamoDbItem)),
            card: { S: `card-${key}-w${writer}-v${version}` },
            // Digits DynamoDB keeps as written (a trailing 0 would come back without it).
            amount: { N: `${version}.${writer}5` },
            version: { N: String(version) },
          };
          await (random() < 0.5 ? oldWriter : newWriter).putItem({ TableName: tableName, Item: next });
          expected.set(key, next);
          puts += 1;
        } else if (choice < 0.95) {
          const note = `note-${key}-w${writer}-v${version}`;
          await dynamoDb.send(
            new UpdateItemCommand({ TableName: tableName, Key, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: note } } }),
          );
          expected.set(key, { ...current, note: { S: note } });
          noteUpdates += 1;
        } else {
          // A delete: the re-encryptor must not bring the item back.
          await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key }));
          expected.delete(key);
          deletes += 1;
        }
        versions.set(key, version);
        writerWrites += 1;
        if (running) writesDuringRun += 1;
      });

    // Conflicts at the worst moment: after the engine read an item, before its write.
    let injected = 0;
    engineClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (WRITES.has(context.commandName as string) && random() < options.injectedConflictRate) {
          const input = args.input as { Key?: DynamoDbItem; Item?: DynamoDbItem };
          injected += 1;
          await writeOnce(keyText((input.Key ?? input.Item) as DynamoDbItem), 0);
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectRacingWrite' },
    );

    let stop = false;
    const writer = async (id: number) => {
      while (!stop) await writeOnce(keys[Math.floor(random() * keys.length)], id);
    };
    const engine = new ScanReEncryptor({
      client: engineClient,
      table,
      materialsProvider: target,
      classifier: kmsKeyClassifier({ keyId: keyB }),
      attributeActions: actions(),
      pageSize: options.pageSize,
      concurrency: 8,
    });
    running = true;
    const writers = Array.from({ length: options.writers }, (_, index) => writer(index + 1));
    let counts: Record<string, number> = {};
    try {
      counts = { ...(await engine.processTable({ totalSegments: options.segments })).counts };
    } catch (error) {
      problems.push(`the re-encryption failed: ${(error as Error).name}: ${(error as Error).message}`);
    } finally {
      running = false;
      stop = true;
      await Promise.all(writers);
    }
    log(`racing: ${writerWrites} writer writes (${writesDuringRun} during the run, ${injected} injected), counts ${JSON.stringify(counts)}`);
    const outcomes = ['encrypted', 'reencrypted', 'alreadyCurrent', 'conflicts', 'failed', 'skipped', 'deleted'].reduce((sum, name) => sum + (counts[name] ?? 0), 0);
    if (outcomes !== counts.scanned) problems.push(`the engine's outcomes add up to ${outcomes}, not scanned ${counts.scanned}`);
    if ((counts.failed ?? 0) !== 0) problems.push(`${counts.failed} items failed`);
    // An item a writer deleted while the scan passed its place is not scanned (and is not there
    // to re-encrypt); every other item is scanned exactly once.
    if (counts.scanned > items.length || counts.scanned < items.length - deletes) {
      problems.push(`scanned ${counts.scanned}, not between ${items.length - deletes} and ${items.length} (${deletes} deletes)`);
    }

    const stored = await scanTable(dynamoDb, tableName);
    const storedByKey = new Map(stored.map((item) => [keyText(item), item]));
    const duplicated = [...storedByKey.keys()].filter((key) => !byKey.has(key)).length;
    const either = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] }), actions()).config;
    const onlyB = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, strict: true }), actions()).config;
    let lost = 0;
    let corrupted = 0;
    let underNewKey = 0;
    const lostExamples: string[] = [];
    let resurrected = 0;
    await mapLimit(keys, 16, async (key) => {
      const item = storedByKey.get(key);
      const wanted = expected.get(key);
      if (wanted === undefined) {
        // Deleted last by a writer: it must stay deleted.
        if (item !== undefined) {
          resurrected += 1;
          lost += 1;
          if (lostExamples.length < 3) lostExamples.push(`${key}: deleted by a writer, found again in the table`);
        }
        return;
      }
      if (item === undefined) {
        lost += 1;
        if (lostExamples.length < 3) lostExamples.push(`${key}: missing, expected ${JSON.stringify(wanted)}`);
        return;
      }
      let plaintext: DynamoDbItem;
      try {
        plaintext = await decryptDynamoDbItem(item, either);
      } catch {
        corrupted += 1;
        return;
      }
      if (!sameItem(plaintext, expected.get(key))) {
        lost += 1;
        if (lostExamples.length < 3) lostExamples.push(`${key}: stored ${JSON.stringify(plaintext)}, expected ${JSON.stringify(expected.get(key))}`);
      }
      if (await decryptDynamoDbItem(item, onlyB).then(() => true, () => false)) underNewKey += 1;
    });
    if (lostExamples.length > 0) problems.push(`lost updates, e.g. ${lostExamples.join('; ')}`);

    return {
      scenario: `racing: ScanReEncryptor (Direct KMS A -> B) vs ${options.writers} writers (encrypted puts, plain UpdateItem of a DO_NOTHING attribute, deletes)`,
      faultsInjected: writesDuringRun,
      items: items.length,
      lost,
      duplicated,
      corrupted,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      details: {
        seed,
        writerWrites,
        injectedConflicts: injected,
        puts,
        noteUpdates,
        deletes,
        resurrected,
        absentAtEnd: keys.length - storedByKey.size,
        retried: counts.retried ?? 0,
        conflicts: counts.conflicts ?? 0,
        engineFoundDeleted: counts.deleted ?? 0,
        reencrypted: counts.reencrypted ?? 0,
        alreadyCurrent: counts.alreadyCurrent ?? 0,
        underNewKey,
      },
      problems,
    };
  } finally {
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    for (const client of [dynamoDb, engineClient, kms]) client.destroy();
  }
}
