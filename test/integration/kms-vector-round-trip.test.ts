import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { generateVectors } from '../../src/cli/vectors/generate-vectors';
import { verifyVectors } from '../../src/cli/vectors/verify-vectors';
import { localKmsClient, uniqueName } from '../support/local-aws';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

/**
 * Round-trip scenarios for the providers the shared vectors can only check offline: Direct KMS,
 * and MostRecent over a KMS-protected MetaStore, written with `vectors generate` under a key of
 * the local KMS and read back with `vectors verify` (MetaStore in DynamoDB Local).
 */
describe('vectors generate + verify with the local KMS', () => {
  const directories: string[] = [];
  afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

  it('writes and reads Direct KMS and KMS-protected MostRecent scenarios, every item passing', async () => {
    const keyId = (await localKmsClient().send(new CreateKeyCommand({ Description: 'vector round trip' }))).KeyMetadata?.Arn as string;
    const input = mkdtempSync(path.join(tmpdir(), 'kms-vectors-in-'));
    const output = mkdtempSync(path.join(tmpdir(), 'kms-vectors-out-'));
    directories.push(input, output);

    const keys = JSON.parse(readFileSync(path.join(ITEM_VECTORS_DIR, 'keys.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(input, 'keys.json'), JSON.stringify({ ...keys, localKms: { keyId, local: true } }));
    copyFileSync(path.join(ITEM_VECTORS_DIR, 'plaintext.json'), path.join(input, 'plaintext.json'));
    // The upstream KMS files serve as templates: which tables to write.
    mkdirSync(path.join(input, 'ciphertext/python'), { recursive: true });
    for (const file of ['aws-kms-direct-1.json', 'metastore-aws-kms-1.json', 'metastore-data-tables-3.json']) {
      copyFileSync(path.join(ITEM_VECTORS_DIR, 'ciphertext/python', file), path.join(input, 'ciphertext/python', file));
    }
    const localKms = { decrypt: 'localKms', verify: 'localKms' };
    const metaStoreTable = uniqueName('kms-metastore');
    writeFileSync(
      path.join(input, 'scenarios.json'),
      JSON.stringify({
        scenarios: [
          { version: 'v1', provider: 'awskms', keys: localKms, plaintext: 'file://plaintext.json', ciphertext: 'file://ciphertext/python/aws-kms-direct-1.json', network: false },
          {
            version: 'v1',
            provider: 'awskms',
            keys: localKms,
            material_description: { 'amzn-ddb-env-alg': 'AES/128' },
            plaintext: 'file://plaintext.json',
            ciphertext: 'file://ciphertext/python/aws-kms-direct-1.json',
            network: false,
          },
          {
            version: 'v1',
            provider: 'most_recent',
            material_name: 'local-material',
            metastore: { table_name: metaStoreTable, provider: 'awskms', keys: localKms, ciphertext: 'file://ciphertext/python/metastore-aws-kms-1.json' },
            plaintext: 'file://plaintext.json',
            ciphertext: 'file://ciphertext/python/metastore-data-tables-3.json',
            network: false,
          },
        ],
      }),
    );

    const generated = await generateVectors(input, output);
    expect(generated.left).toEqual([]);
    expect(generated.written.map((entry) => entry.items)).toEqual([16, 16, 16]);

    const report = await verifyVectors(output);
    expect(report.results.flatMap((result) => result.problems)).toEqual([]);
    expect(report).toMatchObject({ passed: 48, failed: 0, skipped: 0 });
    expect(report.results[2].note).toContain('MetaStore in DynamoDB');
  }, 60_000);
});
