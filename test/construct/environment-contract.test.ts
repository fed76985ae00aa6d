import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { EncryptedOrdersStack } from '../../bin/example-stack';
import { EncryptedTableConstruct, EncryptionMaterials, IngestSource } from '../../lib';
import { createIngestHandler } from '../../lambda/ingest';
import { createReEncryptSegmentHandler } from '../../lambda/reencrypt-segment';
import { dependenciesFromEnvironment } from '../../lambda/stream-decrypt';
import { readIngestConfig, readReEncryptConfig, readStreamConfig } from '../../src/pipeline/pipeline-config';
import { functionEnvironment, resourcesOf, testStack } from './construct-stack';

/**
 * The construct writes DDBEC_* variables, the handlers read them. This test takes the
 * environment of each synthesized function, stands in deploy-time values for CloudFormation
 * references (as CloudFormation would: a table name, a key ARN, a queue URL), and hands it to
 * the handlers' own configuration parsers and handler factories: a variable the construct
 * forgets, misspells or formats differently fails here, not at the first deployment.
 */

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

type Template_ = ReturnType<typeof Template.fromStack>;

/** What CloudFormation would put in place of a Ref / Fn::GetAtt, by the referenced resource's type. */
function deployedValue(template: Template_, logicalId: string, attribute: string | undefined): string {
  const resource = (template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)[logicalId];
  if (resource === undefined) throw new Error(`reference to unknown resource ${logicalId}`);
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
      return attribute === undefined ? `table-${logicalId}` : `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/table-${logicalId}`;
    case 'AWS::KMS::Key':
      return attribute === undefined ? `key-${logicalId}` : `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-${logicalId}`;
    case 'AWS::SQS::Queue': {
      const name = `queue-${logicalId}${resource.Properties?.FifoQueue === true ? '.fifo' : ''}`;
      return attribute === undefined ? `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}` : `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    }
    default:
      throw new Error(`the environment references a ${resource.Type}; teach this test its deployed value`);
  }
}

function deployed(template: Template_, value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return deployedValue(template, intrinsic.Ref, undefined);
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return deployedValue(template, intrinsic['Fn::GetAtt'][0] as string, intrinsic['Fn::GetAtt'][1] as string);
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => deployed(template, part)).join(separator);
  }
  throw new Error(`unexpected value in a function environment: ${JSON.stringify(value)}`);
}

function deployedEnvironment(template: Template_, functionPart: string): Record<string, string> {
  return Object.fromEntries(Object.entries(functionEnvironment(template, functionPart)).map(([name, value]) => [name, deployed(template, value)]));
}

function exampleTemplate(): Template_ {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new EncryptedOrdersStack(app, 'EncryptedOrders', { env: { account: ACCOUNT, region: REGION } }));
}

describe('the environment contract, on the example stack', () => {
  const template = exampleTemplate();
  const [tableId] = resourcesOf(template, 'AWS::DynamoDB::Table')[0];
  const [keyId] = resourcesOf(template, 'AWS::KMS::Key')[0];

  test('ingest: the parser reads the table, direct KMS materials and attribute actions, and the handler builds', () => {
    const environment = deployedEnvironment(template, 'Ingest');
    const config = readIngestConfig(environment);
    expect(config.table.tableName).toBe(`table-${tableId}`);
    expect(config.materials).toEqual({ kind: 'direct-kms', kmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/key-${keyId}`, allowedKmsKeyIds: [`arn:aws:kms:${REGION}:${ACCOUNT}:key/key-${keyId}`] });
    expect(config.attributeActions.action('status')).toBe(1); // SIGN_ONLY
    expect(config.attributeActions.action('customerId')).toBe(1);
    expect(config.attributeActions.action('cardNumber')).toBe(2); // the ENCRYPT_AND_SIGN default
    expect(config.attributeActions.action('expiresAt')).toBe(0); // DO_NOTHING
    expect(config.createOnly).toBe(false);
    expect(typeof createIngestHandler({ environment })).toBe('function');
  });

  test('stream: the FIFO target and the dead-letter queue are read, and the handler builds', () => {
    const environment = deployedEnvironment(template, 'DecryptedStream');
    const config = readStreamConfig(environment);
    expect(config.targets.queueUrls).toHaveLength(1);
    expect(config.targets.queueUrls[0]).toMatch(/\.fifo$/);
    expect(config.deadLetterQueueUrl).toMatch(/^https:\/\/sqs\./);
    expect(config.deadLetterQueueUrl).not.toBe(config.targets.queueUrls[0]);
    expect(config.plaintextRecords).toBe('dead-letter');
    expect(dependenciesFromEnvironment(environment).decryptor).toBeDefined();
  });

  test('re-encryption: the parser reads the common settings, and the handler builds', () => {
    const environment = deployedEnvironment(template, 'ReEncryption');
    const config = readReEncryptConfig(environment);
    expect(config.table.tableName).toBe(`table-${tableId}`);
    expect(config.readCapacityPerSecond).toBeUndefined();
    expect(typeof createReEncryptSegmentHandler({ environment })).toBe('function');
  });

  test('no handler is told the key names: they learn keys and index keys with DescribeTable', () => {
    for (const part of ['Ingest', 'DecryptedStream', 'ReEncryption']) {
      const config = readIngestConfig(deployedEnvironment(template, part));
      expect(config.table.partitionKeyName).toBeUndefined();
    }
  });
});

test('the PipelineConfiguration output is the DDBEC_* settings the handlers read (for ddbec --config)', () => {
  const template = exampleTemplate();
  const outputs = template.findOutputs('*');
  const [name, output] = Object.entries(outputs).find(([id]) => id.includes('PipelineConfiguration')) ?? [];
  expect(name).toBeDefined();
  // A Fn::Join of text and references: resolved as CloudFormation would, it is a JSON object.
  const settings = JSON.parse(deployed(template, (output as { Value: unknown }).Value)) as Record<string, string>;
  const config = readReEncryptConfig(settings);
  expect(config.table.tableName).toMatch(/^table-/);
  expect(config.materials.kind).toBe('direct-kms');
  expect(config.attributeActions.action('status')).toBe(1);
  expect(settings).toEqual(expect.objectContaining(Object.fromEntries(Object.entries(deployedEnvironment(template, 'ReEncryption')).filter(([key]) => key in settings))));
});

test('the contract holds for most-recent materials, every target kind and re-encryption budgets', () => {
  const stack = testStack();
  new EncryptedTableConstruct(stack, 'Orders', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    materials: EncryptionMaterials.mostRecent(),
    ingest: { sources: [IngestSource.QUEUE], createOnly: true },
    decryptedStream: {},
    reEncryption: { readCapacityPerSecond: 40, writeCapacityPerSecond: 20, versionAttribute: 'revision' },
  });
  const template = Template.fromStack(stack);
  const metaStoreId = resourcesOf(template, 'AWS::DynamoDB::Table').find(([, table]) => JSON.stringify(table.Properties.KeySchema).includes('"V"'))?.[0];
  for (const part of ['Ingest', 'DecryptedStream', 'ReEncryption']) {
    const materials = readIngestConfig(deployedEnvironment(template, part)).materials;
    expect(materials).toMatchObject({ kind: 'most-recent', metaStoreTableName: `table-${metaStoreId}`, versionTtlMs: 300_000 });
  }
  expect(readIngestConfig(deployedEnvironment(template, 'Ingest')).createOnly).toBe(true);
  expect(readReEncryptConfig(deployedEnvironment(template, 'ReEncryption'))).toMatchObject({ readCapacityPerSecond: 40, writeCapacityPerSecond: 20, versionAttribute: 'revision' });
});
