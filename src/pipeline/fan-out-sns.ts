import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DeliveryError } from './stream-errors';
import type { FanOutMessage, FanOutTarget } from './fan-out-target';

/** An SNS topic; a `.fifo` topic gets the item's message group and the record's deduplication id, as FIFO queues do. */
export class SnsTarget implements FanOutTarget {
  readonly description: string;
  private readonly fifo: boolean;

  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {
    this.description = `SNS topic ${topicArn}`;
    this.fifo = topicArn.endsWith('.fifo');
  }

  async deliver(message: FanOutMessage): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Message: message.body,
          ...(this.fifo ? { MessageGroupId: message.groupId, MessageDeduplicationId: message.deduplicationId } : {}),
        }),
      );
    } catch (error) {
      throw DeliveryError.from(this.description, error);
    }
  }
}
