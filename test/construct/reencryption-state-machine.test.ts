/**
 * The ReEncryptionJob's synthesized state machine, run by test/support/state-machine-runner.ts
 * against the real re-encryption handler on DynamoDB Local and the local KMS: the Map over
 * segments, the checkpoint loop, the JSONata sums, the Retry on ReEncryptSegmentError and the
 * failure when an item is left behind. The handler is configured from the Lambda environment as
 * synthesized, with the table's and key's tokens resolved to the local ones.
 */
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';
import { BatchWriteItemCommand, DeleteTableCommand, ScanCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { createReEncryptSegmentHandler, type MaterialsRotationResponse, type ReEncryptSegmentResponse } from '../../lambda/reencrypt-segment';
import { observability } from '../../lambda/observability';
import { EncryptionMaterials } from '../../lib/encryption-materials';
import { ItemEncryption } from '../../lib/item-encryption';
import { ReEncryptionJob, type ReEncryptionJobOptions } from '../../lib/reencryption-job';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { addCounts, emptyCounts, type ReEncryptCounts } from '../../src/pipeline/reencrypt-counts';
import { ReEncryptSegmentError } from '../../src/pipeline/reencrypt-errors';
import { deserializeMaterialDescription } from '../../src/format/material-description';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { MostRecentProvider } from '../../src/providers/most-recent-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { runStateMachine, type ExecutionResult } from '../support/state-machine-runner';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const TOTAL_SEGMENTS = 4;
const PAGE_SIZE = 10;
/** Pages one invocation processes before its time budget "runs low" and it returns a checkpoint. */
const PAGES_PER_INVOCATION = 2;

const dynamoDb = localDynamoDbClient();
const kmsClient = localKmsClient();
const tables: string[] = [];
const clients: DynamoDBClient[] = [dynamoDb];
let keyArn: string;

beforeAll(async () => {
  keyArn = (await kmsClient.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
});

afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const client of clients) client.destroy();
  kmsClient.destroy();
});

// The handler logs and publishes metrics (Powertools) on stdout and stderr: kept out of the test output.
beforeEach(() => {
  for (const stream of [process.stdout, process.stderr]) jest.spyOn(stream, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

// ---------- the synthesized definition ----------

interface Synthesized {
  readonly definition: Record<string, unknown>;
  /** What the Task's FunctionName resolves to: the placeholder of the function's Arn. */
  readonly functionArn: string;
  /** The Lambda's DDBEC_* environment, tokens left as placeholders. */
  readonly environment: Record<string, unknown>;
  readonly tableToken: string;
  readonly keyArnToken: string;
  /** With most-recent materials: the MetaStore table's name token. */
  readonly metaStoreToken?: string;
}

/**
 * A CloudFormation token as a placeholder string that can sit inside the definition's JSON
 * strings. The partition is the one pseudo parameter given its value, so the Task's Resource
 * reads `arn:aws:states:::lambda:invoke`.
 */
function placeholder(token: unknown): string {
  if (typeof token === 'string') return token;
  const { Ref: ref, 'Fn::GetAtt': getAtt } = token as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (ref === 'AWS::Partition') return 'aws';
  if (typeof ref === 'string') return `<Ref:${ref}>`;
  if (Array.isArray(getAtt) && getAtt.length === 2) return `<GetAtt:${getAtt[0]}.${getAtt[1]}>`;
  throw new Error(`unexpected token in the template: ${JSON.stringify(token)}`);
}

function synthesize(options: ReEncryptionJobOptions, materials?: EncryptionMaterials): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER },
  });
  const key = new kms.Key(stack, 'Key');
  const encryption = new ItemEncryption(stack, 'Encryption', { table, key, materials });
  const job = new ReEncryptionJob(stack, 'Job', { ...options, encryption });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const template = Template.fromStack(stack);

  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const definitionString = machines[0].Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  const joined = typeof definitionString === 'string' ? definitionString : definitionString['Fn::Join'][1].map(placeholder).join(definitionString['Fn::Join'][0]);
  const functionId = logicalId(job.function);
  const functionResource = template.findResources('AWS::Lambda::Function')[functionId];
  return {
    definition: JSON.parse(joined) as Record<string, unknown>,
    functionArn: placeholder({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    environment: (functionResource.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
    tableToken: placeholder({ Ref: logicalId(table) }),
    keyArnToken: placeholder({ 'Fn::GetAtt': [logicalId(key), 'Arn'] }),
    metaStoreToken: encryption.metaStoreTable === undefined ? undefined : placeholder({ Ref: logicalId(encryption.metaStoreTable) }),
  };
}

const inline = synthesize({ totalSegments: TOTAL_SEGMENTS });

// ---------- tables and items ----------

const plainItem = samplePlaintextItem;

const keyText = (item: DynamoDbItem) => `${item.pk.S}/${item.sk.N}`;

/** A new table (pk S, sk N, as synthesized) holding `count` plaintext items. */
async function plaintextTable(count: number): Promise<{ table: TableInfo; items: Map<string, DynamoDbItem> }> {
  const name = uniqueName('reencrypt-sfn');
  tables.push(name);
  await createPkSkTable(dynamoDb, name);
  const items = Array.from({ length: count }, (_, index) => plainItem(index));
  for (let offset = 0; offset < items.length; offset += 25) {
    const requests = items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } }));
    const { UnprocessedItems } = await dynamoDb.send(new BatchWriteItemCommand({ RequestItems: { [name]: requests } }));
    expect(Object.keys(UnprocessedItems ?? {})).toHaveLength(0);
  }
  return { table: new TableInfo({ name, primaryIndex: { partition: 'pk', sort: 'sk' } }), items: new Map(items.map((item) => [keyText(item), item])) };
}

