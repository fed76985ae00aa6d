/**
 * Receiving from a moto FIFO queue while the stream handler is still delivering to it, and
 * judging second copies fairly.
 *
 * Why drain during delivery, and keep the queue short (`admit`): moto 5.2 walks every message a
 * queue holds on each send, and on each receive it does so once per message it considers (a
 * retention check that recomputes the queue's attributes), so a receive costs the square of the
 * depth: 800 messages waiting brought a 100,000-record run down to under 20 messages a second.
 * Why second copies need a judgement: moto deduplicates a FIFO message only against the
 * messages still in the queue, while SQS remembers a deduplication id for 5 minutes, deleted or
 * not. A record the handler sent again because a send of it failed (the failed send may have
 * reached the queue) or because its batch was handed to the handler again, once its first copy
 * was received and deleted, is delivered twice by moto only. Such copies are `motoDedupMisses`.
 * Every other extra send is a duplicate (`judgeCopies`): the handler sends a record at most once
 * per delivery of its batch, plus once more per failed send of it.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from './crash-support';

/** What the SendMessage calls of one client did, per MessageDeduplicationId. */
export interface SendLog {
  /** Attempts that reached the server (each attempt of the SDK's retries counts). */
  readonly reached: ReadonlyMap<string, number>;
  /**
   * Sends that failed as the sender saw them: attempts that failed (injected faults before or
   * after the server, real errors) and calls that failed after their last attempt succeeded (a
   * fault injected around the SDK's retries). A failed send may have reached the queue, and
   * the record is sent again: that resend is not a duplicate.
   */
  readonly failed: ReadonlyMap<string, number>;
}

const LAST_ATTEMPT_FAILED = Symbol('lastAttemptFailed');

/**
 * Records the SendMessage calls of `client` (to `queueUrl` only, when given) by deduplication
 * id. Attach it after any fault injector: it adds a middleware outside every other one of the
 * initialize step (a fault injected there is seen as the call's failure), one inside the SDK's
 * retries (each attempt, as the fault injector of fault-injection.ts fails it) and one closest
 * to the server (priority low at the deserialize step, inside that fault injector: an attempt
 * failed before it was sent is not counted as reaching the server).
 */
export function trackSends(client: SQSClient, queueUrl?: string): SendLog {
  const reached = new Map<string, number>();
  const failed = new Map<string, number>();
  const idOf = (input: unknown): string | undefined => {
    const { MessageDeduplicationId, QueueUrl } = input as { MessageDeduplicationId?: string; QueueUrl?: string };
    return queueUrl === undefined || QueueUrl === queueUrl ? MessageDeduplicationId : undefined;
  };
  const add = (counts: Map<string, number>, id: string) => counts.set(id, (counts.get(id) ?? 0) + 1);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const id = idOf(args.input);
      if (id === undefined) return next(args);
      const state = context as { [LAST_ATTEMPT_FAILED]?: boolean };
      try {
        return await next(args);
      } catch (error) {
        // Counted here only when no attempt failure was counted for it below.
        if (state[LAST_ATTEMPT_FAILED] !== true) add(failed, id);
        throw error;
      }
    },
    { step: 'initialize', name: 'trackSendCalls', priority: 'high' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const id = idOf(args.input);
      if (id === undefined) return next(args);
      const state = context as { [LAST_ATTEMPT_FAILED]?: boolean };
      try {
        const output = await next(args);
        state[LAST_ATTEMPT_FAILED] = false;
        return output;
      } catch (error) {
        state[LAST_ATTEMPT_FAILED] = true;
        add(failed, id);
        throw error;
      }
    },
    { step: 'finalizeRequest', name: 'trackSendAttempts', priority: 'low' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const id = idOf(args.input);
      if (id !== undefined) add(reached, id);
      return next(args);
    },
    { step: 'deserialize', name: 'trackSendsReachingServer', priority: 'low' },
  );
  return { reached, failed };
}

/** How long admit() waits with nothing arriving before it gives up. */
const STALL_MS = 120_000;

export interface FifoConsumerOptions {
  /** Receivers at once; a FIFO group's next message is only handed out once the one before it is deleted. @default 1 */
  readonly consumers?: number;
}

/**
 * Receives and deletes a queue's messages in the background until `finish()`, which returns the
 * bodies in the order received, each stored message once. As a FIFO queue hands out a group's
 * next message only once the previous one is deleted, that order is each group's order in the
 * queue. A standard queue drains the same way.
 */
