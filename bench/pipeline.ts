/**
 * `npm run bench -- pipeline`: the three pipelines in one run — the stream fan-out in process,
 * re-encryption on DynamoDB Local against a plain scan-and-copy of the same table (1 and 4
 * segments), and ingest.
 */
import type { Emit } from './figures';
import { measureIngest } from './ingest';
import { measureReEncryption } from './reencrypt';
import { measureStreamDecrypt } from './stream';

export const needsLocalAws = true;

export async function run(emit: Emit): Promise<void> {
  // The in-process stream figure first: after the table-heavy benches DynamoDB Local keeps the
  // shared cores busy for a while, which would be measured instead of the decryptor.
  await measureStreamDecrypt(emit);
  await measureReEncryption(emit);
  await measureIngest(emit);
}