async function scanAll(table: TableInfo): Promise<Map<string, DynamoDbItem>> {
  const stored = new Map<string, DynamoDbItem>();
  let ExclusiveStartKey: DynamoDbItem | undefined;
  do {
    const page = await dynamoDb.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey, ConsistentRead: true }));
    for (const item of page.Items ?? []) stored.set(keyText(item), item);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return stored;
}

/** Every item is stored encrypted and signed, and decrypts under the job's key to its plaintext. */
async function expectAllEncrypted(table: TableInfo, expected: Map<string, DynamoDbItem>): Promise<void> {
  const config = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient, strict: true }), new AttributeActions()).config;
  const stored = await scanAll(table);
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, item] of stored) {
    expect(item[ReservedAttributes.SIGNATURE]).toBeDefined();
    expect(item.card.S).toBeUndefined(); // ciphertext, never the plaintext string
    await expect(decryptDynamoDbItem(item, config)).resolves.toEqual(expected.get(key));
  }
}

// ---------- the Lambda, as the state machine invokes it ----------

interface SegmentEvent {
  segment: number;
  totalSegments: number;
  exclusiveStartKey?: Record<string, unknown>;
  dryRun?: boolean;
  filter?: unknown;
}

/** What the Lambda saw and answered, invocation by invocation. */
interface Invocation {
  readonly event: SegmentEvent;
  readonly response?: ReEncryptSegmentResponse;
  readonly error?: Error;
}

/** A time budget that lasts `PAGES_PER_INVOCATION` pages: the handler then stops at a checkpoint. */
function lambdaContext() {
  let calls = 0;
  // The first call sets the stop threshold; each page after that asks whether there is time for another.
  return { getRemainingTimeInMillis: () => (calls++ < PAGES_PER_INVOCATION ? 900_000 : 5_000) };
}

/** The synthesized environment with the table and key tokens resolved to the local ones. */
function resolvedEnvironment(synthesized: Synthesized, table: TableInfo, metaStoreTableName?: string): Record<string, string> {
  const values: Record<string, string> = { [synthesized.tableToken]: table.name, [synthesized.keyArnToken]: keyArn };
  if (synthesized.metaStoreToken !== undefined && metaStoreTableName !== undefined) values[synthesized.metaStoreToken] = metaStoreTableName;
  return Object.fromEntries(
    Object.entries(synthesized.environment).map(([name, value]) => {
      const text = placeholder(value);
      if (typeof value === 'string') return [name, text];
      if (values[text] === undefined) throw new Error(`${name} is ${text}, which this test does not resolve`);
      return [name, values[text]];
    }),
  );
}

