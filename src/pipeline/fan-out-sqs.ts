import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DeliveryError } from './stream-errors';
import type { FanOutMessage, FanOutTarget } from './fan-out-target';

/**
 * An SQS queue. A `.fifo` queue gets the item's message group (per-item order survives the
 * fan-out) and the record's deduplication id (a record sent again after a retry is dropped).
 */
export class SqsTarget implements FanOutTarget {
  readonly description: string;
  private readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {
    this.description = `SQS queue ${queueUrl}`;
    this.fifo = queueUrl.endsWith('.fifo');
  }

  async deliver(message: FanOutMessage): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: message.body,
          ...(this.fifo ? { MessageGroupId: message.groupId, MessageDeduplicationId: message.deduplicationId } : {}),
        }),
      );
    } catch (error) {
      throw DeliveryError.from(this.description, error);
    }
  }
}
