/**
 * `ddbec export` and `ddbec verify` against a table holding valid items, tampered ones (a
 * signed attribute changed, a signature removed) and a plaintext one: the export is exactly
 * the plaintext of the valid items, bad items are reported by key only, and the counts and
 * exit statuses follow what was found.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DeleteTableCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { runDdbec, temporaryDirectory, writeConfigFile } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const ITEMS = 24;
const BIG_NUMBER = '12345678901234567890123456789012345678'; // 38 digits: more than a JavaScript number holds
const TAMPERED_VALUE = 5;
const UNSIGNED = 7;
const PLAINTEXT_INDEX = 100;

let tableName: string;
let config: string;
const directory = temporaryDirectory();

function item(index: number): DynamoDbItem {
  return { ...samplePlaintextItem(index), blob: { B: Uint8Array.from([index, 0, 255, 128]) }, big: { N: BIG_NUMBER } };
}

/** What export must print for `item(index)`: native values, sets as arrays, binary as base64. */
function exported(index: number): Record<string, unknown> {
  const id = String(index).padStart(4, '0');
  return {
    pk: `customer-${id}`,
    sk: index % 7,
    card: `secret-card-${id}`,
    amount: Number(`${index}.25`),
    tags: ['a', `tag-${id}`],
    nested: { list: [`deep-${id}`, true] },
    category: index % 3 === 0 ? 'gold' : 'plain',
    blob: Buffer.from([index, 0, 255, 128]).toString('base64'),
    big: Number(BIG_NUMBER),
  };
}

const keyText = (index: number) => JSON.stringify({ pk: `customer-${String(index).padStart(4, '0')}`, sk: index % 7 });

beforeAll(async () => {
  tableName = uniqueName('cli-export');
  await createPkSkTable(dynamoDb, tableName);
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddbec export tests' }))).KeyMetadata?.Arn as string;
  const attributeActions = { default: 'ENCRYPT_AND_SIGN', attributes: { category: 'SIGN_ONLY' } };
  config = writeConfigFile(directory, {
    DDBEC_TABLE_NAME: tableName,
    DDBEC_MATERIALS: 'direct-kms',
    DDBEC_KMS_KEY_ID: keyArn,
    DDBEC_ALLOWED_KMS_KEY_IDS: keyArn,
    DDBEC_ATTRIBUTE_ACTIONS: JSON.stringify(attributeActions),
  });
  const writer = new EncryptedClient({
    client: dynamoDb,
    materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }),
    attributeActions: new AttributeActions({ attributeActions: { category: CryptoAction.SIGN_ONLY } }),
    tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
  });
  await writer.batchWriteAll({ [tableName]: Array.from({ length: ITEMS }, (_, index) => ({ PutRequest: { Item: item(index) } })) });
  const key = (index: number) => ({ pk: { S: `customer-${String(index).padStart(4, '0')}` }, sk: { N: String(index % 7) } });
  // A signed (SIGN_ONLY, readable) value changed: the signature no longer matches.
  await dynamoDb.send(new UpdateItemCommand({ TableName: tableName, Key: key(TAMPERED_VALUE), UpdateExpression: 'SET category = :forged', ExpressionAttributeValues: { ':forged': { S: 'gold' } } }));
  // The signature removed, the material description kept: tampered, not plaintext.
  await dynamoDb.send(new UpdateItemCommand({ TableName: tableName, Key: key(UNSIGNED), UpdateExpression: 'REMOVE #signature', ExpressionAttributeNames: { '#signature': '*amzn-ddb-map-sig*' } }));
  await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: samplePlaintextItem(PLAINTEXT_INDEX) }));
});

afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
  kms.destroy();
});

const validIndexes = Array.from({ length: ITEMS }, (_, index) => index).filter((index) => index !== TAMPERED_VALUE && index !== UNSIGNED);

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const byKey = (left: Record<string, unknown>, right: Record<string, unknown>) => `${left.pk}/${left.sk}`.localeCompare(`${right.pk}/${right.sk}`);

