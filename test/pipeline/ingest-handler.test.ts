/**
 * The ingest Lambda handler on DynamoDB Local and the local KMS (Direct KMS materials, configured
 * through the same environment variables the construct writes): direct invokes, SQS batches
 * shaped as Lambda delivers them, Function URL / API Gateway v2 and v1 REST requests. Items land
 * encrypted; bad items, messages and requests are reported per item, per message and per
 * request; malformed events and missing configuration are typed errors; and no log line (logger
 * or metrics) carries a plaintext value.
 */
import { createHash, randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context, LambdaFunctionURLEvent, SQSEvent } from 'aws-lambda';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { IngestEventError } from '../../src/pipeline/ingest-event';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { materialsProviderFor } from '../../src/pipeline/materials-from-config';
import { ConfigurationError, readIngestConfig } from '../../src/pipeline/pipeline-config';
import type { HttpResponse, IngestHandler, IngestResponse } from '../../lambda/ingest';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';

const SECRET = 'SECRET-CARD-4111111111111111';
const clients = { dynamoDb: localDynamoDbClient(), kms: localKmsClient() };

// Powertools writes through the global console in dev mode, where jest lets us read it; metrics
// stay on so that their EMF lines are checked too.
const savedEnvironment = { ...process.env };
process.env.POWERTOOLS_DEV = 'true';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
for (const name of Object.values(Names)) delete process.env[name];
const logged: string[] = [];
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
  });
}

// Loaded after the console is captured: its first invocation (without configuration) logs.
let lambda: typeof import('../../lambda/ingest');
let tableName: string;
let environment: Record<string, string>;
let ingest: IngestHandler;
let decryptingClient: EncryptedClient;

const context = { functionName: 'ingest', awsRequestId: 'request-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ingest' } as Context;

beforeAll(async () => {
  lambda = await import('../../lambda/ingest');
  tableName = uniqueName('ingest-handler');
  await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const keyArn = (await clients.kms.send(new CreateKeyCommand({ Description: 'ingest handler tests' }))).KeyMetadata?.Arn as string;
  environment = {
    [Names.TABLE_NAME]: tableName,
    [Names.MATERIALS]: 'direct-kms',
    [Names.KMS_KEY_ID]: keyArn,
    [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ attributes: { note: 'DO_NOTHING' } }),
  };
  ingest = lambda.createIngestHandler({ environment, clients });
  const config = readIngestConfig(environment);
  decryptingClient = new EncryptedClient({ client: clients.dynamoDb, materialsProvider: materialsProviderFor(config.materials, clients), attributeActions: config.attributeActions });
});

afterAll(async () => {
  // No line of anything logged in this file may carry a plaintext value.
  expect(logged.length).toBeGreaterThan(0);
  for (const line of logged) {
    expect(line).not.toContain('SECRET');
    expect(line).not.toContain('4111');
  }
  await clients.dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  clients.dynamoDb.destroy();
  clients.kms.destroy();
  process.env = savedEnvironment;
});

async function stored(id: string) {
  const raw = (await clients.dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } } }))).Item;
  const plain = (await decryptingClient.getItem({ TableName: tableName, Key: { id: { S: id } } })).Item;
  return { raw, plain: plain === undefined ? undefined : unmarshall(plain) };
}

function sqsEvent(bodies: string[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: now },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ingest-queue',
      awsRegion: 'us-east-1',
    })),
  };
}

/** A batch from a FIFO queue, all of one message group, as Lambda delivers it. */
function sqsFifoEvent(bodies: string[], group: string): SQSEvent {
  const event = sqsEvent(bodies);
  event.Records.forEach((record, index) => {
    record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:ingest-queue.fifo';
    record.attributes = { ...record.attributes, MessageGroupId: group, MessageDeduplicationId: `${group}-${index}`, SequenceNumber: String(18_800_000_000_000_000_000 + index) };
  });
  return event;
}

