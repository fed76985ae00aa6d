import { CfnParameter, Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CryptoAction, EncryptedTableConstruct, EncryptionMaterials, IngestSource, PlaintextRecords, type EncryptedTableConstructProps } from '../../lib';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { TableActions } from '../../src/pipeline/table-actions';
import { actionsOf, functionEnvironment, policyStatements, resourcesOf, templateOf, testStack } from './construct-stack';

const orderKeys = {
  partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
  sortKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
};

function synth(props: Partial<EncryptedTableConstructProps>, extra?: (stack: ReturnType<typeof testStack>) => Partial<EncryptedTableConstructProps>) {
  const stack = testStack();
  const construct = new EncryptedTableConstruct(stack, 'Orders', { ...orderKeys, ...props, ...(extra?.(stack) ?? {}) });
  return { stack, construct, template: templateOf(stack) };
}

/** The DynamoDB actions granted to the role of the part whose policy id contains `part`, DescribeTable (ItemEncryption's) aside. */
function tableActionsOf(template: ReturnType<typeof templateOf>, part: string): Set<string> {
  const actions = policyStatements(template).filter((statement) => statement.policy.includes(part)).flatMap(actionsOf);
  return new Set(actions.filter((action) => action.startsWith('dynamodb:') && action !== 'dynamodb:DescribeTable'));
}

/** A number known only at deploy time. */
function numberParameter(stack: Stack, id: string): number {
  return new CfnParameter(stack, id, { type: 'Number' }).valueAsNumber;
}

const everything: Partial<EncryptedTableConstructProps> = {
  ingest: { sources: [IngestSource.QUEUE, IngestSource.FUNCTION_URL] },
  decryptedStream: {},
  reEncryption: {},
};

describe('the table', () => {
  test('a new table has its keys, a NEW_AND_OLD_IMAGES stream, point-in-time recovery and deletion protection, and is retained', () => {
    const { template } = synth({});
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'customerId', KeyType: 'HASH' },
          { AttributeName: 'orderId', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('billing, recovery, deletion protection and removal policy are configurable', () => {
    const { template } = synth({
      billingMode: dynamodb.BillingMode.PROVISIONED,
      readCapacity: 7,
      writeCapacity: 3,
      pointInTimeRecovery: false,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
      tableName: 'orders',
    });
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        TableName: 'orders',
        ProvisionedThroughput: { ReadCapacityUnits: 7, WriteCapacityUnits: 3 },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        DeletionProtectionEnabled: false,
      }),
      DeletionPolicy: 'Delete',
    });
  });

  test('an existing table is used as it is, and named in every handler', () => {
    const stack = testStack();
    const table = dynamodb.Table.fromTableAttributes(stack, 'Existing', {
      tableName: 'legacy-orders',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/legacy-orders/stream/2026-01-01T00:00:00.000',
    });
    new EncryptedTableConstruct(stack, 'Orders', { existingTable: table, ...everything });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    for (const part of ['Ingest', 'DecryptedStream', 'ReEncryption']) {
      expect(functionEnvironment(template, part)[Names.TABLE_NAME]).toBe('legacy-orders');
    }
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/legacy-orders/stream/2026-01-01T00:00:00.000',
    });
  });

  test('refuses contradictory or missing table settings with messages that say what to do', () => {
    const stack = testStack();
    const table = dynamodb.Table.fromTableName(stack, 'Existing', 'legacy');
    expect(() => new EncryptedTableConstruct(stack, 'A', { existingTable: table, partitionKey: orderKeys.partitionKey })).toThrow(
      /partitionKey describe a new table and cannot be used with existingTable/,
    );
    expect(() => new EncryptedTableConstruct(stack, 'B', {})).toThrow(/give partitionKey for a new table, or existingTable/);
    expect(() => new EncryptedTableConstruct(stack, 'C', { ...orderKeys, readCapacity: 5 })).toThrow(/need billingMode PROVISIONED/);
    expect(() => new EncryptedTableConstruct(stack, 'D', { existingTable: table, decryptedStream: {} })).toThrow(/the table has no stream.*tableStreamArn/);
    expect(() => new EncryptedTableConstruct(stack, 'E', { existingTable: table, deletionProtection: false })).toThrow(
      /deletionProtection describe a new table and cannot be used with existingTable/,
    );
    expect(() => new EncryptedTableConstruct(stack, 'F', { existingTable: table, pointInTimeRecovery: true, deletionProtection: true })).toThrow(
      /pointInTimeRecovery, deletionProtection describe a new table and cannot be used with existingTable/,
    );
  });
});