/** Runs the synthesized state machine with the real handler for `table`; records every invocation. */
async function execute(
  synthesized: Synthesized,
  table: TableInfo,
  input: Record<string, unknown>,
  client: DynamoDBClient = dynamoDb,
  metaStoreTableName?: string,
): Promise<ExecutionResult & { calls: Invocation[]; rotations: MaterialsRotationResponse[]; peakConcurrency: number }> {
  const { logger, metrics } = observability('reencrypt');
  const handler = createReEncryptSegmentHandler({
    environment: resolvedEnvironment(synthesized, table, metaStoreTableName),
    clients: { dynamoDb: client, kms: kmsClient },
    logger,
    metrics,
    reEncryptorOptions: { pageSize: PAGE_SIZE },
  });
  const calls: Invocation[] = [];
  const rotations: MaterialsRotationResponse[] = [];
  let running = 0;
  let peakConcurrency = 0;
  const lambda = async (payload: unknown) => {
    if ((payload as { rotateMaterials?: unknown }).rotateMaterials === true) {
      const rotation = await handler({ rotateMaterials: true }, lambdaContext());
      rotations.push(rotation);
      return rotation;
    }
    const event = payload as SegmentEvent;
    running += 1;
    peakConcurrency = Math.max(peakConcurrency, running);
    try {
      const response = await handler(payload, lambdaContext());
      calls.push({ event, response });
      return response;
    } catch (error) {
      calls.push({ event, error: error as Error });
      throw error;
    } finally {
      running -= 1;
    }
  };
  const result = await runStateMachine(synthesized.definition, input, { functions: { [synthesized.functionArn]: lambda } });
  return { ...result, calls, rotations, peakConcurrency };
}

/** The counts of the invocations that succeeded, summed here (independently of the JSONata). */
function summed(calls: Invocation[]): ReEncryptCounts {
  const total = emptyCounts();
  for (const call of calls) if (call.response !== undefined) addCounts(total, call.response.counts);
  return total;
}

const outputCounts = (result: ExecutionResult) => (result.output as { counts: ReEncryptCounts }).counts;

/** Each segment ran from its start, then resumed from the checkpoint its previous invocation returned, until none. */
function expectCheckpointLoop(calls: Invocation[]): void {
  for (let segment = 0; segment < TOTAL_SEGMENTS; segment += 1) {
    const runs = calls.filter((call) => call.event.segment === segment);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs[0].event.exclusiveStartKey).toBeUndefined();
    for (let index = 1; index < runs.length; index += 1) expect(runs[index].event.exclusiveStartKey).toEqual(runs[index - 1].response?.lastEvaluatedKey);
    expect(runs[runs.length - 1].response?.lastEvaluatedKey).toBeUndefined();
    for (const run of runs) expect(run.event.totalSegments).toBe(TOTAL_SEGMENTS);
  }
}

// ---------- the tests ----------

