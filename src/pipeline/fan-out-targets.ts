import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { StreamConfig } from './pipeline-config';
import { EventBridgeTarget } from './fan-out-eventbridge';
import { SnsTarget } from './fan-out-sns';
import { SqsTarget } from './fan-out-sqs';
import type { FanOutTarget } from './fan-out-target';

export interface FanOutClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
}

/** The targets a stream configuration names, queues first, then topics, then buses. */
export function fanOutTargetsFor(targets: StreamConfig['targets'], clients: FanOutClients): FanOutTarget[] {
  return [
    ...targets.queueUrls.map((url) => new SqsTarget(clients.sqs, url)),
    ...targets.topicArns.map((arn) => new SnsTarget(clients.sns, arn)),
    ...targets.eventBusNames.map((name) => new EventBridgeTarget(clients.eventBridge, name)),
  ];
}
