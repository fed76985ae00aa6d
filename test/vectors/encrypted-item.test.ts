import { verifyVectors, type VerifyReport } from '../../src/cli/vectors/verify-vectors';
import { localAwsEndpoints } from '../support/local-aws';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

describe('encrypted item vectors (shared/vectors/encrypted_item)', () => {
  let report: VerifyReport;

  beforeAll(async () => {
    localAwsEndpoints(); // the MetaStore scenarios need DynamoDB Local
    report = await verifyVectors(ITEM_VECTORS_DIR);
  }, 120_000);

  it('decrypts and verifies every offline item, none failing', () => {
    const problems = report.results.flatMap((result) => result.problems.map((problem) => `${result.scenario}: ${problem}`));
    expect(problems).toEqual([]);
    expect(report.failed).toBe(0);
    // 16 offline scenarios of 16 items, the 4-item complex scenario and the null-table item.
    expect(report.passed).toBeGreaterThanOrEqual(16 * 16 + 4 + 1);
  });

  it('runs every offline scenario, MetaStore ones included, and skips only those needing AWS KMS', () => {
    const skipped = report.results.filter((result) => result.status === 'skipped');
    for (const result of skipped) expect(result.note).toMatch(/AWS KMS/);
    const ran = report.results.filter((result) => result.status !== 'skipped').map((result) => result.scenario);
    expect(ran).toEqual(
      expect.arrayContaining([
        'python/static-aes-hmac-1.json',
        'python/wrapped-rsa-rsa-1.json',
        'python/metastore-data-tables-2.json',
        'java/wrapped-rsa-rsa-1.json',
        'java/metastore-data-tables-1.json',
        'java/static-aes-hmac-complex-1.json',
        'java/static-aes-hmac-nonbmp-desc-1.json',
        'null-table-name',
      ]),
    );
    expect(skipped.map((result) => result.scenario)).toEqual(
      expect.arrayContaining(['python/aws-kms-direct-1.json', 'java/aws-kms-aes128-1.json', 'kms-non-bmp-hash-key']),
    );
  });

  it('reads the MetaStore scenarios through a MetaStore table in DynamoDB Local', () => {
    const metaStoreResults = report.results.filter((result) => result.note?.includes('MetaStore'));
    expect(metaStoreResults.map((result) => result.scenario)).toEqual([
      'python/metastore-data-tables-2.json',
      'java/metastore-data-tables-2.json',
      'java/metastore-data-tables-1.json',
    ]);
    for (const result of metaStoreResults) {
      expect(result.note).toContain('MetaStore in DynamoDB');
      expect(result.passed).toBe(16);
    }
  });

  it('counts the upstream orphan items as skipped, not passed', () => {
    const orphanScenarios = report.results.filter((result) => result.note?.includes('match no plaintext entry'));
    expect(orphanScenarios.map((result) => [result.scenario, result.skipped])).toEqual([
      ['java/static-aes-hmac-3.json', 2],
      ['java/wrapped-rsa-rsa-2.json', 2],
    ]);
  });
});
