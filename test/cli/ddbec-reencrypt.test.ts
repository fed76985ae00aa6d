/**
 * `ddbec encrypt-table` and `ddbec reencrypt` as child processes against DynamoDB Local and the
 * local KMS: a backfill whose items then decrypt with the KMS provider, a dry run that writes
 * nothing, a rotation to a new key with the old one allowed, and a rerun that finds all current.
 * A checkpoint file belongs to one job: reused for the next rotation it is refused, not taken
 * for "already complete".
 */
import { join } from 'node:path';
import { DeleteTableCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { deserializeMaterialDescription } from '../../src/format/material-description';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider, KmsDecryptionMaterials } from '../../src/providers/aws-kms-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { putPlaintextItems, runDdbec, scanTable, temporaryDirectory, writeConfigFile } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const tables: string[] = [];
const ITEMS = 60;
const ACTIONS_JSON = JSON.stringify({ default: 'ENCRYPT_AND_SIGN', attributes: { category: 'SIGN_ONLY' } });
const actions = () => new AttributeActions({ attributeActions: { category: CryptoAction.SIGN_ONLY } });

afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  dynamoDb.destroy();
  kms.destroy();
});

async function plaintextTable(count = ITEMS): Promise<{ tableName: string; plaintext: Map<string, DynamoDbItem> }> {
  const tableName = uniqueName('cli-reencrypt');
  tables.push(tableName);
  await createPkSkTable(dynamoDb, tableName);
  const items = Array.from({ length: count }, (_, index) => samplePlaintextItem(index));
  await putPlaintextItems(dynamoDb, tableName, items);
  return { tableName, plaintext: new Map(items.map((item) => [keyOf(item), item])) };
}

const keyOf = (item: DynamoDbItem) => `${item.pk.S}/${item.sk.N}`;
const newKey = async () => (await kms.send(new CreateKeyCommand({ Description: 'ddbec cli tests' }))).KeyMetadata?.Arn as string;

/** Every item decrypts with a strict provider that trusts only `keyArn`, to the plaintext it started as, and was unwrapped by that key. */
async function expectAllUnder(tableName: string, keyArn: string, plaintext: Map<string, DynamoDbItem>): Promise<DynamoDbItem[]> {
  const tableInfo = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms, allowedKeyIds: [keyArn] });
  const crypto = new TableCrypto(tableInfo, provider, actions());
  const stored = await scanTable(dynamoDb, tableName);
  expect(stored).toHaveLength(plaintext.size);
  for (const item of stored) {
    expect(item[ReservedAttributes.SIGNATURE]?.B).toBeDefined();
    expect(item.card.S).toBeUndefined(); // ciphertext now
    expect(item.category.S).toBeDefined(); // SIGN_ONLY from the attribute actions: still readable
    await expect(crypto.decrypt(item)).resolves.toEqual(plaintext.get(keyOf(item)));
    const materials = await provider.decryptionMaterials({
      ...tableInfo.encryptionContext(),
      materialDescription: Object.fromEntries(deserializeMaterialDescription(item[ReservedAttributes.MATERIAL_DESCRIPTION].B as Uint8Array)),
      attributes: { pk: item.pk, sk: item.sk },
    });
    expect(materials).toBeInstanceOf(KmsDecryptionMaterials);
    expect((materials as KmsDecryptionMaterials).kmsKeyArn).toBe(keyArn);
  }
  return stored;
}

function summary(stdout: string): { complete: boolean; dryRun: boolean; counts: Record<string, number> } {
  return JSON.parse(stdout.trim().split('\n').pop() as string) as { complete: boolean; dryRun: boolean; counts: Record<string, number> };
}

