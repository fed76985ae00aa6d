import { CryptoAction } from '../../src/encryptor/crypto-action';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { ConfigurationError, readIngestConfig, readReEncryptConfig, readStreamConfig } from '../../src/pipeline/pipeline-config';
import { tableInfoFor } from '../../src/pipeline/materials-from-config';

const base = {
  [Names.TABLE_NAME]: 'orders',
  [Names.MATERIALS]: 'direct-kms',
  [Names.KMS_KEY_ID]: 'arn:aws:kms:us-east-1:111122223333:key/k',
};

describe('pipeline configuration from the environment', () => {
  it('reads a Direct KMS ingest configuration with its defaults', () => {
    const config = readIngestConfig(base);
    expect(config.table).toEqual({ tableName: 'orders', partitionKeyName: undefined, sortKeyName: undefined });
    expect(config.materials).toEqual({ kind: 'direct-kms', kmsKeyId: base[Names.KMS_KEY_ID], allowedKmsKeyIds: undefined });
    expect(config.createOnly).toBe(false);
    expect(config.attributeActions.defaultAction).toBe(CryptoAction.ENCRYPT_AND_SIGN);
  });

  it('reads most-recent materials, key names, strict key list and attribute actions', () => {
    const config = readReEncryptConfig({
      ...base,
      [Names.MATERIALS]: 'most-recent',
      [Names.META_STORE_TABLE_NAME]: 'orders-metastore',
      [Names.MATERIAL_NAME]: 'orders',
      [Names.VERSION_TTL_MS]: '60000',
      [Names.ALLOWED_KMS_KEY_IDS]: 'arn:new, arn:old',
      [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.SORT_KEY_NAME]: 'sk',
      [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ default: 'SIGN_ONLY', attributes: { card: 'ENCRYPT_AND_SIGN', note: 'DO_NOTHING' } }),
    });
    expect(config.materials).toMatchObject({ kind: 'most-recent', metaStoreTableName: 'orders-metastore', materialName: 'orders', versionTtlMs: 60000 });
    expect(config.materials.allowedKmsKeyIds).toEqual(['arn:new', 'arn:old']);
    expect(config.table).toEqual({ tableName: 'orders', partitionKeyName: 'pk', sortKeyName: 'sk' });
    expect(config.attributeActions.action('card')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    expect(config.attributeActions.action('note')).toBe(CryptoAction.DO_NOTHING);
    expect(config.attributeActions.action('other')).toBe(CryptoAction.SIGN_ONLY);
  });

  it('reads the re-encryption capacity budget and version attribute', () => {
    const config = readReEncryptConfig({
      ...base,
      [Names.READ_CAPACITY_PER_SECOND]: '50',
      [Names.WRITE_CAPACITY_PER_SECOND]: '25.5',
      [Names.VERSION_ATTRIBUTE]: 'revision',
    });
    expect(config).toMatchObject({ readCapacityPerSecond: 50, writeCapacityPerSecond: 25.5, versionAttribute: 'revision' });
    expect(readReEncryptConfig(base).readCapacityPerSecond).toBeUndefined();
    expect(() => readReEncryptConfig({ ...base, [Names.WRITE_CAPACITY_PER_SECOND]: '0' })).toThrow(Names.WRITE_CAPACITY_PER_SECOND);
  });

  it('reads stream targets and the plaintext-record policy', () => {
    const config = readStreamConfig({
      ...base,
      [Names.TARGET_QUEUE_URLS]: 'http://127.0.0.1:1/q1,http://127.0.0.1:1/q2.fifo',
      [Names.TARGET_TOPIC_ARNS]: 'arn:aws:sns:us-east-1:1:t',
      [Names.DEAD_LETTER_QUEUE_URL]: 'http://127.0.0.1:1/dlq',
      [Names.PLAINTEXT_RECORDS]: 'pass-through',
    });
    expect(config.targets).toEqual({ queueUrls: ['http://127.0.0.1:1/q1', 'http://127.0.0.1:1/q2.fifo'], topicArns: ['arn:aws:sns:us-east-1:1:t'], eventBusNames: [] });
    expect(config.plaintextRecords).toBe('pass-through');
    expect(config.deadLetterQueueUrl).toBe('http://127.0.0.1:1/dlq');
  });

  it('reports every missing or invalid setting at once, naming the variables', () => {
    let error: unknown;
    try {
      readStreamConfig({ [Names.MATERIALS]: 'magic', [Names.CREATE_ONLY]: 'yes', [Names.ATTRIBUTE_ACTIONS]: '{"default": "SHRED"}' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join('\n');
    for (const name of [Names.TABLE_NAME, Names.MATERIALS, Names.KMS_KEY_ID, Names.ATTRIBUTE_ACTIONS, Names.DEAD_LETTER_QUEUE_URL]) {
      expect(problems).toContain(name);
    }
    expect(problems).toContain('no target');
  });

  describe(`${Names.ATTRIBUTE_ACTIONS} of the wrong shape is refused, never read as "everything ENCRYPT_AND_SIGN"`, () => {
    /** The problems reported for `value`, each of which must name the variable. */
    function actionProblems(value: string): readonly string[] {
      let error: unknown;
      try {
        readIngestConfig({ ...base, [Names.ATTRIBUTE_ACTIONS]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      const { problems } = error as ConfigurationError;
      expect(problems.length).toBeGreaterThan(0);
      for (const problem of problems) expect(problem).toContain(Names.ATTRIBUTE_ACTIONS);
      return problems;
    }

    it.each([
      ['a bare action name', '"SIGN_ONLY"'],
      ['an array', '[]'],
      ['a number', '42'],
      ['null', 'null'],
      ['a string that is not JSON', 'SIGN_ONLY'],
    ])('%s', (_what, value) => {
      expect(actionProblems(value).join('\n')).toMatch(/must be a JSON object|is not JSON/);
    });

    it('unknown keys, naming the closest valid one (the public API\'s names are not these)', () => {
      const problems = actionProblems(JSON.stringify({ defaultAction: 'SIGN_ONLY', attributeActions: { note: 'DO_NOTHING' } })).join('\n');
      expect(problems).toMatch(/unknown key "defaultAction".*did you mean "default"/);
      expect(problems).toMatch(/unknown key "attributeActions".*did you mean "attributes"/);
      expect(actionProblems(JSON.stringify({ default: 'SIGN_ONLY', attribute: { note: 'DO_NOTHING' } })).join('\n')).toMatch(/unknown key "attribute".*did you mean "attributes"/);
    });

    it('values of the wrong type or not an action name', () => {
      expect(actionProblems(JSON.stringify({ default: 42 })).join('\n')).toMatch(/default must be ENCRYPT_AND_SIGN, SIGN_ONLY or DO_NOTHING/);
      expect(actionProblems(JSON.stringify({ default: 'constructor' })).join('\n')).toMatch(/default must be/);
      expect(actionProblems(JSON.stringify({ default: 'toString' })).join('\n')).toMatch(/default must be/);
      expect(actionProblems(JSON.stringify({ attributes: 'SIGN_ONLY' })).join('\n')).toMatch(/attributes must be a JSON object/);
      expect(actionProblems(JSON.stringify({ attributes: ['note'] })).join('\n')).toMatch(/attributes must be a JSON object/);
      expect(actionProblems(JSON.stringify({ attributes: null })).join('\n')).toMatch(/attributes must be a JSON object/);
      expect(actionProblems(JSON.stringify({ attributes: { note: { action: 'SIGN_ONLY' } } })).join('\n')).toMatch(/attribute "note" must be/);
      expect(actionProblems(JSON.stringify({ attributes: { note: 'sign_only' } })).join('\n')).toMatch(/attribute "note" must be/);
    });

    it('still accepts the documented shape, each key optional', () => {
      expect(readIngestConfig({ ...base, [Names.ATTRIBUTE_ACTIONS]: '{}' }).attributeActions.defaultAction).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      const onlyAttributes = readIngestConfig({ ...base, [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ attributes: { note: 'DO_NOTHING' } }) }).attributeActions;
      expect(onlyAttributes.action('note')).toBe(CryptoAction.DO_NOTHING);
      expect(onlyAttributes.action('card')).toBe(CryptoAction.ENCRYPT_AND_SIGN);
      expect(readIngestConfig({ ...base, [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ default: 'DO_NOTHING' }) }).attributeActions.action('card')).toBe(CryptoAction.DO_NOTHING);
    });
  });

  it('refuses a malformed boolean, TTL and most-recent settings', () => {
    expect(() => readIngestConfig({ ...base, [Names.CREATE_ONLY]: 'yes' })).toThrow(Names.CREATE_ONLY);
    expect(() => readReEncryptConfig({ ...base, [Names.MATERIALS]: 'most-recent', [Names.VERSION_TTL_MS]: 'soon' })).toThrow(
      new RegExp(`${Names.META_STORE_TABLE_NAME}.*${Names.MATERIAL_NAME}.*${Names.VERSION_TTL_MS}`),
    );
    expect(() => readReEncryptConfig({ ...base, [Names.SORT_KEY_NAME]: 'sk' })).toThrow(Names.PARTITION_KEY_NAME);
  });

  it('takes key names from the environment only for a table said to have no secondary index', () => {
    // Otherwise an index key would be missed, and encrypted under an ENCRYPT_AND_SIGN default.
    expect(() => readReEncryptConfig({ ...base, [Names.PARTITION_KEY_NAME]: 'pk', [Names.SORT_KEY_NAME]: 'sk' })).toThrow(Names.SECONDARY_INDEXES);
    expect(() => readReEncryptConfig({ ...base, [Names.PARTITION_KEY_NAME]: 'pk', [Names.SECONDARY_INDEXES]: 'gsi1' })).toThrow(/can only be "none"/);
    const config = readReEncryptConfig({ ...base, [Names.PARTITION_KEY_NAME]: 'pk', [Names.SECONDARY_INDEXES]: 'none' });
    expect(tableInfoFor(config.table)?.protectedIndexKeys).toEqual(['pk']);
    expect(tableInfoFor(readReEncryptConfig(base).table)).toBeUndefined();
  });
});