describe('the re-encryption state machine (inline Map) on a plaintext table', () => {
  const ITEMS = 300;
  let table: TableInfo;
  let items: Map<string, DynamoDbItem>;
  beforeAll(async () => ({ table, items } = await plaintextTable(ITEMS)));

  it('is the definition the construct documents: an inline Map over the segments, looping on the checkpoint', () => {
    const segments = (inline.definition.States as Record<string, Record<string, unknown>>).Segments;
    expect(segments.Type).toBe('Map');
    expect((segments.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({ Mode: 'INLINE' });
    expect(segments.Items).toBe(`{% [0..${TOTAL_SEGMENTS - 1}] %}`);
  });

  it('a dry run counts what it would do and writes nothing; a filter reaches every invocation', async () => {
    const dry = await execute(inline, table, { dryRun: true });
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.output).toMatchObject({ totalSegments: TOTAL_SEGMENTS, dryRun: true });
    expect(outputCounts(dry)).toEqual(summed(dry.calls));
    expect(outputCounts(dry)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS, alreadyCurrent: 0, failed: 0 });
    expect(dry.calls.every((call) => call.event.dryRun === true)).toBe(true);

    const gold = [...items.values()].filter((item) => item.category.S === 'gold').length;
    const filtered = await execute(inline, table, { dryRun: true, filter: { attribute: 'category', equals: 'gold' } });
    expect(filtered.status).toBe('SUCCEEDED');
    expect(outputCounts(filtered)).toMatchObject({ scanned: ITEMS, encrypted: gold, skipped: ITEMS - gold });
    expect(filtered.calls.every((call) => JSON.stringify(call.event.filter) === '{"attribute":"category","equals":"gold"}')).toBe(true);

    // Still the plaintext items, exactly.
    expect(await scanAll(table)).toEqual(items);
  });

  it('encrypts every item, each segment over several invocations, and sums the counts', async () => {
    const result = await execute(inline, table, {});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.invocations).toBe(result.calls.length);
    expect(result.invocations).toBeGreaterThan(TOTAL_SEGMENTS);
    expect(result.calls.every((call) => call.error === undefined && call.event.dryRun === false)).toBe(true);
    expectCheckpointLoop(result.calls);
    expect(result.output).toEqual({ totalSegments: TOTAL_SEGMENTS, dryRun: false, counts: summed(result.calls) });
    expect(outputCounts(result)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS, reencrypted: 0, alreadyCurrent: 0, failed: 0, conflicts: 0 });
    await expectAllEncrypted(table, items);
  });

  it('a second execution finds every item current and writes nothing', async () => {
    const before = await scanAll(table);
    const result = await execute(inline, table, { trigger: 'schedule' });
    expect(result.status).toBe('SUCCEEDED');
    expect(outputCounts(result)).toEqual(summed(result.calls));
    expect(outputCounts(result)).toMatchObject({ scanned: ITEMS, alreadyCurrent: ITEMS, encrypted: 0, reencrypted: 0 });
    expect(await scanAll(table)).toEqual(before); // not even re-encrypted under a new data key
  });

  it('fails with ReEncryptionIncomplete when an item cannot be processed, leaving it as it was', async () => {
    const victim = plainItem(5);
    await dynamoDb.send(
      new UpdateItemCommand({ TableName: table.name, Key: { pk: victim.pk, sk: victim.sk }, UpdateExpression: 'SET card = :c', ExpressionAttributeValues: { ':c': { B: Buffer.from('forged') } } }),
    );
    const before = await scanAll(table);
    const result = await execute(inline, table, {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReEncryptionIncomplete');
    const counts = summed(result.calls);
    expect(counts).toMatchObject({ scanned: ITEMS, failed: 1, alreadyCurrent: ITEMS - 1 });
    expect(result.cause).toBe(`items failed: ${counts.failed}, conflicts: ${counts.conflicts} (left unchanged; run the job again)`);
    expect(result.output).toBeUndefined();
    expect(await scanAll(table)).toEqual(before);
  });
});

describe('the re-encryption state machine as a Distributed Map', () => {
  const ITEMS = 120;
  const distributed = synthesize({ totalSegments: TOTAL_SEGMENTS, distributedMap: true, maxConcurrency: 2 });

  it('encrypts every item, at most two segments at once', async () => {
    const segments = (distributed.definition.States as Record<string, Record<string, unknown>>).Segments;
    expect((segments.ItemProcessor as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(segments.MaxConcurrency).toBe(2);

    const { table, items } = await plaintextTable(ITEMS);
    const result = await execute(distributed, table, {});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.peakConcurrency).toBe(2);
    expectCheckpointLoop(result.calls);
    expect(result.output).toEqual({ totalSegments: TOTAL_SEGMENTS, dryRun: false, counts: summed(result.calls) });
    expect(outputCounts(result)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS, failed: 0, conflicts: 0 });
    await expectAllEncrypted(table, items);
  });
});