test('encrypt-table backfills a plaintext table from a --config file; a dry run first writes nothing', async () => {
  const { tableName, plaintext } = await plaintextTable();
  const keyArn = await newKey();
  const config = writeConfigFile(temporaryDirectory(), {
    DDBEC_TABLE_NAME: tableName,
    DDBEC_MATERIALS: 'direct-kms',
    DDBEC_KMS_KEY_ID: keyArn,
    DDBEC_ALLOWED_KMS_KEY_IDS: keyArn,
    DDBEC_ATTRIBUTE_ACTIONS: ACTIONS_JSON,
  });
  const before = await scanTable(dynamoDb, tableName);

  const dryRun = await runDdbec(['encrypt-table', '--config', config, '--dry-run', '--json', '--segments', '2']);
  expect(dryRun.stderr).not.toContain('error');
  expect(dryRun.code).toBe(0);
  expect(summary(dryRun.stdout)).toMatchObject({ dryRun: true, complete: true, counts: { scanned: ITEMS, encrypted: ITEMS, alreadyCurrent: 0 } });
  // Nothing written: the table is exactly as it was.
  expect(new Set((await scanTable(dynamoDb, tableName)).map((item) => JSON.stringify(item)))).toEqual(new Set(before.map((item) => JSON.stringify(item))));

  const run = await runDdbec(['encrypt-table', '--config', config, '--json', '--segments', '3', '--concurrency', '2']);
  expect(run.stderr).not.toContain('error');
  expect(run.code).toBe(0);
  expect(summary(run.stdout)).toMatchObject({ dryRun: false, complete: true, counts: { scanned: ITEMS, encrypted: ITEMS, reencrypted: 0, failed: 0 } });
  // Progress lines go to stderr when it is not a terminal; the data channel holds only the summary.
  expect(run.stderr).toMatch(new RegExp(`ddbec: encrypt-table ${tableName}: ${ITEMS} items scanned`));
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  await expectAllUnder(tableName, keyArn, plaintext);
});

test('reencrypt moves every item to the new key, reading old ones with the old key allowed; a rerun writes nothing', async () => {
  const { tableName, plaintext } = await plaintextTable();
  const oldKey = await newKey();
  const currentKey = await newKey();
  const common = ['--table', tableName, '--materials', 'direct-kms', '--attribute-actions', ACTIONS_JSON];
  const backfill = await runDdbec(['encrypt-table', ...common, '--kms-key-id', oldKey, '--json']);
  expect(backfill.code).toBe(0);
  const underOldKey = await expectAllUnder(tableName, oldKey, plaintext);

  // Flags override the file: the file still names the old key as current.
  const config = writeConfigFile(temporaryDirectory(), { DDBEC_TABLE_NAME: 'not-this-table', DDBEC_MATERIALS: 'direct-kms', DDBEC_KMS_KEY_ID: oldKey });
  const rotation = await runDdbec(['reencrypt', '--config', config, ...common, '--kms-key-id', currentKey, '--allowed-kms-key-ids', `${currentKey},${oldKey}`]);
  expect(rotation.stderr).not.toContain('error');
  expect(rotation.code).toBe(0);
  expect(rotation.stdout).toContain(`reencrypt ${tableName}: complete; scanned ${ITEMS}, encrypted 0, reencrypted ${ITEMS}, alreadyCurrent 0`);
  const underNewKey = await expectAllUnder(tableName, currentKey, plaintext);
  const signatures = (items: DynamoDbItem[]) => new Map(items.map((item) => [keyOf(item), Buffer.from(item[ReservedAttributes.SIGNATURE].B as Uint8Array).toString('hex')]));
  const oldSignatures = signatures(underOldKey);
  for (const [key, signature] of signatures(underNewKey)) expect(signature).not.toBe(oldSignatures.get(key));

  const rerun = await runDdbec(['reencrypt', ...common, '--kms-key-id', currentKey, '--allowed-kms-key-ids', `${currentKey},${oldKey}`, '--json']);
  expect(rerun.code).toBe(0);
  expect(summary(rerun.stdout).counts).toMatchObject({ scanned: ITEMS, reencrypted: 0, encrypted: 0, alreadyCurrent: ITEMS });
  expect(signatures(await scanTable(dynamoDb, tableName))).toEqual(signatures(underNewKey));
});