export class FifoConsumer {
  readonly bodies: string[] = [];
  /** Messages received again under a MessageId already received: counted here, not in `bodies`. */
  redelivered = 0;
  private readonly messageIds = new Set<string>();
  private deliveryDone = false;
  private readonly running: Promise<unknown>;
  private failure: unknown;
  private admitted = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    options: FifoConsumerOptions = {},
  ) {
    this.running = Promise.all(
      Array.from({ length: options.consumers ?? 1 }, () =>
        this.consume().catch((error: unknown) => {
          this.failure ??= error;
          throw error;
        }),
      ),
    );
    // finish() reports a failure; until then, waiting senders see it through admit().
    this.running.catch(() => undefined);
  }

  get received(): number {
    return this.bodies.length;
  }

  /**
   * Waits until `messages` more can be sent without more than `depth` waiting in the queue, and
   * counts them as sent. Check and count happen with no await between them, so senders running
   * side by side cannot all pass at once. A batch larger than `depth` passes once the queue is empty.
   */
  async admit(messages: number, depth: number): Promise<void> {
    let received = this.bodies.length;
    let lastProgress = Date.now();
    while (this.admitted + messages - this.bodies.length > depth && this.admitted > this.bodies.length) {
      if (this.failure !== undefined) throw this.failure;
      // Messages that never arrive (a lost record) must fail the scenario, not hang it.
      if (this.bodies.length !== received) [received, lastProgress] = [this.bodies.length, Date.now()];
      else if (Date.now() - lastProgress > STALL_MS) {
        throw new Error(`nothing arrived in the queue for ${STALL_MS / 1000} s while ${this.admitted - received} sent messages were missing`);
      }
      await sleep(20);
    }
    this.admitted += messages;
  }

  /** Call once every message was sent: drains what is left and returns every body received. */
  async finish(): Promise<string[]> {
    this.deliveryDone = true;
    await this.running;
    return this.bodies;
  }

  private async consume(): Promise<void> {
    for (let emptyAfterDone = 0; emptyAfterDone < 3; ) {
      if (this.failure !== undefined) return;
      const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
      if (Messages.length === 0) {
        if (this.deliveryDone) emptyAfterDone += 1;
        await sleep(this.deliveryDone ? 200 : 20);
        continue;
      }
      for (const message of Messages) {
        // The same stored message handed out twice (two consumers receiving at once from moto,
        // whose receive is not guarded across its request threads): one send, not a duplicate.
        if (this.messageIds.has(message.MessageId as string)) this.redelivered += 1;
        else {
          this.messageIds.add(message.MessageId as string);
          this.bodies.push(message.Body as string);
        }
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }),
      );
    }
  }
}

export interface CopyCounts {
  /**
   * Extra sends and copies nothing excuses: per record, the larger of the sends beyond one per
   * delivery of its batch plus one per failed send, and the copies received beyond the first
   * that no failed send or retried batch explains; plus every copy of a record never expected.
   */
  readonly duplicated: number;
  /** Second copies of a legitimate resend (a failed send, a retried batch), which SQS (not moto) drops. */
  readonly motoDedupMisses: number;
}

/**
 * Judges the copies received per record. `copies` maps a record to how many times it arrived;
 * `deduplicationIdOf` gives the id its sends carried; `deliveriesOf` how many handler
 * invocations were handed the record (more than one when its batch was retried); `sends` comes
 * from trackSends on the handler's client. Records received that were never expected are
 * duplicates too.
 */
export function judgeCopies(
  copies: ReadonlyMap<string, number>,
  expected: ReadonlySet<string>,
  deduplicationIdOf: (record: string) => string | undefined,
  deliveriesOf: (record: string) => number,
  sends: SendLog,
): CopyCounts & { duplicateRecords: string[] } {
  let duplicated = 0;
  let motoDedupMisses = 0;
  const duplicateRecords: string[] = [];
  for (const [record, count] of copies) {
    if (!expected.has(record)) {
      duplicated += count;
      duplicateRecords.push(record);
    }
  }
  for (const record of expected) {
    const id = deduplicationIdOf(record);
    const received = copies.get(record) ?? 0;
    const deliveries = deliveriesOf(record);
    const reached = id === undefined ? 0 : (sends.reached.get(id) ?? 0);
    const failed = id === undefined ? 0 : (sends.failed.get(id) ?? 0);
    // Each delivery sends the record once; each failed send of it may be followed by one more.
    const extraSends = Math.max(0, reached - deliveries - failed);
    // A second copy is excused only after a failed send or a retried batch, and only as many
    // as reached the queue.
    const excusable = deliveries > 1 || failed > 0 ? Math.max(0, Math.min(received, reached) - 1) : 0;
    const extraCopies = Math.max(0, received - 1 - excusable);
    motoDedupMisses += Math.min(Math.max(0, received - 1), excusable);
    const unexcused = Math.max(extraSends, extraCopies);
    if (unexcused > 0) {
      duplicated += unexcused;
      duplicateRecords.push(record);
    }
  }
  return { duplicated, motoDedupMisses, duplicateRecords };
}
