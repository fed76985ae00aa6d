import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { CryptoAction, EncryptedTableConstruct, IngestSource } from '../lib';

/**
 * An orders table encrypted client-side, with every pipeline: orders arrive on a queue or over
 * HTTP, downstream consumers read decrypted changes from a FIFO queue in per-order order, and a
 * weekly job re-encrypts anything not under the current key.
 */
export class EncryptedOrdersStack extends Stack {
  readonly orders: EncryptedTableConstruct;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, { description: 'Client-side encrypted orders table and its pipelines', ...props });
    this.orders = new EncryptedTableConstruct(this, 'Orders', {
      partitionKey: { name: 'customerId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
      attributeActions: {
        // Readable (and filterable) without decrypting, still covered by the signature.
        status: CryptoAction.SIGN_ONLY,
        createdAt: CryptoAction.SIGN_ONLY,
        // Changed by other tools without invalidating the signature.
        expiresAt: CryptoAction.DO_NOTHING,
      },
      ingest: { sources: [IngestSource.QUEUE, IngestSource.FUNCTION_URL] },
      decryptedStream: { fifo: true },
      reEncryption: { totalSegments: 8, schedule: events.Schedule.cron({ weekDay: 'SUN', hour: '3', minute: '0' }) },
    });
  }
}