test('export writes the valid items as JSON lines of their plaintext, reports the bad ones by key, and exits 1', async () => {
  const result = await runDdbec(['export', '--config', config, '--segments', '3']);
  expect(result.code).toBe(1);
  expect(parseLines(result.stdout).sort(byKey)).toEqual(validIndexes.map(exported).sort(byKey));
  // All 38 digits, as DynamoDB stored them, not a rounded JavaScript number.
  expect(result.stdout.split('\n').filter((line) => line !== '').every((line) => line.includes(`"big":${BIG_NUMBER}`))).toBe(true);
  expect(result.stderr).toContain(`ddbec: item ${keyText(TAMPERED_VALUE)} not exported: fails verification (SignatureVerificationError)`);
  expect(result.stderr).toContain(`ddbec: item ${keyText(UNSIGNED)} not exported: fails verification (SignatureVerificationError)`);
  expect(result.stderr).toContain(`ddbec: item ${keyText(PLAINTEXT_INDEX)} not exported: plaintext (never encrypted)`);
  expect(result.stderr).toContain(`${validIndexes.length} items exported, 2 failed verification, 1 plaintext`);
  // Nothing of a bad item but its key reaches the terminal.
  for (const index of [TAMPERED_VALUE, UNSIGNED, PLAINTEXT_INDEX]) expect(result.stderr + result.stdout).not.toContain(`secret-card-${String(index).padStart(4, '0')}`);
});

test('export --output FILE --skip-invalid writes the file, leaves stdout empty and exits 0', async () => {
  const output = join(directory, 'export.jsonl');
  const result = await runDdbec(['export', '--config', config, '--output', output, '--skip-invalid', '--segments', '1']);
  expect(result.code).toBe(0);
  expect(result.stdout).toBe('');
  expect(parseLines(readFileSync(output, 'utf8')).sort(byKey)).toEqual(validIndexes.map(exported).sort(byKey));
});

test('verify counts valid, tampered and plaintext items, prints their keys and exits 1', async () => {
  const result = await runDdbec(['verify', '--config', config]);
  expect(result.code).toBe(1);
  const lines = result.stdout.trim().split('\n');
  expect(lines.slice(0, -1).sort()).toEqual(
    [
      `plaintext ${keyText(PLAINTEXT_INDEX)}`,
      `tampered  ${keyText(TAMPERED_VALUE)} (SignatureVerificationError)`,
      `tampered  ${keyText(UNSIGNED)} (SignatureVerificationError)`,
    ].sort(),
  );
  expect(lines.at(-1)).toBe(`verify ${tableName}: ${ITEMS + 1} items, ${ITEMS - 2} valid, 2 tampered, 1 plaintext`);
  expect(result.stdout + result.stderr).not.toContain('secret-card');

  const json = await runDdbec(['verify', '--config', config, '--json', '--max-keys', '1']);
  expect(json.code).toBe(1);
  const report = JSON.parse(json.stdout) as { scanned: number; valid: number; tampered: number; plaintext: number; badItems: unknown[]; badItemsTruncated: boolean };
  expect(report).toMatchObject({ scanned: ITEMS + 1, valid: ITEMS - 2, tampered: 2, plaintext: 1, badItemsTruncated: true });
  expect(report.badItems).toHaveLength(1);
  expect([TAMPERED_VALUE, UNSIGNED, PLAINTEXT_INDEX].map((index) => JSON.parse(keyText(index)) as unknown)).toContainEqual((report.badItems[0] as { key: unknown }).key);
});

test('verify: plaintext items alone fail the audit unless --allow-plaintext; a wrong key makes every encrypted item fail', async () => {
  // Without the tampered items, only valid and plaintext ones are left.
  await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'customer-0005' }, sk: { N: '5' } } }));
  await dynamoDb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'customer-0007' }, sk: { N: '0' } } }));
  const strict = await runDdbec(['verify', '--config', config, '--json']);
  expect(JSON.parse(strict.stdout)).toMatchObject({ tampered: 0, plaintext: 1, valid: ITEMS - 2 });
  expect(strict.code).toBe(1);
  const allowing = await runDdbec(['verify', '--config', config, '--allow-plaintext']);
  expect(allowing.code).toBe(0);
  expect(allowing.stdout).toContain(`${ITEMS - 1} items, ${ITEMS - 2} valid, 0 tampered, 1 plaintext`);

  // Only another key allowed: KMS refuses every data key as wrapped under another key (real KMS
  // answers IncorrectKeyException; moto an AccessDeniedException without a message, which is no
  // authorization failure naming the key, hence a mismatch too), so every encrypted item fails
  // decryption and counts as tampered. A key KMS denies this caller (IAM "not authorized to
  // perform") would stop the audit instead: the provider tests cover that answer.
  const otherKey = (await kms.send(new CreateKeyCommand({ Description: 'ddbec export tests, other key' }))).KeyMetadata?.Arn as string;
  const wrongKey = await runDdbec(['verify', '--config', config, '--kms-key-id', otherKey, '--allowed-kms-key-ids', otherKey, '--allow-plaintext', '--json', '--max-keys', '0']);
  expect(JSON.parse(wrongKey.stdout)).toMatchObject({ valid: 0, tampered: ITEMS - 2, plaintext: 1, badItems: [] });
  expect(wrongKey.code).toBe(1);
});
