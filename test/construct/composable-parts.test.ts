import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DecryptedStream, EncryptionMaterials, IngestFunction, IngestSource, ItemEncryption, ReEncryptionJob } from '../../lib';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { actionsOf, functionEnvironment, policyStatements, resourcesOf, templateOf, testStack } from './construct-stack';

/** The parts work without EncryptedTableConstruct, on a user's own table and key. */
test('ItemEncryption, IngestFunction, DecryptedStream and ReEncryptionJob compose on a table and key of your own', () => {
  const stack = testStack();
  const table = new dynamodb.TableV2(stack, 'Payments', {
    partitionKey: { name: 'paymentId', type: dynamodb.AttributeType.STRING },
    dynamoStream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
  const key = new kms.Key(stack, 'PaymentsKey', { enableKeyRotation: true });
  const encryption = new ItemEncryption(stack, 'Encryption', {
    table,
    key,
    materials: EncryptionMaterials.mostRecent({ materialName: 'payments' }),
    keyAttributeNames: ['paymentId'],
  });
  const audit = new sqs.Queue(stack, 'Audit', { fifo: true });
  new IngestFunction(stack, 'Ingest', { encryption, sources: [IngestSource.FUNCTION_URL] });
  new DecryptedStream(stack, 'Changes', { encryption, targetQueues: [audit] });
  new ReEncryptionJob(stack, 'Rotate', { encryption, totalSegments: 2 });
  const template = templateOf(stack);

  template.resourceCountIs('AWS::Lambda::Function', 3);
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
  template.resourceCountIs('AWS::DynamoDB::Table', 1); // the MetaStore
  const tableName = stack.resolve(table.tableName);
  for (const part of ['Ingest', 'Changes', 'Rotate']) {
    const environment = functionEnvironment(template, part);
    expect(environment[Names.TABLE_NAME]).toEqual(tableName);
    expect(environment[Names.MATERIAL_NAME]).toBe('payments');
    expect(JSON.parse(environment[Names.ATTRIBUTE_ACTIONS] as string).attributes).toEqual({ paymentId: 'SIGN_ONLY' });
  }
  expect(functionEnvironment(template, 'Changes')[Names.TARGET_QUEUE_URLS]).toEqual(stack.resolve(audit.queueUrl));
  const streamActions = policyStatements(template).filter((statement) => statement.policy.includes('Changes')).flatMap(actionsOf);
  expect(streamActions).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'sqs:SendMessage', 'kms:Decrypt']));
  expect(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(1);
});

test('a key attribute named with another action is refused, whatever the table kind', () => {
  const stack = testStack();
  const table = dynamodb.Table.fromTableName(stack, 'Imported', 'payments');
  const key = new kms.Key(stack, 'Key');
  expect(
    () => new ItemEncryption(stack, 'Encryption', { table, key, keyAttributeNames: ['paymentId'], attributeActions: { paymentId: 2 } }),
  ).toThrow(/"paymentId" is a key attribute/);
});