describe('the re-encryption state machine when a segment stops on an outage', () => {
  const ITEMS = 120;

  /** A client whose Scans of segment 1 fail once, at the `failingScan`th one, before the SDK's retries. */
  function scanOutageClient(failingScan: number): DynamoDBClient {
    const flaky = localDynamoDbClient();
    clients.push(flaky);
    let segmentOneScans = 0;
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ScanCommand' && (args.input as { Segment?: number }).Segment === 1 && ++segmentOneScans === failingScan) {
          throw Object.assign(new Error('injected outage'), { name: 'InternalServerError' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectScanOutage' },
    );
    return flaky;
  }

  it('after a finished page, resumes from that page\'s checkpoint at once: nothing is read twice, the counts are exact', async () => {
    const { table, items } = await plaintextTable(ITEMS);
    // Segment 1's second Scan fails, after its first page was re-encrypted.
    const result = await execute(inline, table, {}, scanOutageClient(2));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.calls.filter((call) => call.error !== undefined)).toHaveLength(0);
    const interrupted = result.calls.filter((call) => call.response?.interruptedBy !== undefined);
    expect(interrupted).toHaveLength(1);
    const [stopped] = interrupted;
    expect(stopped.event).toMatchObject({ segment: 1 });
    expect(stopped.event.exclusiveStartKey).toBeUndefined();
    expect(stopped.response?.interruptedBy).toBe('InternalServerError');
    expect(stopped.response?.lastEvaluatedKey).toBeDefined();
    expect(stopped.response?.counts.encrypted).toBeGreaterThan(0);
    // The next invocation of segment 1 starts from the interrupted one's checkpoint.
    const resumed = result.calls.slice(result.calls.indexOf(stopped) + 1).find((call) => call.event.segment === 1);
    expect(resumed?.event.exclusiveStartKey).toEqual(stopped.response?.lastEvaluatedKey);

    // Every item scanned once and encrypted once: no page done before the outage was done again.
    expect(outputCounts(result)).toEqual(summed(result.calls));
    expect(outputCounts(result)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS, alreadyCurrent: 0, failed: 0, conflicts: 0 });
    await expectAllEncrypted(table, items);
  });

  it('before any page was finished, retries the invocation with the same event, and still succeeds', async () => {
    const { table, items } = await plaintextTable(ITEMS);
    // Segment 1's first Scan fails: nothing done, nothing to keep.
    const result = await execute(inline, table, {}, scanOutageClient(1));
    expect(result.status).toBe('SUCCEEDED');
    const failedCalls = result.calls.filter((call) => call.error !== undefined);
    expect(failedCalls).toHaveLength(1);
    const [failure] = failedCalls;
    expect(failure.error).toBeInstanceOf(ReEncryptSegmentError);
    expect((failure.error as ReEncryptSegmentError).checkpointMoved).toBe(false);
    const retry = result.calls.slice(result.calls.indexOf(failure) + 1).find((call) => call.event.segment === 1);
    expect(retry?.event).toEqual(failure.event);
    expect(failure.event.exclusiveStartKey).toBeUndefined();
    expect(outputCounts(result)).toEqual(summed(result.calls));
    expect(outputCounts(result)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS, alreadyCurrent: 0, failed: 0 });
    await expectAllEncrypted(table, items);
  });
});

describe('the re-encryption state machine when Lambda throttles or fails', () => {
  /** Errors of the Lambda service itself, raised by the Invoke integration before or instead of running the handler. */
  const LAMBDA_SERVICE_ERRORS = ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];

  /** A state of the definition by name, looking into Map item processors. */
  function stateNamed(definition: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
    for (const [stateName, state] of Object.entries(definition.States as Record<string, Record<string, unknown>>)) {
      if (stateName === name) return state;
      const processor = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
      const found = processor === undefined ? undefined : stateNamed(processor, name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  it.each(['ProcessSegment', 'NewMaterialsVersion'])('%s retries throttling and errors of the Lambda service, with backoff', (name) => {
    const retriers = (stateNamed(inline.definition, name)?.Retry ?? []) as Array<Record<string, unknown>>;
    for (const error of LAMBDA_SERVICE_ERRORS) {
      // Step Functions uses the first retrier that names the error.
      const retrier = retriers.find((candidate) => (candidate.ErrorEquals as string[]).includes(error));
      expect({ error, retrier }).toEqual({ error, retrier: expect.objectContaining({ BackoffRate: expect.any(Number), MaxAttempts: expect.any(Number) }) });
      expect(retrier?.BackoffRate as number).toBeGreaterThan(1);
      expect(retrier?.MaxAttempts as number).toBeGreaterThanOrEqual(6);
    }
    const throttling = retriers.find((candidate) => (candidate.ErrorEquals as string[]).includes('Lambda.TooManyRequestsException'));
    // Segments throttled together must not all come back together.
    expect(throttling).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: expect.any(Number) });
  });

  it('a rotation whose invocations are throttled by Lambda still succeeds', async () => {
    const throttledPerSegment = new Map<number, number>();
    const lambda = async (payload: unknown) => {
      const { segment } = payload as SegmentEvent;
      const throttled = throttledPerSegment.get(segment) ?? 0;
      if (throttled < 5) {
        throttledPerSegment.set(segment, throttled + 1);
        throw Object.assign(new Error('Rate Exceeded.'), { name: 'Lambda.TooManyRequestsException' });
      }
      return { counts: { ...emptyCounts(), scanned: 10, reencrypted: 10 }, failureReasons: {} };
    };
    const result = await runStateMachine(inline.definition, {}, { functions: { [inline.functionArn]: lambda } });
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
    expect(outputCounts(result)).toMatchObject({ scanned: 10 * TOTAL_SEGMENTS, reencrypted: 10 * TOTAL_SEGMENTS });
    expect(result.invocations).toBe(6 * TOTAL_SEGMENTS);
  });
});

