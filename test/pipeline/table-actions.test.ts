/**
 * The permissions the constructs grant on the encrypted table (`TableActions`) against what the
 * engines really send to DynamoDB Local, recorded from the client's middleware while they run
 * every path that touches the table: a backfill, rotations with and without a DO_NOTHING
 * attribute, a conflict that makes the re-encryptor read again, and ingest in both modes. The
 * sets must be equal: a missing action fails a deployed Lambda, an unused one is a needless grant.
 */
import { BatchWriteItemCommand, DeleteTableCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { IngestWriter } from '../../src/pipeline/ingest-writer';
import { ScanReEncryptor } from '../../src/pipeline/scan-reencryptor';
import { TableActions } from '../../src/pipeline/table-actions';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const withDoNothing = () => new AttributeActions({ attributeActions: { note: CryptoAction.DO_NOTHING } });
const signedOnly = () => new AttributeActions();

/** Granted by ItemEncryption to every part, not by the engines' own lists. */
const COVERED_ELSEWHERE = 'dynamodb:DescribeTable';

const setup = localDynamoDbClient(); // fills tables and plays the concurrent writer: never recorded
const clients: DynamoDBClient[] = [setup];
const tables: string[] = [];

afterAll(async () => {
  await Promise.all(tables.map((TableName) => setup.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const client of clients) client.destroy();
});

/** A client that records the IAM action of every request it sends; `before` runs before each. */
function recordingClient(actions: Set<string>, before?: (command: string, input: { Key?: DynamoDbItem; Item?: DynamoDbItem }) => Promise<void>): DynamoDBClient {
  const client = localDynamoDbClient();
  clients.push(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      actions.add(`dynamodb:${command}`);
      await before?.(command, args.input as { Key?: DynamoDbItem; Item?: DynamoDbItem });
      return next(args);
    },
    { step: 'initialize', name: 'recordTableActions' },
  );
  return client;
}

async function createTable(): Promise<TableInfo> {
  const name = uniqueName('table-actions');
  tables.push(name);
  await createPkSkTable(setup, name);
  return new TableInfo({ name, primaryIndex: { partition: 'pk', sort: 'sk' } });
}

function items(count: number): DynamoDbItem[] {
  return Array.from({ length: count }, (_, index) => ({ ...samplePlaintextItem(index), note: { S: `note-${index}` } }));
}

async function fillPlaintext(table: TableInfo, plaintext: DynamoDbItem[]): Promise<void> {
  await setup.send(new BatchWriteItemCommand({ RequestItems: { [table.name]: plaintext.map((Item) => ({ PutRequest: { Item } })) } }));
}

async function fillEncrypted(table: TableInfo, plaintext: DynamoDbItem[], provider: CryptographicMaterialsProvider, attributeActions: AttributeActions): Promise<void> {
  const writer = new EncryptedClient({ client: setup, materialsProvider: provider, attributeActions, tableInfos: [table] });
  await writer.batchWriteAll({ [table.name]: plaintext.map((Item) => ({ PutRequest: { Item } })) });
}

const sorted = (actions: Iterable<string>) => [...actions].filter((action) => action !== COVERED_ELSEWHERE).sort();

describe('TableActions', () => {
  it('reEncryption is exactly what ScanReEncryptor sends: backfill, rotations with and without DO_NOTHING, a conflict', async () => {
    const run = async (table: TableInfo, options: { actions: AttributeActions; target: CryptographicMaterialsProvider; source?: CryptographicMaterialsProvider; before?: Parameters<typeof recordingClient>[1] }) => {
      const sent = new Set<string>();
      const engine = new ScanReEncryptor({
        client: recordingClient(sent, options.before),
        table,
        attributeActions: options.actions,
        materialsProvider: options.target,
        sourceMaterialsProvider: options.source,
        classifier: () => false, // nothing is current: every encrypted item is rotated
      });
      const { counts } = await engine.processTable({ totalSegments: 1 });
      expect(counts.failed + counts.conflicts).toBe(0);
      return { sent, counts };
    };
    const oldProvider = freshStaticProvider();

    const backfill = await createTable();
    await fillPlaintext(backfill, items(5));
    const backfilled = await run(backfill, { actions: signedOnly(), target: freshStaticProvider() });

    const rotation = await createTable();
    await fillEncrypted(rotation, items(5), oldProvider, signedOnly());
    const rotated = await run(rotation, { actions: signedOnly(), target: freshStaticProvider(), source: oldProvider });

    const rotationDoNothing = await createTable();
    await fillEncrypted(rotationDoNothing, items(5), oldProvider, withDoNothing());
    const rotatedDoNothing = await run(rotationDoNothing, { actions: withDoNothing(), target: freshStaticProvider(), source: oldProvider });

    // A writer changes an item between the scan and the write: the condition fails and the item is read again.
    const conflict = await createTable();
    await fillPlaintext(conflict, items(3));
    let interfered = false;
    const conflicted = await run(conflict, {
      actions: signedOnly(),
      target: freshStaticProvider(),
      before: async (command, input) => {
        if (interfered || command !== 'UpdateItem' || input.Key === undefined) return;
        interfered = true;
        await setup.send(new UpdateItemCommand({ TableName: conflict.name, Key: input.Key, UpdateExpression: 'SET card = :c', ExpressionAttributeValues: { ':c': { S: 'changed' } } }));
      },
    });
    expect(conflicted.counts.retried).toBe(1);

    expect(sorted(backfilled.sent)).toEqual(['dynamodb:Scan', 'dynamodb:UpdateItem']);
    expect(sorted(rotated.sent)).toEqual(['dynamodb:PutItem', 'dynamodb:Scan']);
    expect(sorted(rotatedDoNothing.sent)).toEqual(['dynamodb:Scan', 'dynamodb:UpdateItem']);
    expect(sorted(conflicted.sent)).toEqual(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
    const everything = [backfilled, rotated, rotatedDoNothing, conflicted].flatMap(({ sent }) => [...sent]);
    expect(sorted(new Set(everything))).toEqual([...TableActions.reEncryption].sort());
  });

  it('ingest is exactly what IngestWriter sends, in batch and in create-only mode', async () => {
    const table = await createTable();
    const sent = new Set<string>();
    const encryptedClient = new EncryptedClient({ client: recordingClient(sent), materialsProvider: freshStaticProvider(), attributeActions: withDoNothing() });
    const native = (index: number, card = `card-${index}`) => ({ pk: `customer-${index}`, sk: index, card, note: 'n' });

    const batch = new IngestWriter({ encryptedClient, tableName: table.name });
    await expect(batch.write([native(0), native(1), native(2)])).resolves.toMatchObject({ written: 3, failures: [] });
    const createOnly = new IngestWriter({ encryptedClient, tableName: table.name, createOnly: true });
    // Item 2 exists with other values: refused, not overwritten.
    await expect(createOnly.write([native(2, 'another card'), native(3)])).resolves.toMatchObject({ written: 1, failures: [{ index: 0, code: 'exists' }] });

    expect(sorted(sent)).toEqual([...TableActions.ingest].sort());
  });
});
