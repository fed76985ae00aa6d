/**
 * The metrics every handler publishes about its invocations, read from the EMF lines Powertools
 * writes: `ColdStart` once per container (per handler built), and `InvocationFailures`, 1 when an
 * invocation throws or answers with a failure (an HTTP 5xx) and 0 otherwise, flushed on every
 * path with the handler's other metrics. Unit tests: the engines and AWS clients are stand-ins.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { ConfigurationError, readIngestConfig } from '../../src/pipeline/pipeline-config';
import { emptyCounts } from '../../src/pipeline/reencrypt-counts';
import type { ScanReEncryptor } from '../../src/pipeline/scan-reencryptor';
import type { StreamBatchResult, StreamDecryptor } from '../../src/pipeline/stream-decryptor';
import { deployedHandler } from '../../lambda/deployed-handler';
import { createIngestHandler } from '../../lambda/ingest';
import { observability } from '../../lambda/observability';
import { createReEncryptSegmentHandler } from '../../lambda/reencrypt-segment';
import { createStreamDecryptHandler } from '../../lambda/stream-decrypt';

const savedEnvironment = { ...process.env };
const logged: string[] = [];

beforeEach(() => {
  logged.length = 0;
  process.env.POWERTOOLS_DEV = 'true'; // Powertools writes through the console, where jest can read it
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  // What Lambda sets for an on-demand container: Powertools counts no ColdStart otherwise (provisioned concurrency).
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    });
  }
});

afterEach(() => {
  process.env = { ...savedEnvironment };
  jest.restoreAllMocks();
});

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };

/** The EMF lines written since `from`. */
function emfSince(from: number): Emf[] {
  return logged
    .slice(from)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line): line is Emf => '_aws' in line);
}

/** The values of one metric across those lines, in order (a line without it contributes nothing). */
function values(lines: Emf[], name: string): unknown[] {
  return lines.filter((line) => line._aws.CloudWatchMetrics.some((set) => set.Metrics.some((metric) => metric.Name === name))).map((line) => line[name]);
}

/** Runs one invocation and returns the EMF lines it wrote, whether it answered or threw. */
async function invocation(run: () => Promise<unknown>): Promise<{ emf: Emf[]; threw: boolean }> {
  const from = logged.length;
  let threw = false;
  await run().catch(() => {
    threw = true;
  });
  return { emf: emfSince(from), threw };
}

const context = { functionName: 'orders-handler', awsRequestId: 'request-1', getRemainingTimeInMillis: () => 600_000 } as unknown as Context;

/** Every dimension set stays bounded: service, and function_name on ColdStart; never an item or table value. */
function expectBoundedDimensions(lines: Emf[]): void {
  for (const line of lines) {
    for (const set of line._aws.CloudWatchMetrics) for (const dimensions of set.Dimensions) for (const name of dimensions) expect(['service', 'function_name']).toContain(name);
  }
}

describe('stream-decrypt handler metrics', () => {
  const batch: StreamBatchResult = { batchItemFailures: [], records: 0, delivered: 0, passedThrough: 0, deadLettered: [] };
  const event = { Records: [] } as DynamoDBStreamEvent;

  it('ColdStart once; InvocationFailures 0 when the batch is processed, 1 (flushed) when the handler throws', async () => {
    let fail = false;
    const decryptor = {
      process: async () => {
        if (fail) throw new TypeError('not a stream event');
        return batch;
      },
    } as unknown as StreamDecryptor;
    const handler = createStreamDecryptHandler({ decryptor, ...observability('stream-decrypt') });

    const first = await invocation(() => handler(event, context));
    expect(first.threw).toBe(false);
    expect(values(first.emf, 'ColdStart')).toEqual([1]);
    expect(values(first.emf, 'InvocationFailures')).toEqual([0]);

    fail = true;
    const failed = await invocation(() => handler(event, context));
    expect(failed.threw).toBe(true);
    expect(values(failed.emf, 'InvocationFailures')).toEqual([1]);
    expect(values(failed.emf, 'ColdStart')).toEqual([]);

    fail = false;
    const later = await invocation(() => handler(event, context));
    expect(values(later.emf, 'InvocationFailures')).toEqual([0]);
    expect(values(later.emf, 'RecordsDelivered')).toEqual([0]); // in the same flush as before
    expect(values(later.emf, 'ColdStart')).toEqual([]);
    expectBoundedDimensions([...first.emf, ...failed.emf, ...later.emf]);
  });
});

