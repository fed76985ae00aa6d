/**
 * `npm run bench -- pipeline`: the three pipelines on DynamoDB Local, in one run —
 * re-encryption against a plain scan-and-copy of the same table (1 and 4 segments), the stream
 * fan-out in process, and ingest.
 */
import type { Emit } from './figures';
import { measureIngest } from './ingest';
import { measureReEncryption } from './reencrypt';
import { measureStreamDecrypt } from './stream';

export const needsLocalAws = true;

export async function run(emit: Emit): Promise<void> {
  await measureReEncryption(emit);
  await measureStreamDecrypt(emit);
  await measureIngest(emit);
}