describe('the key and the materials', () => {
  test('a new KMS key has automatic rotation and is retained', () => {
    const { template } = synth({});
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain' });
  });

  test('direct KMS: KMS permissions are conditioned on the encryption context naming the table', () => {
    const { template, stack, construct } = synth(everything);
    const tableRef = stack.resolve((construct.table as dynamodb.Table).tableName);
    const kmsStatements = policyStatements(template).filter((statement) => actionsOf(statement).some((action) => action === 'kms:Decrypt' || action === 'kms:GenerateDataKey'));
    expect(new Set(kmsStatements.map((statement) => statement.policy)).size).toBe(3); // ingest, stream, re-encryption
    for (const statement of kmsStatements) {
      expect(statement.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:*aws-kms-table*': tableRef } });
    }
    // Only ingest and re-encryption make data keys; the stream only decrypts.
    const generating = kmsStatements.filter((statement) => actionsOf(statement).includes('kms:GenerateDataKey')).map((statement) => statement.policy);
    expect(generating.sort()).toEqual([expect.stringContaining('Ingest'), expect.stringContaining('ReEncryption')]);
    // Direct KMS ingest only makes data keys: it never decrypts.
    const decrypting = kmsStatements.filter((statement) => actionsOf(statement).includes('kms:Decrypt')).map((statement) => statement.policy);
    expect(decrypting.sort()).toEqual([expect.stringContaining('DecryptedStream'), expect.stringContaining('ReEncryption')]);
    for (const part of ['Ingest', 'DecryptedStream', 'ReEncryption']) {
      const environment = functionEnvironment(template, part);
      expect(environment[Names.MATERIALS]).toBe('direct-kms');
      expect(environment[Names.META_STORE_TABLE_NAME]).toBeUndefined();
    }
  });

  test('no statement allows a * action, and dynamodb:ListStreams is the only * resource', () => {
    const { template } = synth({ ...everything, decryptedStream: { targetTopics: undefined } });
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) expect(actionsOf(statement).some((action) => action.includes('*'))).toBe(false);
    const onEveryResource = statements.filter((statement) => [statement.Resource].flat().includes('*'));
    // The stream event source's ListStreams cannot be narrowed to one table; it is there, and alone.
    expect(onEveryResource.length).toBeGreaterThan(0);
    for (const statement of onEveryResource) expect(actionsOf(statement)).toEqual(['dynamodb:ListStreams']);
  });

  test('most recent: a MetaStore table is created, and KMS use is conditioned on the MetaStore as the context table', () => {
    const { template, stack, construct } = synth({ ...everything, materials: EncryptionMaterials.mostRecent({ materialName: 'orders', versionTtl: Duration.minutes(2) }) });
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'N', KeyType: 'HASH' },
        { AttributeName: 'V', KeyType: 'RANGE' },
      ],
    });
    const metaStoreRef = stack.resolve((construct.metaStoreTable as dynamodb.Table).tableName);
    const kmsStatements = policyStatements(template).filter((statement) => actionsOf(statement).includes('kms:Decrypt'));
    expect(new Set(kmsStatements.map((statement) => statement.policy)).size).toBe(3);
    for (const statement of kmsStatements) expect(statement.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:*aws-kms-table*': metaStoreRef } });
    // Only writers may add MetaStore versions.
    const metaStoreArn = stack.resolve((construct.metaStoreTable as dynamodb.Table).tableArn);
    const putters = policyStatements(template).filter((statement) => actionsOf(statement).includes('dynamodb:PutItem') && JSON.stringify(statement.Resource).includes(JSON.stringify(metaStoreArn)));
    expect(putters.map((statement) => statement.policy).sort()).toEqual([expect.stringContaining('Ingest'), expect.stringContaining('ReEncryption')]);
    const environment = functionEnvironment(template, 'Ingest');
    expect(environment).toMatchObject({ [Names.MATERIALS]: 'most-recent', [Names.MATERIAL_NAME]: 'orders', [Names.VERSION_TTL_MS]: '120000', [Names.META_STORE_TABLE_NAME]: metaStoreRef });
  });

  test('most recent with an existing MetaStore creates no table and defaults the material name to the table name', () => {
    const { template, stack, construct } = synth({}, (stack) => ({
      ingest: {},
      materials: EncryptionMaterials.mostRecent({ existingMetaStoreTable: dynamodb.Table.fromTableName(stack, 'Store', 'shared-meta-store') }),
    }));
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const environment = functionEnvironment(template, 'Ingest');
    expect(environment[Names.META_STORE_TABLE_NAME]).toBe('shared-meta-store');
    expect(environment[Names.MATERIAL_NAME]).toEqual(stack.resolve((construct.table as dynamodb.Table).tableName));
  });

  test('an existing key and previous keys: strict mode trusts exactly those keys, previous ones for decryption only', () => {
    const current = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-1111-1111-111111111111';
    const previous = 'arn:aws:kms:eu-west-1:111111111111:key/22222222-2222-2222-2222-222222222222';
    const { template } = synth({ ingest: {}, decryptedStream: {} }, (stack) => ({
      existingKey: kms.Key.fromKeyArn(stack, 'Current', current),
      previousKeys: [kms.Key.fromKeyArn(stack, 'Previous', previous)],
    }));
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(functionEnvironment(template, 'Ingest')).toMatchObject({ [Names.KMS_KEY_ID]: current, [Names.ALLOWED_KMS_KEY_IDS]: `${current},${previous}` });
    const statements = policyStatements(template);
    const streamDecrypt = statements.find((statement) => statement.policy.includes('DecryptedStream') && actionsOf(statement).includes('kms:Decrypt'));
    expect(streamDecrypt?.Resource).toEqual([current, previous]);
    const ingestGenerate = statements.find((statement) => statement.policy.includes('Ingest') && actionsOf(statement).includes('kms:GenerateDataKey'));
    expect(ingestGenerate?.Resource).toBe(current);
  });

  test('an alias as the key: permissions name keys by kms:ResourceAliases, still conditioned on the table', () => {
    const { template } = synth({ ingest: {} }, (stack) => ({ existingKey: kms.Alias.fromAliasName(stack, 'Alias', 'alias/orders') }));
    const statement = policyStatements(template).find((candidate) => actionsOf(candidate).includes('kms:GenerateDataKey'));
    expect(statement?.Condition).toMatchObject({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/orders'] },
      StringEquals: { 'kms:EncryptionContext:*aws-kms-table*': expect.anything() },
    });
    expect(JSON.stringify(statement?.Resource)).toContain(':key/*');
  });
});

