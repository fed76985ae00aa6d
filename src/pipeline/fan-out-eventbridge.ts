import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeliveryError } from './stream-errors';
import type { FanOutMessage, FanOutTarget } from './fan-out-target';

/** The `source` of every event the fan-out puts, for rules to match on. */
export const STREAM_EVENT_SOURCE = 'ddbec.stream';

/**
 * An EventBridge bus: one event per record, detail type INSERT / MODIFY / REMOVE, the message as
 * the detail. PutEvents answers 200 even when it rejected the entry, so FailedEntryCount is checked.
 */
export class EventBridgeTarget implements FanOutTarget {
  readonly description: string;

  constructor(
    private readonly client: EventBridgeClient,
    /** An ARN, or a name of a bus in the client's own account and region. */
    private readonly eventBusName: string,
    private readonly source: string = STREAM_EVENT_SOURCE,
  ) {
    this.description = `EventBridge bus ${eventBusName}`;
  }

  async deliver(message: FanOutMessage): Promise<void> {
    let output;
    try {
      output = await this.client.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: this.eventBusName, Source: this.source, DetailType: message.kind, Detail: message.body, Time: message.time }],
        }),
      );
    } catch (error) {
      throw DeliveryError.from(this.description, error);
    }
    if ((output.FailedEntryCount ?? 0) > 0) {
      const failed = output.Entries?.find((entry) => entry.ErrorCode !== undefined);
      // ErrorMessage is left out: it may quote the entry.
      throw new DeliveryError(this.description, failed?.ErrorCode ?? 'FailedEntry');
    }
  }
}
