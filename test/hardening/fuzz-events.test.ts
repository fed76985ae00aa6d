/**
 * Issue #8, hostile events to the three handlers' parsing: ingest (classify the event, read
 * SQS/HTTP bodies, check each item), stream (Records, record identity, record parsing) and
 * re-encryption (segment requests). Arbitrary JSON, arbitrary JavaScript values, and valid events
 * mutated. Rejection reasons returned (ingest) are searched for plaintext as errors are.
 */
import { assertTarget } from './fuzz-oracle';
import { ingestEventParsing, reencryptRequestParsing, streamEventParsing } from './fuzz-targets';

describe('fuzz: handler event parsing', () => {
  it('ingest: typed errors or reasons only, bounded time, no leaks', async () => {
    await assertTarget(ingestEventParsing(), 1500);
  });

  it('stream: typed errors only, bounded time, no leaks', async () => {
    await assertTarget(streamEventParsing, 1500);
  });

  it('re-encryption: typed errors only, bounded time, no leaks', async () => {
    await assertTarget(reencryptRequestParsing, 1500);
  });
});