describe('attribute actions', () => {
  test('key attributes are always SIGN_ONLY and the rest is written as configured', () => {
    const { template } = synth({ ingest: {}, defaultAction: CryptoAction.SIGN_ONLY, attributeActions: { card: CryptoAction.ENCRYPT_AND_SIGN, note: CryptoAction.DO_NOTHING } });
    const actions = JSON.parse(functionEnvironment(template, 'Ingest')[Names.ATTRIBUTE_ACTIONS] as string);
    expect(actions).toEqual({ default: 'SIGN_ONLY', attributes: { card: 'ENCRYPT_AND_SIGN', note: 'DO_NOTHING', customerId: 'SIGN_ONLY', orderId: 'SIGN_ONLY' } });
  });

  test('a key attribute given another action is refused at synth time', () => {
    expect(() => synth({ attributeActions: { orderId: CryptoAction.ENCRYPT_AND_SIGN } })).toThrow(/"orderId" is a key attribute .* always SIGN_ONLY/);
    expect(() => synth({ attributeActions: { customerId: CryptoAction.DO_NOTHING } })).toThrow(/"customerId" is a key attribute/);
  });
});

describe('ingest', () => {
  test('invoke only by default: no URL, no queue; writes and encrypts but cannot read the table', () => {
    const { template, construct } = synth({ ingest: {} });
    template.resourceCountIs('AWS::Lambda::Url', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    const actions = policyStatements(template).filter((statement) => statement.policy.includes('Ingest')).flatMap(actionsOf);
    expect(actions).toContain('kms:GenerateDataKey');
    expect(tableActionsOf(template, 'Ingest')).toEqual(new Set(TableActions.ingest));
    expect(functionEnvironment(template, 'Ingest')[Names.CREATE_ONLY]).toBe('false');
    const caller = new iam.Role(construct, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    construct.ingest?.grantInvoke(caller);
    expect(() => construct.ingest?.grantInvokeUrl(caller)).toThrow(/needs IngestSource.FUNCTION_URL/);
    expect(() => construct.ingest?.grantSendItems(caller)).toThrow(/needs IngestSource.QUEUE/);
  });

  test('a Function URL uses IAM auth by default, and NONE only when asked', () => {
    synth({ ingest: { sources: [IngestSource.FUNCTION_URL] } }).template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    synth({ ingest: { sources: [IngestSource.FUNCTION_URL], functionUrlAuthType: lambda.FunctionUrlAuthType.NONE } }).template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
  });

  test('a queue source gets an encrypted queue with a dead-letter queue, per-message failure reports and an alarm', () => {
    const { template, construct } = synth({
      ingest: { sources: [IngestSource.QUEUE], maxReceiveCount: 5, queueBatchSize: 20, queueMaxBatchingWindow: Duration.seconds(2), createOnly: true, timeout: Duration.seconds(20) },
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 20, MaximumBatchingWindowInSeconds: 2, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(functionEnvironment(template, 'Ingest')[Names.CREATE_ONLY]).toBe('true');
    // Create-only ingest decrypts an item found in the way (an earlier delivery of the same one?).
    expect(policyStatements(template).filter((statement) => statement.policy.includes('Ingest')).flatMap(actionsOf)).toContain('kms:Decrypt');
    expect(construct.ingest?.deadLetterQueueAlarm).toBeDefined();
    expect(construct.alarms).toContain(construct.ingest?.deadLetterQueueAlarm);
  });

  test('a queue batch above 10 messages needs a batching window', () => {
    expect(() => synth({ ingest: { sources: [IngestSource.QUEUE], queueBatchSize: 20 } })).toThrow(/queueBatchSize above 10 needs queueMaxBatchingWindow/);
  });

  test('queueBatchSize may be a token, checked by CloudFormation at deploy time', () => {
    const { template } = synth({}, (stack) => ({ ingest: { sources: [IngestSource.QUEUE], queueBatchSize: numberParameter(stack, 'Batch') } }));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: { Ref: 'Batch' } });
  });

  test('an existing queue is read as it is', () => {
    const { template } = synth({}, (stack) => ({
      ingest: { sources: [IngestSource.QUEUE], existingQueue: sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:eu-west-1:111111111111:orders-in') },
    }));
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: 'arn:aws:sqs:eu-west-1:111111111111:orders-in' });
  });

  test('an existing queue of the app without a dead-letter queue gets a warning; one with a dead-letter queue does not', () => {
    const warningsFor = (withDeadLetterQueue: boolean) => {
      const stack = testStack();
      const deadLetterQueue = withDeadLetterQueue ? { queue: new sqs.Queue(stack, 'Dlq'), maxReceiveCount: 5 } : undefined;
      const queue = new sqs.Queue(stack, 'In', { deadLetterQueue });
      new EncryptedTableConstruct(stack, 'Orders', { ...orderKeys, ingest: { sources: [IngestSource.QUEUE], existingQueue: queue } });
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('existingQueue has no dead-letter queue'));
    };
    expect(warningsFor(false)).toHaveLength(1);
    expect(warningsFor(true)).toHaveLength(0);
  });

  test('a timeout given as a token still gives the new queue a valid visibility timeout', () => {
    const { template } = synth({}, (stack) => ({ ingest: { sources: [IngestSource.QUEUE], timeout: Duration.seconds(numberParameter(stack, 'Timeout')) } }));
    const queues = resourcesOf(template, 'AWS::SQS::Queue').map(([, resource]) => resource.Properties.VisibilityTimeout).filter((value) => value !== undefined);
    expect(queues).toEqual([5400]);
  });
});