/** A batch from a FIFO queue mixing message groups, in the order given, as Lambda delivers it. */
function sqsFifoGroupsEvent(messages: Array<{ group: string; body: string }>): SQSEvent {
  const event = sqsEvent(messages.map((message) => message.body));
  event.Records.forEach((record, index) => {
    const { group } = messages[index];
    record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:ingest-queue.fifo';
    record.attributes = { ...record.attributes, MessageGroupId: group, MessageDeduplicationId: `${group}-${index}`, SequenceNumber: String(18_800_000_000_000_000_000 + index) };
  });
  return event;
}

/** A Lambda context whose invocation ends `remainingMs` from now, on the wall clock. */
function contextEndingIn(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
}

/** A DynamoDB client on DynamoDB Local whose every BatchWriteItem takes `delayMs` longer. */
function slowWritingDynamoDb(delayMs: number) {
  const dynamoDb = localDynamoDbClient();
  dynamoDb.middlewareStack.add(
    (next, { commandName }) => async (args) => {
      if (commandName === 'BatchWriteItemCommand') await new Promise((resolve) => setTimeout(resolve, delayMs));
      return next(args);
    },
    { step: 'initialize', name: 'slowWrites' },
  );
  return dynamoDb;
}

/** A throttling error as the SDK raises it once its own retries are spent. */
function throttlingError(name: string): Error {
  return Object.assign(new Error(`Rate exceeded (injected ${name})`), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function failedIds(response: IngestResponse): string[] {
  return (response as { batchItemFailures: Array<{ itemIdentifier: string }> }).batchItemFailures.map((failure) => failure.itemIdentifier);
}

/** API Gateway HTTP API (payload 2.0); a Function URL sends the same shape with `$default` everywhere. */
function httpV2Event(method: string, body: string | undefined, options: { base64?: boolean; functionUrl?: boolean } = {}): APIGatewayProxyEventV2 {
  const encoded = body !== undefined && options.base64 === true ? Buffer.from(body, 'utf8').toString('base64') : body;
  const domainName = options.functionUrl === true ? 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws' : 'api123.execute-api.us-east-1.amazonaws.com';
  const routeKey = options.functionUrl === true ? '$default' : 'POST /items';
  return {
    version: '2.0',
    routeKey,
    rawPath: '/items',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: domainName },
    requestContext: {
      accountId: options.functionUrl === true ? 'anonymous' : '123456789012',
      apiId: domainName.split('.')[0],
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: { method, path: '/items', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl/8.5.0' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: '12/Mar/2025:19:03:58 +0000',
      timeEpoch: Date.now(),
    },
    body: encoded,
    isBase64Encoded: options.base64 === true,
  };
}

function restV1Event(method: string, body: string | null): APIGatewayProxyEvent {
  return {
    resource: '/items',
    path: '/items',
    httpMethod: method,
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: { 'Content-Type': ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'rest123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null,
        principalOrgId: null, sourceIp: '192.0.2.1', user: null, userAgent: 'curl/8.5.0', userArn: null,
      },
      path: '/prod/items',
      stage: 'prod',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: '/items',
    },
    body,
    isBase64Encoded: false,
  };
}

function http(response: IngestResponse): { statusCode: number; body: Record<string, unknown>; headers: Record<string, string> } {
  const { statusCode, body, headers } = response as HttpResponse;
  return { statusCode, headers, body: JSON.parse(body) as Record<string, unknown> };
}

describe('ingest handler', () => {
  it('direct invoke: writes valid items encrypted and returns per-item failures for the rest', async () => {
    const run = uniqueName('direct');
    const result = await ingest(
      {
        items: [
          { id: `${run}-a`, card: SECRET, note: 'visible', amounts: [1, 2.5] },
          { card: SECRET },
          { id: 4111111111111111, card: SECRET },
          { id: `${run}-b`, '*amzn-ddb-map-sig*': SECRET },
          { id: `${run}-c`, blob: SECRET.repeat(15_000) },
          SECRET,
        ],
      },
      context,
    );
    expect(result).toEqual({
      written: 1,
      failures: [
        { index: 1, code: 'invalid', reason: 'item 1: has no partition key attribute "id"' },
        { index: 2, code: 'invalid', reason: 'item 2: partition key attribute "id" must be a string (S), got a number (N)' },
        { index: 3, code: 'invalid', reason: expect.stringContaining('attribute "*amzn-ddb-map-sig*" is reserved') },
        { index: 4, code: 'invalid', reason: expect.stringMatching(/^item 4: is \d+ bytes before encryption, over DynamoDB's 409600-byte item limit$/) },
        { index: 5, code: 'invalid', reason: 'item 5: is not an object of attributes (got a string)' },
      ],
    });
    const { raw, plain } = await stored(`${run}-a`);
    expect(raw?.card.B).toBeInstanceOf(Uint8Array);
    expect(raw?.note).toEqual({ S: 'visible' });
    expect(JSON.stringify(raw)).not.toContain('4111');
    expect(Buffer.from(raw?.card.B as Uint8Array).toString('latin1')).not.toContain('4111');
    expect(plain).toEqual({ id: `${run}-a`, card: SECRET, note: 'visible', amounts: [1, 2.5] });
    expect(logged.some((line) => line.includes('item 1: has no partition key attribute'))).toBe(true);
  });

  it('SQS: reports exactly the messages with a bad item or bad JSON, and writes none of their items', async () => {
    const run = uniqueName('sqs');
    const event = sqsEvent([
      JSON.stringify({ id: `${run}-1`, card: SECRET }),
      JSON.stringify([{ id: `${run}-2`, card: SECRET }, { id: `${run}-3`, card: SECRET }]),
      JSON.stringify([{ id: `${run}-4`, card: SECRET }, { card: SECRET }]),
      `{"id": "${run}-5", "card": ${SECRET}`,
      JSON.stringify({ items: [{ id: `${run}-6`, card: SECRET }] }),
    ]);
    const response = await ingest(event, context);
    const failed = (response as { batchItemFailures: Array<{ itemIdentifier: string }> }).batchItemFailures.map((failure) => failure.itemIdentifier);
    expect(failed.sort()).toEqual([event.Records[2].messageId, event.Records[3].messageId].sort());
    for (const id of [1, 2, 3, 6]) expect((await stored(`${run}-${id}`)).plain?.card).toBe(SECRET);
    for (const id of [4, 5]) expect((await stored(`${run}-${id}`)).raw).toBeUndefined();
    expect(logged.some((line) => line.includes(event.Records[2].messageId) && line.includes('item 1: has no partition key attribute'))).toBe(true);
    expect(logged.some((line) => line.includes(event.Records[3].messageId) && line.includes('IngestEventError'))).toBe(true);

    // A batch where every message fails answers with every messageId rather than throwing.
    const allBad = sqsEvent(['[1]', 'not json']);
    const allFailed = (await ingest(allBad, context)) as { batchItemFailures: Array<{ itemIdentifier: string }> };
    expect(allFailed.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(allBad.Records.map((record) => record.messageId).sort());
  });

  it('SQS FIFO: messages are written in order and after a failure the rest of its group fails, so a redelivery never overwrites a later message', async () => {
    const run = uniqueName('fifo');
    // DynamoDB is unavailable for the first write of the item, the first message's; the second
    // message, were it processed, would be written.
    let outage = true;
    const dynamoDb = localDynamoDbClient();
    dynamoDb.middlewareStack.add(
      (next, { commandName }) => async (args) => {
        const requests = (args.input as { RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, { S?: string }> } }>> }).RequestItems?.[tableName] ?? [];
        if (outage && commandName === 'BatchWriteItemCommand' && requests.some((request) => request.PutRequest?.Item?.id?.S === run)) {
          outage = false;
          throw Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failFirstRevision' },
    );
    const fifoIngest = lambda.createIngestHandler({ environment, clients: { ...clients, dynamoDb } });
    const bodies = [
      JSON.stringify({ id: run, rev: 1, card: SECRET }),
      JSON.stringify({ id: run, rev: 2, card: SECRET }),
      JSON.stringify({ id: `${run}-other`, rev: 2, card: SECRET }),
    ];
    const first = sqsFifoEvent(bodies, run);
    const response = (await fifoIngest(first, context)) as { batchItemFailures: Array<{ itemIdentifier: string }> };
    // Every message from the failed one on, in order; none after it was written.
    expect(response.batchItemFailures).toEqual(first.Records.map((record) => ({ itemIdentifier: record.messageId })));
    expect((await stored(run)).raw).toBeUndefined();
    expect((await stored(`${run}-other`)).raw).toBeUndefined();

    // SQS delivers the failed messages again, in their order.
    expect(await fifoIngest(sqsFifoEvent(bodies, run), context)).toEqual({ batchItemFailures: [] });
    expect((await stored(run)).plain).toEqual({ id: run, rev: 2, card: SECRET });
    expect((await stored(`${run}-other`)).plain?.rev).toBe(2);
    dynamoDb.destroy();
  });

  it('SQS FIFO: a failed message fails only the rest of its own group; messages of other groups are written', async () => {
    const run = uniqueName('fifo-groups');
    const event = sqsFifoGroupsEvent([
      { group: `${run}-A`, body: `{"id": "${run}-a1", "card": ${SECRET}` },
      { group: `${run}-B`, body: JSON.stringify({ id: `${run}-b1`, card: SECRET }) },
      { group: `${run}-A`, body: JSON.stringify({ id: `${run}-a2`, card: SECRET }) },
      { group: `${run}-B`, body: JSON.stringify({ id: `${run}-b2`, card: SECRET }) },
    ]);
    const response = await ingest(event, context);
    // Group A's bad message, and its later one unprocessed so that A's order holds on redelivery.
    expect(failedIds(response).sort()).toEqual([event.Records[0].messageId, event.Records[2].messageId].sort());
    expect((await stored(`${run}-a2`)).raw).toBeUndefined();
    for (const id of ['b1', 'b2']) expect((await stored(`${run}-${id}`)).plain?.card).toBe(SECRET);
  });

  it('SQS FIFO: near the timeout, messages not yet started are reported failed and left unwritten', async () => {
    const run = uniqueName('fifo-time');
    const dynamoDb = slowWritingDynamoDb(400);
    const timed = lambda.createIngestHandler({ environment, clients: { ...clients, dynamoDb } });
    const ids = [1, 2, 3, 4, 5].map((index) => `${run}-${index}`);
    const event = sqsFifoGroupsEvent(ids.map((id, index) => ({ group: `${run}-${index % 2}`, body: JSON.stringify({ id, card: SECRET }) })));
    const before = logged.length;
    const failed = new Set(failedIds(await timed(event, contextEndingIn(1_000))));
    const firstFailed = event.Records.findIndex((record) => failed.has(record.messageId));
    // The first message had time; from the first not started on, none is.
    expect(firstFailed).toBeGreaterThan(0);
    expect([...failed].sort()).toEqual(event.Records.slice(firstFailed).map((record) => record.messageId).sort());
    for (const [index, id] of ids.entries()) {
      const { raw, plain } = await stored(id);
      if (index < firstFailed) expect(plain?.card).toBe(SECRET);
      else expect(raw).toBeUndefined();
    }
    expect(logged.slice(before).some((line) => line.includes('not started'))).toBe(true);
    dynamoDb.destroy();
  });

  it('SQS: near the timeout, messages not yet started are reported failed and left unwritten; started ones finish', async () => {
    const run = uniqueName('sqs-time');
    // 16 messages are written at once: they all start, and end past the time reserve.
    const dynamoDb = slowWritingDynamoDb(900);
    const timed = lambda.createIngestHandler({ environment, clients: { ...clients, dynamoDb } });
    const ids = Array.from({ length: 20 }, (_, index) => `${run}-${index}`);
    const event = sqsEvent(ids.map((id) => JSON.stringify({ id, card: SECRET })));
    const failed = failedIds(await timed(event, contextEndingIn(1_000)));
    expect(failed.sort()).toEqual(event.Records.slice(16).map((record) => record.messageId).sort());
    for (const [index, id] of ids.entries()) {
      const { raw, plain } = await stored(id);
      if (index < 16) expect(plain?.card).toBe(SECRET);
      else expect(raw).toBeUndefined();
    }
    dynamoDb.destroy();
  });

  it('HTTP: throttling by KMS, by DescribeTable or of the write is a 503 with retry-after, and nothing is written', async () => {
    const run = uniqueName('http-throttled');
    // No backoff waits: the writer's and the KMS provider's retries run back to back.
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    const kms = localKmsClient();
    kms.middlewareStack.add(() => async () => {
      throw throttlingError('ThrottlingException');
    }, { step: 'initialize', name: 'throttleEveryCall' });
    const throttledDynamoDb = (throttledCommand: string, name: string) => {
      const dynamoDb = localDynamoDbClient();
      dynamoDb.middlewareStack.add(
        (next, { commandName }) => async (args) => {
          if (commandName === throttledCommand) throw throttlingError(name);
          return next(args);
        },
        { step: 'initialize', name: 'throttleOneCommand' },
      );
      return dynamoDb;
    };
    const describe = throttledDynamoDb('DescribeTableCommand', 'ThrottlingException');
    const write = throttledDynamoDb('BatchWriteItemCommand', 'ProvisionedThroughputExceededException');
    try {
      const cases = [
        { name: 'kms', handler: lambda.createIngestHandler({ environment, clients: { ...clients, kms } }) },
        { name: 'describe', handler: lambda.createIngestHandler({ environment, clients: { ...clients, dynamoDb: describe } }) },
        { name: 'write', handler: lambda.createIngestHandler({ environment, clients: { ...clients, dynamoDb: write } }) },
      ];
      for (const { name, handler } of cases) {
        const body = JSON.stringify([{ id: `${run}-${name}-1`, card: SECRET }, { id: `${run}-${name}-2`, card: SECRET }]);
        const before = logged.length;
        const response = http(await handler(httpV2Event('POST', body), context));
        expect({ name, statusCode: response.statusCode }).toEqual({ name, statusCode: 503 });
        // Both items count as rejected, whichever service throttled.
        const emf = logged.slice(before).map((line) => JSON.parse(line.startsWith('{') ? line : '{}') as Record<string, unknown>).find((line) => '_aws' in line);
        expect({ name, ...emf }).toMatchObject({ name, ItemsWritten: 0, ItemsRejected: 2 });
        expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
        expect(response.body).toMatchObject({ written: 0, failures: [{ index: 0, code: 'not-written' }, { index: 1, code: 'not-written' }] });
        expect(JSON.stringify(response)).not.toMatch(/SECRET|4111/);
        for (const index of [1, 2]) expect((await stored(`${run}-${name}-${index}`)).raw).toBeUndefined();
      }
    } finally {
      random.mockRestore();
      for (const client of [kms, describe, write]) client.destroy();
    }
  });

  it('HTTP: Function URL, API Gateway v2 and v1 REST POSTs write; bad items are a 400 that writes nothing', async () => {
    const run = uniqueName('http');
    const functionUrl: LambdaFunctionURLEvent = httpV2Event('POST', JSON.stringify([{ id: `${run}-1`, card: SECRET }, { id: `${run}-2`, card: SECRET }]), { base64: true, functionUrl: true });
    expect(http(await ingest(functionUrl, context))).toMatchObject({ statusCode: 200, body: { written: 2 }, headers: { 'content-type': 'application/json' } });
    expect(http(await ingest(httpV2Event('POST', JSON.stringify({ id: `${run}-3`, card: SECRET })), context))).toMatchObject({ statusCode: 200, body: { written: 1 } });
    expect(http(await ingest(restV1Event('POST', JSON.stringify({ items: [{ id: `${run}-4`, card: SECRET }] })), context))).toMatchObject({ statusCode: 200, body: { written: 1 } });
    for (const id of [1, 2, 3, 4]) expect((await stored(`${run}-${id}`)).plain?.card).toBe(SECRET);

    const bad = http(await ingest(httpV2Event('POST', JSON.stringify([{ id: `${run}-5`, card: SECRET }, { id: 5, card: SECRET }, [SECRET]])), context));
    expect(bad).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: {
        written: 0,
        failures: [
          { index: 1, code: 'invalid', reason: 'item 1: partition key attribute "id" must be a string (S), got a number (N)' },
          { index: 2, code: 'invalid', reason: 'item 2: is not an object of attributes (got an array)' },
        ],
      },
    });
    expect((await stored(`${run}-5`)).raw).toBeUndefined();

    // An item only DynamoDB refuses (a DO_NOTHING number below its range): still nothing written.
    const refused = http(await ingest(httpV2Event('POST', JSON.stringify([{ id: `${run}-6`, card: SECRET }, { id: `${run}-7`, note: 1e-140 }])), context));
    expect(refused).toMatchObject({ statusCode: 400, body: { written: 0, failures: [{ index: 0, code: 'not-written' }, { index: 1, code: 'invalid' }] } });
    expect(refused.body.message).toBeUndefined();
    for (const id of [6, 7]) expect((await stored(`${run}-${id}`)).raw).toBeUndefined();
    // Beyond one BatchWriteItem, batches sent alongside the refused one are written: the 400 says so.
    const large = Array.from({ length: 60 }, (_, index) => (index === 30 ? { id: `${run}-large-${index}`, note: 1e-140 } : { id: `${run}-large-${index}`, card: SECRET }));
    const partial = http(await ingest(httpV2Event('POST', JSON.stringify(large)), context));
    expect(partial.statusCode).toBe(400);
    const written = partial.body.written as number;
    expect(written).toBeGreaterThan(0);
    expect(partial.body.message).toContain(`after ${written} item(s) of this request were written (they stay written)`);
    expect((partial.body.failures as unknown[]).length).toBe(60 - written);
  });

  it('HTTP: malformed JSON, a missing body and other methods are answered, not thrown', async () => {
    const malformed = http(await ingest(restV1Event('POST', `{"id": "x", "card": ${SECRET}`), context));
    expect(malformed).toMatchObject({ statusCode: 400, body: { message: 'the request body is not valid JSON' } });
    expect(JSON.stringify(malformed)).not.toContain('4111');
    expect(http(await ingest(httpV2Event('POST', undefined), context))).toMatchObject({ statusCode: 400 });
    expect(http(await ingest(restV1Event('POST', null), context))).toMatchObject({ statusCode: 400 });
    const get = http(await ingest(httpV2Event('GET', undefined), context));
    expect(get).toMatchObject({ statusCode: 405, headers: { allow: 'POST' } });
    expect(http(await ingest(restV1Event('PUT', '{}'), context)).statusCode).toBe(405);
  });

  it('create-only refuses to overwrite: a per-item "exists" failure, 409 over HTTP', async () => {
    const run = uniqueName('create');
    const createOnly = lambda.createIngestHandler({ environment: { ...environment, [Names.CREATE_ONLY]: 'true' }, clients });
    expect(await createOnly({ items: [{ id: run, card: 'first' }] }, context)).toEqual({ written: 1, failures: [] });
    expect(await createOnly({ items: [{ id: run, card: SECRET }, { id: `${run}-new`, card: SECRET }] }, context)).toEqual({
      written: 1,
      failures: [{ index: 0, code: 'exists', reason: 'item 0: an item with this primary key already exists (create-only ingest)' }],
    });
    const conflict = http(await createOnly(httpV2Event('POST', JSON.stringify({ id: run, card: SECRET })), context));
    expect(conflict).toMatchObject({ statusCode: 409, body: { written: 0, failures: [{ index: 0, code: 'exists' }] } });
    expect((await stored(run)).plain?.card).toBe('first');
    expect((await stored(`${run}-new`)).plain?.card).toBe(SECRET);
  });

  it('refuses malformed events with a typed error', async () => {
    for (const event of [{}, { items: 'x' }, { Records: 'x' }, { Records: [{ eventSource: 'aws:sns' }] }, null]) {
      await expect(ingest(event, context)).rejects.toThrow(IngestEventError);
    }
  });

  it('missing configuration is a ConfigurationError naming the variables, at cold start and on every invoke', async () => {
    expect(() => lambda.createIngestHandler({ environment: {}, clients })).toThrow(ConfigurationError);
    expect(() => lambda.createIngestHandler({ environment: {}, clients })).toThrow(/DDBEC_TABLE_NAME.*DDBEC_MATERIALS.*DDBEC_KMS_KEY_ID/);
    expect(() => lambda.createIngestHandler({ environment, clients, timeReserveMs: -1 })).toThrow(/timeReserveMs/);
    // The deployed handler is built on its first invocation, here without any DDBEC_* variable.
    await expect(lambda.handler({ items: [] }, context)).rejects.toThrow(ConfigurationError);
    await expect(lambda.handler({ items: [] }, context)).rejects.toThrow(/DDBEC_TABLE_NAME is not set/);
    // Logged once per container, not on every invocation.
    expect(logged.filter((line) => line.includes('ingest is not configured') && line.includes('DDBEC_KMS_KEY_ID'))).toHaveLength(1);
  });

  it('a KMS key ARN of another region: the handler built with its own clients calls KMS in that region (AWS_ENDPOINT_URL_KMS still applies)', async () => {
    const elsewhere = new KMSClient({ region: 'eu-west-1' });
    try {
      const keyArn = (await elsewhere.send(new CreateKeyCommand({ Description: 'ingest handler tests, another region' }))).KeyMetadata?.Arn as string;
      expect(keyArn).toContain(':eu-west-1:');
      expect(process.env.AWS_REGION).not.toBe('eu-west-1'); // the function's own region
      const regional = { ...environment, [Names.KMS_KEY_ID]: keyArn };
      const handler = lambda.createIngestHandler({ environment: regional }); // no clients given: the deployed handler's own
      const id = uniqueName('other-region');
      await expect(handler({ items: [{ id, card: SECRET }] }, context)).resolves.toEqual({ written: 1, failures: [] });
      const config = readIngestConfig(regional);
      const reader = new EncryptedClient({ client: clients.dynamoDb, materialsProvider: materialsProviderFor(config.materials, { dynamoDb: clients.dynamoDb, kms: elsewhere }), attributeActions: config.attributeActions });
      const { Item } = await reader.getItem({ TableName: tableName, Key: { id: { S: id } } });
      expect(unmarshall(Item ?? {})).toEqual({ id, card: SECRET });
    } finally {
      elsewhere.destroy();
    }
  });

  it('publishes ItemsWritten and ItemsRejected metrics', async () => {
    const run = uniqueName('metrics');
    const before = logged.length;
    await ingest({ items: [{ id: run, card: SECRET }, { card: SECRET }] }, context);
    const emf = logged.slice(before).map((line) => JSON.parse(line.startsWith('{') ? line : '{}') as Record<string, unknown>).find((line) => '_aws' in line);
    expect(emf).toMatchObject({ ItemsWritten: 1, ItemsRejected: 1 });
  });
});