describe('reencrypt-segment handler metrics', () => {
  it('ColdStart once; InvocationFailures 1 for a failed segment, a bad request and a failed rotation, 0 otherwise', async () => {
    let fail = false;
    const reEncryptor: Pick<ScanReEncryptor, 'processSegment'> = {
      processSegment: async () => {
        if (fail) throw new Error('the scan failed');
        return { counts: emptyCounts(), failureReasons: {}, lastEvaluatedKey: undefined };
      },
    };
    const rotateMaterials = async () => {
      if (fail) throw new Error('the rotation failed');
      return { materialName: 'orders', version: 2 };
    };
    const handler = createReEncryptSegmentHandler({ reEncryptor, rotateMaterials, ...observability('reencrypt') });

    const first = await invocation(() => handler({ segment: 0, totalSegments: 1 }, context));
    expect(first.threw).toBe(false);
    expect(values(first.emf, 'ColdStart')).toEqual([1]);
    expect(values(first.emf, 'InvocationFailures')).toEqual([0]);
    expect(values(first.emf, 'Scanned')).toEqual([0]);

    const rotated = await invocation(() => handler({ rotateMaterials: true }, context));
    expect(values(rotated.emf, 'InvocationFailures')).toEqual([0]);
    expect(values(rotated.emf, 'MaterialsRotated')).toEqual([1]);

    const badRequest = await invocation(() => handler({ segment: -1 }, context));
    expect(badRequest.threw).toBe(true);
    expect(values(badRequest.emf, 'InvocationFailures')).toEqual([1]);

    fail = true;
    for (const event of [{ segment: 0, totalSegments: 1 }, { rotateMaterials: true }]) {
      const failed = await invocation(() => handler(event, context));
      expect(failed.threw).toBe(true);
      expect(values(failed.emf, 'InvocationFailures')).toEqual([1]);
      expect(values(failed.emf, 'ColdStart')).toEqual([]);
      expectBoundedDimensions(failed.emf);
    }
    expectBoundedDimensions([...first.emf, ...rotated.emf, ...badRequest.emf]);
  });
});

describe('ingest handler metrics', () => {
  const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555';
  const config = readIngestConfig({
    [Names.TABLE_NAME]: 'orders',
    [Names.PARTITION_KEY_NAME]: 'id',
    [Names.SECONDARY_INDEXES]: 'none',
    [Names.MATERIALS]: 'direct-kms',
    [Names.KMS_KEY_ID]: KEY,
  });
  const keySchema = { partitionKey: 'id', attributeTypes: { id: 'S' as const } };
  let kmsFails = false;
  const kms = {
    config: { region: async () => 'us-east-1' },
    send: async () => {
      if (kmsFails) throw Object.assign(new Error('the key is disabled'), { name: 'DisabledException', $metadata: { httpStatusCode: 400 } });
      return { Plaintext: new Uint8Array(32).fill(7), CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: KEY };
    },
  } as unknown as KMSClient;
  const dynamoDb = { send: async () => ({}) } as unknown as DynamoDBClient;
  const post = (body: string) => ({ version: '2.0', rawPath: '/', body, isBase64Encoded: false, requestContext: { http: { method: 'POST', path: '/' } }, headers: {} });

  it('ColdStart once; InvocationFailures 1 for an HTTP 5xx answer or a throw, 0 for a 200 and for a 400', async () => {
    const handler = createIngestHandler({ config, clients: { dynamoDb, kms }, keySchema, ...observability('ingest') });

    const written = await invocation(() => handler(post(JSON.stringify({ id: 'a', card: 'x' })), context));
    expect(written.threw).toBe(false);
    expect(values(written.emf, 'ColdStart')).toEqual([1]);
    expect(values(written.emf, 'InvocationFailures')).toEqual([0]);
    expect(values(written.emf, 'ItemsWritten')).toEqual([1]);

    // The caller's mistake, not the function's: no failure.
    const invalid = await invocation(() => handler(post('{not json'), context));
    expect(values(invalid.emf, 'InvocationFailures')).toEqual([0]);

    kmsFails = true;
    let answer: unknown;
    const serverError = await invocation(async () => {
      answer = await handler(post(JSON.stringify({ id: 'b', card: 'x' })), context);
    });
    expect(answer).toMatchObject({ statusCode: 500 });
    expect(values(serverError.emf, 'InvocationFailures')).toEqual([1]);
    kmsFails = false;

    const thrown = await invocation(() => handler({ neither: 'items nor records' }, context));
    expect(thrown.threw).toBe(true);
    expect(values(thrown.emf, 'InvocationFailures')).toEqual([1]);
    expect(values(thrown.emf, 'ItemsWritten')).toEqual([0]);

    const coldStarts = [written, invalid, serverError, thrown].flatMap((run) => values(run.emf, 'ColdStart'));
    expect(coldStarts).toEqual([1]);
    expectBoundedDimensions([written, invalid, serverError, thrown].flatMap((run) => run.emf));
  });
});

describe('deployed handler metrics', () => {
  it('a handler that cannot be configured counts every invocation as failed, with one ColdStart', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const handler = deployedHandler('ingest', (): ((event: unknown, context: unknown) => Promise<unknown>) => {
      throw new ConfigurationError(['DDBEC_TABLE_NAME is not set (the encrypted table)']);
    });
    const runs = [];
    for (let index = 0; index < 3; index += 1) runs.push(await invocation(() => handler({}, context)));
    expect(runs.every((run) => run.threw)).toBe(true);
    expect(runs.map((run) => values(run.emf, 'InvocationFailures'))).toEqual([[1], [1], [1]]);
    expect(runs.flatMap((run) => values(run.emf, 'ColdStart'))).toEqual([1]);
  });
});