describe('decrypted stream', () => {
  test('refuses a table whose stream does not carry both images', () => {
    const stack = testStack();
    const table = new dynamodb.Table(stack, 'KeysOnly', { partitionKey: orderKeys.partitionKey, stream: dynamodb.StreamViewType.KEYS_ONLY });
    expect(() => new EncryptedTableConstruct(stack, 'Orders', { existingTable: table, decryptedStream: {} })).toThrow(
      /stream is KEYS_ONLY.*NEW_AND_OLD_IMAGES/,
    );
  });

  test('the stream mapping reports batch item failures, bisects, retries, ages out to a failure destination', () => {
    const { template } = synth({ decryptedStream: {} });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      BatchSize: 100,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    const timeout = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.includes('DecryptedStream'))?.[1].Properties.Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(30); // the handler keeps 5 s in reserve
  });

  test('with no target a standard queue is created; with fifo a FIFO queue; the verification dead-letter queue is separate', () => {
    const standard = synth({ decryptedStream: {} });
    standard.template.resourceCountIs('AWS::SQS::Queue', 3); // target, dead letters, failure destination
    const environment = functionEnvironment(standard.template, 'DecryptedStream');
    expect(environment[Names.TARGET_QUEUE_URLS]).toEqual(standard.stack.resolve(standard.construct.decryptedStream?.targetQueue?.queueUrl));
    expect(environment[Names.DEAD_LETTER_QUEUE_URL]).toEqual(standard.stack.resolve(standard.construct.decryptedStream?.deadLetterQueue.queueUrl));
    expect(environment[Names.PLAINTEXT_RECORDS]).toBe('dead-letter');
    synth({ decryptedStream: { fifo: true } }).template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
  });

  test('given queues, topics and buses are targets with send permissions, and nothing else is created', () => {
    const { template } = synth({}, (stack) => ({
      decryptedStream: {
        targetQueues: [sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:eu-west-1:111111111111:changes.fifo')],
        targetTopics: [sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111111111111:changes')],
        targetEventBuses: [events.EventBus.fromEventBusArn(stack, 'B', 'arn:aws:events:us-east-1:222222222222:event-bus/orders-bus')],
        plaintextRecords: PlaintextRecords.PASS_THROUGH,
        parallelizationFactor: 2,
        batchSize: 50,
        retryAttempts: 3,
        maxRecordAge: Duration.hours(2),
        bisectBatchOnError: false,
        startingPosition: lambda.StartingPosition.LATEST,
      },
    }));
    template.resourceCountIs('AWS::SQS::Queue', 2); // dead letters and failure destination only
    const environment = functionEnvironment(template, 'DecryptedStream');
    expect(environment[Names.TARGET_QUEUE_URLS]).toEqual(expect.objectContaining({}));
    expect(JSON.stringify(environment[Names.TARGET_QUEUE_URLS])).toContain('changes.fifo');
    expect(environment[Names.TARGET_TOPIC_ARNS]).toBe('arn:aws:sns:eu-west-1:111111111111:changes');
    // By ARN: the bus is in another account and region, which a name could not reach.
    expect(environment[Names.TARGET_EVENT_BUS_NAMES]).toBe('arn:aws:events:us-east-1:222222222222:event-bus/orders-bus');
    expect(environment[Names.PLAINTEXT_RECORDS]).toBe('pass-through');
    const actions = policyStatements(template).filter((statement) => statement.policy.includes('DecryptedStream')).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 'sns:Publish', 'events:PutEvents', 'kms:Decrypt']));
    expect(actions).not.toContain('kms:GenerateDataKey');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ParallelizationFactor: 2,
      BatchSize: 50,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 7200,
      BisectBatchOnFunctionError: false,
      StartingPosition: 'LATEST',
    });
  });

  test('a topic and a bus can be created as targets, with no queue then', () => {
    const { template, stack, construct } = synth({ decryptedStream: { createTopic: true, createEventBus: true } });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::SQS::Queue', 2); // dead letters and failure destination only
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const environment = functionEnvironment(template, 'DecryptedStream');
    expect(environment[Names.TARGET_TOPIC_ARNS]).toEqual(stack.resolve(construct.decryptedStream?.targetTopic?.topicArn));
    expect(environment[Names.TARGET_EVENT_BUS_NAMES]).toEqual(stack.resolve(construct.decryptedStream?.targetEventBus?.eventBusArn));
    expect(environment[Names.TARGET_QUEUE_URLS]).toBe('');
    const actions = policyStatements(template).filter((statement) => statement.policy.includes('DecryptedStream')).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['sns:Publish', 'events:PutEvents']));
  });

  test('alarms watch the dead letters, the failure destination, the iterator age and errors', () => {
    const { template, construct } = synth({ decryptedStream: {} });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Statistic: 'Maximum' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' });
    expect(construct.alarms).toHaveLength(4);
  });

  test('bad settings are refused', () => {
    expect(() => synth({ decryptedStream: { parallelizationFactor: 11 } })).toThrow(/parallelizationFactor must be a whole number from 1 to 10/);
    expect(() => synth({ decryptedStream: { batchSize: 0 } })).toThrow(/batchSize must be/);
    expect(() =>
      synth({}, (stack) => ({ decryptedStream: { fifo: true, targetTopics: [sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111111111111:t')] } })),
    ).toThrow(/fifo applies to the queue created when no other target is given/);
  });

  test('batchSize and parallelizationFactor may be tokens, checked by CloudFormation at deploy time', () => {
    const { template } = synth({}, (stack) => ({ decryptedStream: { batchSize: numberParameter(stack, 'Batch'), parallelizationFactor: numberParameter(stack, 'Factor') } }));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: { Ref: 'Batch' }, ParallelizationFactor: { Ref: 'Factor' } });
  });
});

describe('re-encryption', () => {
  function definitionOf(template: ReturnType<typeof templateOf>): string {
    const [, machine] = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[0];
    return JSON.stringify(machine.Properties.DefinitionString);
  }

  test('an inline Map over the segments, a loop on the checkpoint, summed counts, and a failure alarm', () => {
    const { template, construct } = synth({ reEncryption: { totalSegments: 6, maxConcurrency: 3 } });
    const definition = definitionOf(template);
    expect(definition).toContain('[0..5]');
    expect(definition).toContain('\\"MaxConcurrency\\":3');
    expect(definition).toContain('\\"QueryLanguage\\":\\"JSONata\\"');
    expect(definition).not.toContain('DISTRIBUTED');
    expect(definition).toContain('$exists($states.input.checkpoint)');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' });
    expect(construct.reEncryptionJob?.totalSegments).toBe(6);
    const actions = policyStatements(template).filter((statement) => statement.policy.includes('ReEncryptionFunction')).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
    expect(tableActionsOf(template, 'ReEncryptionFunction')).toEqual(new Set(TableActions.reEncryption));
  });

  test('large segment counts use a Distributed Map', () => {
    const { template } = synth({ reEncryption: { totalSegments: 200 } });
    const definition = definitionOf(template);
    expect(definition).toContain('DISTRIBUTED');
    expect(definition).toContain('[0..199]');
    expect(definition).toContain('\\"MaxConcurrency\\":200');
  });

  test('a schedule and the key rotation start the job; the rotation first asks for new materials', () => {
    const { template } = synth({ materials: EncryptionMaterials.mostRecent(), reEncryption: { schedule: events.Schedule.rate(Duration.days(7)), startOnKeyRotation: true } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(7 days)', Targets: [Match.objectLike({ Input: '{"trigger":"schedule"}' })] });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.kms'], 'detail-type': ['KMS CMK Rotation'], resources: [Match.anyValue()] },
      Targets: [Match.objectLike({ Input: '{"trigger":"kms-key-rotation","rotateMaterials":true}' })],
    });
    expect(definitionOf(template)).toContain('RotateMaterialsFirst');
  });

  test('with an alias as the key, the rotation rule matches the key behind it: rotation events name the key, not the alias', () => {
    const mostRecent = { materials: EncryptionMaterials.mostRecent(), reEncryption: { startOnKeyRotation: true } };
    const ruleResources = (template: ReturnType<typeof templateOf>) => {
      const [[, rule]] = resourcesOf(template, 'AWS::Events::Rule');
      return (rule.Properties.EventPattern as { resources: unknown[] }).resources;
    };
    let target: kms.Key | undefined;
    const created = synth(mostRecent, (stack) => {
      target = new kms.Key(stack, 'TargetKey', { enableKeyRotation: true });
      return { existingKey: new kms.Alias(stack, 'Alias', { aliasName: 'alias/orders', targetKey: target }) };
    });
    expect(ruleResources(created.template)).toEqual([created.stack.resolve(target?.keyArn)]);

    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-1111-1111-111111111111';
    const imported = synth(mostRecent, (stack) => ({
      existingKey: kms.Alias.fromAliasAttributes(stack, 'Alias', { aliasName: 'alias/orders', aliasTargetKey: kms.Key.fromKeyArn(stack, 'Key', keyArn) }),
    }));
    expect(ruleResources(imported.template)).toEqual([keyArn]);

    expect(() => synth(mostRecent, (stack) => ({ existingKey: kms.Alias.fromAliasName(stack, 'Alias', 'alias/orders') }))).toThrow(
      /startOnKeyRotation needs the key behind the alias alias\/orders.*fromAliasAttributes/,
    );
  });

  test('a key rotation trigger with Direct KMS is refused: there would be nothing to re-encrypt', () => {
    expect(() => synth({ reEncryption: { startOnKeyRotation: true } })).toThrow(/startOnKeyRotation needs EncryptionMaterials.mostRecent\(\)/);
  });

  test('capacity budgets and the version attribute reach the handler', () => {
    const { template } = synth({ reEncryption: { readCapacityPerSecond: 50, writeCapacityPerSecond: 25, versionAttribute: 'revision' } });
    expect(functionEnvironment(template, 'ReEncryption')).toMatchObject({
      [Names.READ_CAPACITY_PER_SECOND]: '50',
      [Names.WRITE_CAPACITY_PER_SECOND]: '25',
      [Names.VERSION_ATTRIBUTE]: 'revision',
    });
  });

  test('bad settings are refused', () => {
    expect(() => synth({ reEncryption: { totalSegments: 0 } })).toThrow(/totalSegments must be a whole number from 1/);
    expect(() => synth({ reEncryption: { totalSegments: 1001 } })).toThrow(/totalSegments must be a whole number from 1 to 1000/);
    expect(() => synth({ reEncryption: { totalSegments: 8, maxConcurrency: 41 } })).toThrow(/maxConcurrency must be a whole number from 1 to 40 for an inline Map/);
  });

  test('capacity budgets the handler would refuse at cold start are refused at synth time', () => {
    for (const value of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => synth({ reEncryption: { readCapacityPerSecond: value } })).toThrow(/readCapacityPerSecond must be a number above 0/);
      expect(() => synth({ reEncryption: { writeCapacityPerSecond: value } })).toThrow(/writeCapacityPerSecond must be a number above 0/);
    }
    expect(() => synth({ reEncryption: { readCapacityPerSecond: 0.5, writeCapacityPerSecond: 1 } })).not.toThrow();
  });

  test('a timeout under 30 seconds is refused: the handler stops 10 seconds before it', () => {
    expect(() => synth({ reEncryption: { timeout: Duration.seconds(29) } })).toThrow(/timeout must be at least 30 seconds, got 29 seconds/);
    const { template } = synth({ reEncryption: { timeout: Duration.seconds(30) } });
    expect(resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.includes('ReEncryption'))?.[1].Properties.Timeout).toBe(30);
  });

  test('numbers may be tokens, except totalSegments, which the state machine definition needs at synth time', () => {
    const { template } = synth({}, (stack) => ({
      reEncryption: {
        maxConcurrency: numberParameter(stack, 'Concurrency'),
        readCapacityPerSecond: numberParameter(stack, 'Read'),
        writeCapacityPerSecond: numberParameter(stack, 'Write'),
        timeout: Duration.seconds(numberParameter(stack, 'Timeout')),
      },
    }));
    expect(functionEnvironment(template, 'ReEncryption')).toMatchObject({ [Names.READ_CAPACITY_PER_SECOND]: { Ref: 'Read' }, [Names.WRITE_CAPACITY_PER_SECOND]: { Ref: 'Write' } });
    expect(resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.includes('ReEncryption'))?.[1].Properties.Timeout).toEqual({ Ref: 'Timeout' });
    expect(() => synth({}, (stack) => ({ reEncryption: { totalSegments: numberParameter(stack, 'Segments') } }))).toThrow(
      /totalSegments must be a plain number, not a token .*synth time/,
    );
  });
});

