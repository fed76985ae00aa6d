import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The pipeline handlers, by their file name under `lambda/`. */
export type PipelineHandler = 'ingest' | 'reencrypt-segment' | 'stream-decrypt';

/**
 * How every handler is bundled, here and in `npm run build:handlers` / `npm run bench -- bundles`,
 * so the bundle the benchmark measures is the one a stack deploys. The AWS SDK stays out: the
 * nodejs22.x runtime provides it, and leaving it out keeps bundles small and cold starts short.
 */
export const HANDLER_BUNDLING = {
  target: 'node22',
  minify: true,
  // Error class names are part of the contract: Step Functions retries on them, logs name them.
  keepNames: true,
  sourceMap: true,
  externalModules: ['@aws-sdk/*'],
} as const;

/** Settings a user may change on every pipeline function. */
export interface PipelineFunctionOptions {
  /**
   * The function's memory, in MiB.
   * @default 1024 (MiB): crypto is CPU-bound, and Lambda gives CPU in proportion to memory
   */
  readonly memorySize?: number;
  /**
   * How long one invocation may run. For re-encryption, at least 30 seconds: each invocation
   * stops at a checkpoint at least 10 seconds before it.
   * @default - 30 seconds for ingest, 1 minute for the decrypted stream, 5 minutes for re-encryption
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps log lines.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Most concurrent executions, to cap the load on the table and KMS.
   * @default - no reservation
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * The function's execution role, for accounts where roles are made elsewhere. The construct's
   * grants (table, key, queues, its log group) are added to it when it is mutable; an immutable
   * role must already allow them, and `AWSLambdaVPCAccessExecutionRole` when `vpc` is set.
   * @default - a new role, allowed to write only to the function's own log group
   */
  readonly role?: iam.IRole;
  /**
   * Runs the function in this VPC. It then reaches DynamoDB and KMS (and the targets) through
   * VPC endpoints or a NAT gateway, which the VPC must provide.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Where in `vpc` the function's network interfaces go.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the function's network interfaces in `vpc`.
   * @default - a new security group allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

export interface PipelineFunctionProps extends PipelineFunctionOptions {
  readonly handler: PipelineHandler;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly defaultTimeout: Duration;
}

/**
 * The package's root: the folder with this project's package.json, whether this file runs from
 * source (`lib/`) or compiled (`dist/lib/`), in this repository or in a consumer's node_modules.
 */
function packageRoot(): string {
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    const manifest = path.join(directory, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'dynamodb-encryption-client-ts') return directory;
    if (path.dirname(directory) === directory) throw new Error(`cannot find the dynamodb-encryption-client-ts package root above ${__dirname}`);
  }
}

/** Where `npm run build:handlers` leaves a prebuilt bundle of `handler` (shipped in the package). */
export function prebuiltHandlerDirectory(handler: PipelineHandler, root = packageRoot()): string {
  return path.join(root, 'dist', 'handlers', handler);
}

/**
 * A pipeline Lambda: nodejs22.x on arm64, source maps on, Powertools service name set.
 *
 * In a consumer's app the package ships prebuilt bundles (`dist/handlers/`), used as they are:
 * a published package carries no lock file for esbuild to bundle from. In this repository the
 * handler is bundled from `lambda/` with the repository's own lock file, wherever `cdk` runs.
 */
export function pipelineFunction(scope: Construct, id: string, props: PipelineFunctionProps): nodejs.NodejsFunction {
  const root = packageRoot();
  const prebuilt = prebuiltHandlerDirectory(props.handler, root);
  const source = path.join(root, 'lambda', `${props.handler}.ts`);
  const fromSource = fs.existsSync(source) && fs.existsSync(path.join(root, 'package-lock.json'));
  const code = fromSource ? undefined : lambda.Code.fromAsset(prebuilt);
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
  // An own role instead of the AWSLambdaBasicExecutionRole managed policy, which may write to
  // every log group of the account: this one writes only to the function's.
  const role =
    props.role ??
    new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: the function's own permissions`,
    });
  logGroup.grantWrite(role);
  if (props.vpc !== undefined && props.role === undefined) {
    // Lambda adds this policy to the roles it makes itself; this role is ours, so we add it.
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4',
      reason: 'AWSLambdaVPCAccessExecutionRole is what Lambda needs to manage the network interfaces of a function in a VPC',
    });
  }
  const pipelineLambda = new nodejs.NodejsFunction(scope, id, {
    description: props.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 1024,
    timeout: props.timeout ?? props.defaultTimeout,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    logGroup,
    role,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: props.securityGroups,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: `ddbec-${props.handler}`,
      POWERTOOLS_METRICS_NAMESPACE: 'DynamoDbEncryption',
      // Stack traces point into lambda/ and src/ rather than into the minified bundle.
      NODE_OPTIONS: '--enable-source-maps',
    },
    ...(code === undefined
      ? {
          entry: source,
          handler: 'handler',
          projectRoot: root,
          depsLockFilePath: path.join(root, 'package-lock.json'),
          bundling: {
            target: HANDLER_BUNDLING.target,
            minify: HANDLER_BUNDLING.minify,
            keepNames: HANDLER_BUNDLING.keepNames,
            sourceMap: HANDLER_BUNDLING.sourceMap,
            externalModules: [...HANDLER_BUNDLING.externalModules],
          },
        }
      : { code, handler: 'index.handler' }),
  });
  Validations.of(pipelineLambda).acknowledge({
    id: 'AwsSolutions::AwsSolutions-L1',
    reason: 'nodejs22.x on purpose: the handlers are bundled for and tested on Node 22 (HANDLER_BUNDLING.target); a runtime upgrade is a tested change, not a default',
  });
  return pipelineLambda;
}