test('most-recent: after a MetaStore rotation reencrypt moves items to the new version; a tampered item is left alone, reported by key, exit 1', async () => {
  const { tableName } = await plaintextTable(12);
  const metaStoreTable = uniqueName('cli-reencrypt-meta');
  tables.push(metaStoreTable);
  await MetaStore.createTable(dynamoDb, metaStoreTable);
  const keyArn = await newKey();
  const metaStore = new MetaStore({ tableName: metaStoreTable, materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }), dynamoDbClient: dynamoDb });
  await metaStore.newProvider('orders');
  // The endpoint given as a flag instead of the SDK's environment variable.
  const flags = ['--table', tableName, '--materials', 'most-recent', '--kms-key-id', keyArn, '--meta-store-table', metaStoreTable, '--material-name', 'orders'];
  const endpoint = { AWS_ENDPOINT_URL_DYNAMODB: undefined, AWS_ENDPOINT_URL: undefined };
  const checkpoint = ['--checkpoint', join(temporaryDirectory(), 'backfill.json')];
  const backfill = await runDdbec(['encrypt-table', ...flags, ...checkpoint, '--endpoint-url', process.env.AWS_ENDPOINT_URL_DYNAMODB as string], { env: endpoint });
  expect(backfill.stderr).not.toContain('error');
  expect(backfill.code).toBe(0);
  const versions = async () =>
    (await runDdbec(['describe', '--table', tableName, '--limit', '100', '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { materialName?: string; version?: number }).version);
  expect(await versions()).toEqual(Array.from({ length: 12 }, () => 0));

  await metaStore.newProvider('orders');
  // The same table and material name, but a new version: the backfill's file is of another job.
  const reused = await runDdbec(['encrypt-table', ...flags, ...checkpoint]);
  expect(reused.code).toBe(2);
  expect(reused.stderr).toContain(
    `is for a job to MetaStore ${metaStoreTable} material "orders" (newest version 0), not to MetaStore ${metaStoreTable} material "orders" (newest version 1): use a new --checkpoint file`,
  );
  const tampered = samplePlaintextItem(4);
  await dynamoDb.send(new UpdateItemCommand({ TableName: tableName, Key: { pk: tampered.pk, sk: tampered.sk }, UpdateExpression: 'SET category = :forged', ExpressionAttributeValues: { ':forged': { S: 'forged' } } }));
  const rotation = await runDdbec(['reencrypt', ...flags, '--json']);
  expect(rotation.code).toBe(1);
  expect(summary(rotation.stdout).counts).toMatchObject({ scanned: 12, reencrypted: 11, failed: 1 });
  expect(rotation.stderr).toContain(`ddbec: item {"pk":"${tampered.pk.S}","sk":${tampered.sk.N}} left unchanged: SignatureVerificationError`);
  expect(rotation.stderr).not.toContain('secret-card');
  expect((await versions()).sort()).toEqual([...Array.from({ length: 11 }, () => 1), 0].sort());
});

test('the checkpoint of an earlier rotation is refused for the next one (or for another command), instead of reporting it complete', async () => {
  const { tableName, plaintext } = await plaintextTable(12);
  const [key1, key2, key3] = [await newKey(), await newKey(), await newKey()];
  const common = ['--table', tableName, '--materials', 'direct-kms', '--attribute-actions', ACTIONS_JSON];
  expect((await runDdbec(['encrypt-table', ...common, '--kms-key-id', key1])).code).toBe(0);
  const checkpoint = join(temporaryDirectory(), 'rotation.json');
  const first = await runDdbec(['reencrypt', ...common, '--kms-key-id', key2, '--allowed-kms-key-ids', `${key2},${key1}`, '--checkpoint', checkpoint, '--json']);
  expect(first.code).toBe(0);
  expect(summary(first.stdout)).toMatchObject({ complete: true, counts: { reencrypted: 12 } });

  const next = await runDdbec(['reencrypt', ...common, '--kms-key-id', key3, '--allowed-kms-key-ids', `${key3},${key2}`, '--checkpoint', checkpoint]);
  expect(next.code).toBe(2);
  expect(next.stdout).toBe('');
  expect(next.stderr).toBe(
    `ddbec: error: the checkpoint file ${checkpoint} is for a job to KMS key ${key2} (allowed ${key2},${key1}), not to KMS key ${key3} (allowed ${key3},${key2}): ` +
      'use a new --checkpoint file, or delete this one to start over (to resume it, give the settings of the run that wrote it)\n',
  );
  const otherCommand = await runDdbec(['encrypt-table', ...common, '--kms-key-id', key2, '--allowed-kms-key-ids', `${key2},${key1}`, '--checkpoint', checkpoint]);
  expect(otherCommand.code).toBe(2);
  expect(otherCommand.stderr).toContain(`the checkpoint file ${checkpoint} is for reencrypt, not encrypt-table: use a new --checkpoint file`);
  await expectAllUnder(tableName, key2, plaintext);

  const withNewFile = await runDdbec(['reencrypt', ...common, '--kms-key-id', key3, '--allowed-kms-key-ids', `${key3},${key2}`, '--checkpoint', join(temporaryDirectory(), 'next.json'), '--json']);
  expect(withNewFile.code).toBe(0);
  expect(summary(withNewFile.stdout)).toMatchObject({ complete: true, alreadyComplete: false, counts: { reencrypted: 12 } });
  await expectAllUnder(tableName, key3, plaintext);
});
