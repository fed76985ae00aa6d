/**
 * Bugs the issue #8 fuzzing found in src/, now fixed: each test asserts the correct behaviour
 * on the input that found it, and fuzzes around it.
 */
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { DynamoDbEncryptionError } from '../../src/errors';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { itemsFromJson } from '../../src/pipeline/ingest-event';
import { checkIngestItem } from '../../src/pipeline/ingest-item-check';
import { put } from '../encryptor/arbitraries';
import { makeConfig } from '../support/item-encryptor-fixtures';
import { assertTarget } from './fuzz-oracle';
import { FUZZ_FINDINGS, decryptTamperedItem, ingestEventParsing } from './fuzz-targets';

describe('fuzz findings, fixed', () => {
  it('checkIngestItem rejects a deeply nested item instead of overflowing the stack', () => {
    const depth = FUZZ_FINDINGS.ingestDeepNesting.triggerDepth;
    const [item] = itemsFromJson(`{"pk":"PLAINTEXT-MARKER","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`, 'the request body');
    let verdict: ReturnType<typeof checkIngestItem> | undefined;
    try {
      verdict = checkIngestItem(item, { partitionKey: 'pk', attributeTypes: { pk: 'S' } });
    } catch (error) {
      expect(error).toBeInstanceOf(DynamoDbEncryptionError);
    }
    if (verdict !== undefined) expect(verdict.ok).toBe(false);
  });

  it('an attribute renamed to a name with the same lossy UTF-8 does not verify', async () => {
    const { storedName, tamperedName } = FUZZ_FINDINGS.signatureNameAmbiguity;
    const config = makeConfig();
    const plaintext: DynamoDbItem = { pk: { S: 'a' }, sk: { N: '1' } };
    put<AttributeValue>(plaintext, storedName, { S: 'PLAINTEXT-MARKER' });
    const stored = await encryptDynamoDbItem(plaintext, config);
    const tampered: DynamoDbItem = { ...stored };
    put(tampered, tamperedName, stored[storedName] as AttributeValue);
    delete tampered[storedName];
    await expect(decryptDynamoDbItem(tampered, config)).rejects.toBeInstanceOf(DynamoDbEncryptionError);
  });

  it('fuzz: ingest with nesting past the stack', async () => {
    await assertTarget(ingestEventParsing({ includeFindings: true }), 300);
  });

  it('fuzz: tampering by renaming to lossy-UTF-8 lookalike names', async () => {
    await assertTarget(decryptTamperedItem({ includeFindings: true }), 300);
  });
});