describe('bad input to the state machine', () => {
  it('a malformed dryRun fails the execution in the handler instead of running for real', async () => {
    const { table, items } = await plaintextTable(20);
    const result = await execute(inline, table, { dryRun: 'true' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ReEncryptRequestError');
    expect(result.calls.every((call) => call.response === undefined)).toBe(true);
    expect(await scanAll(table)).toEqual(items);
  });

  it('rotateMaterials with Direct KMS fails before any segment runs', async () => {
    const { table, items } = await plaintextTable(10);
    const result = await execute(inline, table, { rotateMaterials: true });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('MaterialsRotationError');
    expect(result.calls).toHaveLength(0);
    expect(await scanAll(table)).toEqual(items);
  });
});

describe('the re-encryption state machine with most-recent materials', () => {
  const ITEMS = 80;
  const mostRecent = synthesize({ totalSegments: TOTAL_SEGMENTS }, EncryptionMaterials.mostRecent({ materialName: 'orders' }));

  const metaIds = async (table: TableInfo) =>
    new Set([...(await scanAll(table)).values()].map((item) => deserializeMaterialDescription(item[ReservedAttributes.MATERIAL_DESCRIPTION].B as Uint8Array).get(MaterialDescriptionKeys.META_ID)));

  it('rotateMaterials creates a new MetaStore version first, then moves every item to it', async () => {
    const { table, items } = await plaintextTable(ITEMS);
    const metaStoreTableName = uniqueName('meta-store');
    tables.push(metaStoreTableName);
    await MetaStore.createTable(dynamoDb, metaStoreTableName);

    const backfill = await execute(mostRecent, table, {}, dynamoDb, metaStoreTableName);
    expect(backfill.status).toBe('SUCCEEDED');
    expect(backfill.rotations).toHaveLength(0);
    expect(outputCounts(backfill)).toMatchObject({ scanned: ITEMS, encrypted: ITEMS });
    expect(await metaIds(table)).toEqual(new Set(['orders#0']));

    const rotation = await execute(mostRecent, table, { rotateMaterials: true, trigger: 'kms-key-rotation' }, dynamoDb, metaStoreTableName);
    expect(rotation.status).toBe('SUCCEEDED');
    expect(rotation.rotations).toEqual([{ rotated: { materialName: 'orders', version: 1 } }]);
    expect(outputCounts(rotation)).toEqual(summed(rotation.calls));
    expect(outputCounts(rotation)).toMatchObject({ scanned: ITEMS, reencrypted: ITEMS, alreadyCurrent: 0, failed: 0 });
    expect(await metaIds(table)).toEqual(new Set(['orders#1']));

    const metaStore = new MetaStore({
      tableName: metaStoreTableName,
      materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient, strict: true }),
      dynamoDbClient: dynamoDb,
    });
    const provider = new MostRecentProvider({ providerStore: metaStore, materialName: 'orders', versionTtlMs: 60_000 });
    const config = new TableCrypto(table, provider, new AttributeActions()).config;
    for (const [key, item] of await scanAll(table)) await expect(decryptDynamoDbItem(item, config)).resolves.toEqual(items.get(key));
  });
});
