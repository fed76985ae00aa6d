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
 * not. A record the handler sent again after an ambiguous failure (the first send had reached the
 * queue), once its first copy was received and deleted, is delivered twice by moto only. Such copies are `motoDedupMisses`; a second copy of a record whose
 * deduplication id reached the queue only once is a real duplicate.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from './crash-support';

/**
 * Counts, per MessageDeduplicationId, the SendMessage attempts of `client` that reached the
 * server. Attach it after a fault injector: the injector's middleware sits at the same step with
 * a higher priority, so a fault injected before the request is sent is not counted here.
 */
export function countSendsReachingServer(client: SQSClient): ReadonlyMap<string, number> {
  const sends = new Map<string, number>();
  client.middlewareStack.add(
    (next) => async (args) => {
      const id = (args.input as { MessageDeduplicationId?: string }).MessageDeduplicationId;
      if (id !== undefined) sends.set(id, (sends.get(id) ?? 0) + 1);
      return next(args);
    },
    { step: 'deserialize', name: 'countSendsReachingServer', priority: 'low' },
  );
  return sends;
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
  /** Second and later copies SQS itself would also have delivered: a bug in the sender. */
  readonly duplicated: number;
  /** Second copies of a resend after an ambiguous failure, which SQS (not moto) drops. */
  readonly motoDedupMisses: number;
}

/**
 * Judges the copies received per record. `copies` maps a record to how many times it arrived;
 * `deduplicationIdOf` gives the id its sends carried; `sendsReachingServer` comes from
 * countSendsReachingServer. Records received that were never expected are duplicates too.
 */
export function judgeCopies(
  copies: ReadonlyMap<string, number>,
  expected: ReadonlySet<string>,
  deduplicationIdOf: (record: string) => string | undefined,
  sendsReachingServer: ReadonlyMap<string, number>,
): CopyCounts & { duplicateRecords: string[] } {
  let duplicated = 0;
  let motoDedupMisses = 0;
  const duplicateRecords: string[] = [];
  for (const [record, count] of copies) {
    if (!expected.has(record)) {
      duplicated += count;
      duplicateRecords.push(record);
      continue;
    }
    if (count < 2) continue;
    const id = deduplicationIdOf(record);
    if (id !== undefined && (sendsReachingServer.get(id) ?? 0) >= count) motoDedupMisses += count - 1;
    else {
      duplicated += count - 1;
      duplicateRecords.push(record);
    }
  }
  return { duplicated, motoDedupMisses, duplicateRecords };
}
