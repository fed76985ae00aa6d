/**
 * Bugs the issue #8 fuzzing found in src/ and that are not fixed yet. Each test asserts the
 * correct behaviour, so it fails until src/ is fixed; the block is skipped unless
 * FUZZ_KNOWN_BUGS=1 so that the default run stays green. Remove a test (and its entry in
 * KNOWN_BUGS, which keeps the default generators below its trigger) once its bug is fixed.
 */
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { DynamoDbEncryptionError } from '../../src/errors';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { itemsFromJson } from '../../src/pipeline/ingest-event';
import { checkIngestItem } from '../../src/pipeline/ingest-item-check';
import { put } from '../encryptor/arbitraries';
import { makeConfig } from '../support/item-encryptor-fixtures';
import { assertTarget } from './fuzz-oracle';
import { KNOWN_BUGS, decryptTamperedItem, ingestEventParsing, knownBugsEnabled } from './fuzz-targets';

const describeKnownBugs = knownBugsEnabled() ? describe : describe.skip;

describeKnownBugs('KNOWN BUGS (issue #8 fuzz findings; FUZZ_KNOWN_BUGS=1 to run)', () => {
  it('checkIngestItem rejects a deeply nested item instead of overflowing the stack', () => {
    const depth = KNOWN_BUGS.ingestDeepNesting.triggerDepth;
    const [item] = itemsFromJson(`{"pk":"PLAINTEXT-MARKER","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`, 'the request body');
    let verdict: ReturnType<typeof checkIngestItem> | undefined;
    try {
      verdict = checkIngestItem(item, { partitionKey: 'pk', attributeTypes: { pk: 'S' } });
    } catch (error) {
      // Today: RangeError "Maximum call stack size exceeded" from holdsProtoKey.
      expect(error).toBeInstanceOf(DynamoDbEncryptionError);
    }
    if (verdict !== undefined) expect(verdict.ok).toBe(false);
  });

  it('an attribute renamed to a name with the same lossy UTF-8 does not verify', async () => {
    const { storedName, tamperedName } = KNOWN_BUGS.signatureNameAmbiguity;
    const config = makeConfig();
    const plaintext: DynamoDbItem = { pk: { S: 'a' }, sk: { N: '1' } };
    put<AttributeValue>(plaintext, storedName, { S: 'PLAINTEXT-MARKER' });
    const stored = await encryptDynamoDbItem(plaintext, config);
    const tampered: DynamoDbItem = { ...stored };
    put(tampered, tamperedName, stored[storedName] as AttributeValue);
    delete tampered[storedName];
    // Today: resolves with the renamed attribute decrypted.
    await expect(decryptDynamoDbItem(tampered, config)).rejects.toBeInstanceOf(DynamoDbEncryptionError);
  });

  it('fuzz: ingest with nesting past the stack', async () => {
    await assertTarget(ingestEventParsing({ includeKnownBugs: true }), 300);
  });

  it('fuzz: tampering by renaming to lossy-UTF-8 lookalike names', async () => {
    await assertTarget(decryptTamperedItem({ includeKnownBugs: true }), 300);
  });
});
