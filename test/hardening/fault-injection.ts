/**
 * Fault injection for AWS SDK v3 clients: a middleware that makes a seeded share of requests
 * fail the way the real services and the real HTTP handler fail, placed INSIDE the SDK's retry
 * middleware (step `deserialize`, wrapping the deserializer) so that the SDK's own retry strategy
 * classifies and retries the injected failures exactly as it would real ones (`@smithy/core`'s
 * retry: THROTTLING by error name or `$retryable.throttling`, TRANSIENT by TimeoutError, ECONNRESET
 * codes or HTTP 500/502/503/504 in `$metadata.httpStatusCode`).
 *
 * Kinds of fault:
 * - `throttling`: the service refuses the request before doing anything (DynamoDB
 *   ProvisionedThroughputExceededException or ThrottlingException, KMS ThrottlingException, SQS
 *   RequestThrottled), HTTP 400, as the modeled exception class of the client package when there
 *   is one. Always injected BEFORE the request is sent: a throttled request is never executed.
 * - `serverError`: HTTP 500 (DynamoDB InternalServerError, KMS KMSInternalException, SQS
 *   InternalFailure) or 503 ServiceUnavailable.
 * - `timeout`: the request gets no answer within `timeoutMs`; surfaces as the Node HTTP handler's
 *   `TimeoutError`.
 * - `connectionReset`: the socket is dropped (`socket hang up`, code ECONNRESET; the Node HTTP
 *   handler renames such errors `TimeoutError`, and so does this).
 *
 * `serverError`, `timeout` and `connectionReset` are injected BEFORE the request is sent for some
 * requests and AFTER it reached the server for others (`afterShare`): then the server executed
 * the request, its response is thrown away and the client sees a failure. That is the hard case
 * for exactly-once: the write happened but the client (and the SDK's retry) thinks it did not.
 */
import { DynamoDBServiceException, InternalServerError, ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { KMSInternalException, KMSServiceException } from '@aws-sdk/client-kms';
import { RequestThrottled, SQSServiceException } from '@aws-sdk/client-sqs';
import { seededRandom, sleep } from './crash-support';

export { seededRandom };

export const FAULT_KINDS = ['throttling', 'serverError', 'timeout', 'connectionReset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultPhase = 'before' | 'after';
export type FaultService = 'dynamodb' | 'kms' | 'sqs';

/** The few client features the middleware needs (every SDK v3 client has them). */
interface MiddlewareClient {
  readonly middlewareStack: {
    add(middleware: unknown, options: { step: 'deserialize'; name: string; priority?: 'high' | 'normal' | 'low'; override?: boolean }): void;
    remove(name: string): boolean;
  };
}

export interface FaultInjectorOptions {
  /** Seed of the random generator deciding which requests fail and how. */
  readonly seed: number;
  /** Share of requests that fail, 0..1. Can be changed later with `setRate`. */
  readonly rate: number;
  /** Kinds to inject, drawn uniformly. @default every kind */
  readonly kinds?: readonly FaultKind[];
  /** Share of the faults that can be either (not throttling) injected after the server executed the request. @default 0.5 */
  readonly afterShare?: number;
  /** How long a timed-out request hangs before its TimeoutError. @default 25 */
  readonly timeoutMs?: number;
  /** Only these commands (e.g. 'BatchWriteItemCommand') fail. @default every command */
  readonly commands?: readonly string[];
}

export interface FaultCounts {
  readonly total: number;
  readonly byKind: Record<FaultKind, number>;
  readonly byPhase: Record<FaultPhase, number>;
  /** `${service}:${command}:${kind}:${phase}` → count. */
  readonly byCommand: Record<string, number>;
  /** Requests seen by the middleware (each SDK attempt counts). */
  readonly requests: number;
}

let requestIds = 0;
function metadata(httpStatusCode: number) {
  requestIds += 1;
  return { httpStatusCode, requestId: `FAULT${String(requestIds).padStart(12, '0')}`, extendedRequestId: undefined, cfId: undefined };
}

/** The error a service answers with for a throttled request, as its client package raises it. */
export function throttlingError(service: FaultService, variant: number): Error {
  const message = 'Rate exceeded (injected fault)';
  if (service === 'dynamodb') {
    return variant % 2 === 0
      ? new ProvisionedThroughputExceededException({ message, $metadata: metadata(400) })
      : new ThrottlingException({ message, $metadata: metadata(400) });
  }
  if (service === 'kms') return new KMSServiceException({ name: 'ThrottlingException', $fault: 'client', message, $metadata: metadata(400) });
  return new RequestThrottled({ message, $metadata: metadata(400) });
}

/** HTTP 500 (the service's internal error) or 503 ServiceUnavailable. */
export function serverError(service: FaultService, variant: number): Error {
  if (variant % 2 === 1) {
    const options = { name: 'ServiceUnavailable', $fault: 'server' as const, message: 'Service unavailable (injected fault)', $metadata: metadata(503) };
    if (service === 'dynamodb') return new DynamoDBServiceException(options);
    if (service === 'kms') return new KMSServiceException(options);
    return new SQSServiceException(options);
  }
  const message = 'Internal server error (injected fault)';
  if (service === 'dynamodb') return new InternalServerError({ message, $metadata: metadata(500) });
  if (service === 'kms') return new KMSInternalException({ message, $metadata: metadata(500) });
  return new SQSServiceException({ name: 'InternalFailure', $fault: 'server', message, $metadata: metadata(500) });
}

/** What @smithy/node-http-handler rejects with when the request times out. */
export function timeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`@smithy/node-http-handler - the request socket timed out after ${timeoutMs} ms of inactivity (injected fault).`), {
    name: 'TimeoutError',
  });
}

