import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EncryptedOrdersStack } from '../../bin/example-stack';
import { EncryptedTableConstruct, EncryptionMaterials, IngestSource } from '../../lib';

const ROOT = path.resolve(__dirname, '..', '..');

function nagApp(): App {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

describe('cdk-nag AwsSolutionsChecks', () => {
  test('the example stack passes (every acknowledgement is made in code, with a reason)', () => {
    const app = nagApp();
    new EncryptedOrdersStack(app, 'EncryptedOrders');
    expect(() => app.synth()).not.toThrow();
  });

  test('most-recent materials with given queue, topic and bus targets pass too', () => {
    const app = nagApp();
    const stack = new Stack(app, 'MostRecent');
    new EncryptedTableConstruct(stack, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      materials: EncryptionMaterials.mostRecent(),
      ingest: { sources: [IngestSource.QUEUE] },
      decryptedStream: {
        targetQueues: [sqs.Queue.fromQueueArn(stack, 'Q', 'arn:aws:sqs:eu-west-1:111111111111:changes')],
        targetTopics: [sns.Topic.fromTopicArn(stack, 'T', 'arn:aws:sns:eu-west-1:111111111111:changes')],
        targetEventBuses: [events.EventBus.fromEventBusName(stack, 'B', 'orders')],
        createTopic: true,
        createEventBus: true,
      },
      reEncryption: { totalSegments: 100 },
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('the check is live: an unacknowledged finding fails the synth', () => {
    const app = nagApp();
    const stack = new Stack(app, 'Careless');
    new sqs.Queue(stack, 'NoDeadLetterQueueNoSsl');
    expect(() => app.synth()).toThrow();
  });
});

test('`npx cdk synth` of bin/app.ts works offline with no AWS credentials, bundling the handlers, and the template has what was asked', () => {
  const output = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  try {
    const environment: NodeJS.ProcessEnv = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_VERSION_CHECK: 'true' };
    for (const name of Object.keys(environment)) if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)$|^AWS_ENDPOINT_URL/.test(name)) delete environment[name];
    environment.AWS_CONFIG_FILE = path.join(output, 'no-config');
    environment.AWS_SHARED_CREDENTIALS_FILE = path.join(output, 'no-credentials');
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', output], { cwd: ROOT, env: environment, encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(-3000) }).toEqual({ status: 0, stderr: '' });

    const template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(output, 'EncryptedOrders.template.json'), 'utf8')));
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(3);
    for (const resource of functions) expect(resource.Properties.Runtime).toBe('nodejs22.x');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: {} } },
    });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const conditioned = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Array<{ Condition?: Record<string, Record<string, unknown>> }>).filter(
        (statement) => statement.Condition?.StringEquals?.['kms:EncryptionContext:*aws-kms-table*'] !== undefined,
      ),
    );
    expect(conditioned.length).toBeGreaterThanOrEqual(3);
    // The handlers were really bundled: each asset holds a minified index.js.
    const bundles = fs.readdirSync(output).filter((name) => name.startsWith('asset.') && fs.existsSync(path.join(output, name, 'index.js')));
    expect(bundles).toHaveLength(3);
  } finally {
    fs.rmSync(output, { recursive: true, force: true });
  }
}, 180_000);