describe('functions', () => {
  test('every pipeline function is nodejs22.x on arm64 with source maps, its own role and a log group with retention', () => {
    const { template } = synth(everything);
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    for (const [, resource] of functions) {
      expect(resource.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect((resource.Properties.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // No managed policy: each role writes to its own log group only.
    template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  test("a role of the user's replaces the function's own, and receives the grants", () => {
    const stack = testStack();
    const role = new iam.Role(stack, 'Given', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new EncryptedTableConstruct(stack, 'Orders', { ...orderKeys, ingest: { role } });
    const template = templateOf(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    const [, lambdaFunction] = resourcesOf(template, 'AWS::Lambda::Function')[0];
    expect(JSON.stringify(lambdaFunction.Properties.Role)).toContain(stack.getLogicalId(role.node.defaultChild as iam.CfnRole));
    const granted = policyStatements(template).filter((statement) => statement.policy.includes('Given')).flatMap(actionsOf);
    expect(granted).toEqual(expect.arrayContaining([...TableActions.ingest, 'kms:GenerateDataKey']));
  });

  test('in a VPC, the function runs in its subnets and its own role may manage the network interfaces', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    new EncryptedTableConstruct(stack, 'Orders', { ...orderKeys, ingest: { vpc } });
    const template = templateOf(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() }) });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('AWSLambdaVPCAccessExecutionRole')])]) })],
    });
  });

  test('grantEncrypt and grantDecrypt give a user function only key use and table description', () => {
    const stack = testStack();
    const construct = new EncryptedTableConstruct(stack, 'Orders', orderKeys);
    const user = new iam.Role(stack, 'UserFunction', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    construct.grantEncrypt(user);
    construct.grantDecrypt(user);
    const actions = policyStatements(templateOf(stack)).filter((statement) => statement.policy.includes('UserFunction')).flatMap(actionsOf);
    expect(new Set(actions)).toEqual(new Set(['dynamodb:DescribeTable', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey']));
  });

  test('grantEncrypt gives kms:Decrypt only where encrypting reads stored materials (MostRecent)', () => {
    const encryptActions = (materials: EncryptionMaterials) => {
      const stack = testStack();
      const construct = new EncryptedTableConstruct(stack, 'Orders', { ...orderKeys, materials });
      construct.grantEncrypt(new iam.Role(stack, 'UserFunction', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      return new Set(policyStatements(templateOf(stack)).filter((statement) => statement.policy.includes('UserFunction')).flatMap(actionsOf).filter((action) => action.startsWith('kms:')));
    };
    expect(encryptActions(EncryptionMaterials.directKms())).toEqual(new Set(['kms:GenerateDataKey']));
    expect(encryptActions(EncryptionMaterials.mostRecent())).toEqual(new Set(['kms:GenerateDataKey', 'kms:Decrypt']));
  });
});