/** What Node's http module raises for a dropped connection, renamed as @smithy/node-http-handler does. */
export function connectionResetError(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' });
}

/**
 * Decides, with a seeded generator, which requests of the clients it is attached to fail, how,
 * and when; counts what it injected. One injector can serve several clients.
 */
export class FaultInjector {
  private readonly random: () => number;
  private rate: number;
  private kinds: readonly FaultKind[];
  private readonly afterShare: number;
  private readonly timeoutMs: number;
  private readonly commands?: ReadonlySet<string>;
  private readonly attached: Array<{ client: MiddlewareClient; name: string }> = [];
  private counts = FaultInjector.emptyCounts();

  constructor(options: FaultInjectorOptions) {
    this.random = seededRandom(options.seed);
    this.rate = options.rate;
    this.kinds = options.kinds ?? FAULT_KINDS;
    this.afterShare = options.afterShare ?? 0.5;
    this.timeoutMs = options.timeoutMs ?? 25;
    this.commands = options.commands === undefined ? undefined : new Set(options.commands);
    if (this.kinds.length === 0) throw new Error('FaultInjector needs at least one fault kind');
  }

  private static emptyCounts() {
    return {
      total: 0,
      requests: 0,
      byKind: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
      byPhase: { before: 0, after: 0 } as Record<FaultPhase, number>,
      byCommand: {} as Record<string, number>,
    };
  }

  /** Changes the fault rate (and kinds) from now on: a burst, or the end of one. */
  setRate(rate: number, kinds?: readonly FaultKind[]): void {
    this.rate = rate;
    if (kinds !== undefined) this.kinds = kinds;
  }

  /** A copy of the counts so far. */
  snapshot(): FaultCounts {
    return { ...this.counts, byKind: { ...this.counts.byKind }, byPhase: { ...this.counts.byPhase }, byCommand: { ...this.counts.byCommand } };
  }

  /** Faults injected in requests of these commands (any service, kind and phase), optionally of one phase. */
  countFor(commands: readonly string[], phase?: FaultPhase): number {
    return Object.entries(this.counts.byCommand)
      .filter(([key]) => {
        const [, command, , keyPhase] = key.split(':');
        return commands.includes(command) && (phase === undefined || keyPhase === phase);
      })
      .reduce((sum, [, count]) => sum + count, 0);
  }

  /** Adds the fault middleware to the client (inside the SDK's retries); returns the client. */
  attach<C extends MiddlewareClient>(client: C, service: FaultService): C {
    const name = `injectFaults-${service}-${this.attached.length}`;
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const command = context.commandName ?? 'UnknownCommand';
        this.counts.requests += 1;
        const fault = this.decide(command);
        if (fault === undefined) return next(args);
        this.count(service, command, fault.kind, fault.phase);
        if (fault.phase === 'before') {
          if (fault.kind === 'timeout') await sleep(this.timeoutMs);
          throw this.errorFor(service, fault.kind, fault.variant);
        }
        // The request reaches the server and is executed; its answer is lost on the way back.
        await next(args);
        if (fault.kind === 'timeout') await sleep(this.timeoutMs);
        throw this.errorFor(service, fault.kind, fault.variant);
      },
      { step: 'deserialize', name, priority: 'high' },
    );
    this.attached.push({ client, name });
    return client;
  }

  /** Removes the middleware from every client it was attached to. */
  detach(): void {
    for (const { client, name } of this.attached.splice(0)) client.middlewareStack.remove(name);
  }

  private decide(command: string): { kind: FaultKind; phase: FaultPhase; variant: number } | undefined {
    if (this.commands !== undefined && !this.commands.has(command)) return undefined;
    if (this.rate <= 0 || this.random() >= this.rate) return undefined;
    const kind = this.kinds[Math.floor(this.random() * this.kinds.length)];
    const phase: FaultPhase = kind !== 'throttling' && this.random() < this.afterShare ? 'after' : 'before';
    return { kind, phase, variant: Math.floor(this.random() * 2) };
  }

  private count(service: FaultService, command: string, kind: FaultKind, phase: FaultPhase): void {
    this.counts.total += 1;
    this.counts.byKind[kind] += 1;
    this.counts.byPhase[phase] += 1;
    const key = `${service}:${command}:${kind}:${phase}`;
    this.counts.byCommand[key] = (this.counts.byCommand[key] ?? 0) + 1;
  }

  private errorFor(service: FaultService, kind: FaultKind, variant: number): Error {
    switch (kind) {
      case 'throttling':
        return throttlingError(service, variant);
      case 'serverError':
        return serverError(service, variant);
      case 'timeout':
        return timeoutError(this.timeoutMs);
      case 'connectionReset':
        return connectionResetError();
    }
  }
}
