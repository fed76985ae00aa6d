/**
 * The checkpoint file itself: written whole (temporary file renamed over the old one), read
 * back exactly (keys of every type, binary included), and refused with one clear message when
 * it is not a ddbec checkpoint or belongs to another job.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFile, freshJobProgress, jobComplete, jobCounts } from '../../src/cli/checkpoint-file';
import { temporaryDirectory } from '../support/cli-run';

const expected = { tableName: 'orders', totalSegments: 2, dryRun: false };

test('a saved job reads back exactly, and no temporary file is left behind', async () => {
  const directory = temporaryDirectory();
  const file = new CheckpointFile(join(directory, 'job.json'));
  await expect(file.load(expected)).resolves.toBeUndefined();
  const job = freshJobProgress('orders', 2, false);
  job.segments[0].lastEvaluatedKey = { pk: { B: Uint8Array.from([0, 1, 254, 255]) }, sk: { N: '12345678901234567890123456789012345678' } };
  job.segments[0].counts.scanned = 100;
  job.segments[0].counts.encrypted = 97;
  job.segments[0].counts.failed = 3;
  job.segments[0].failureReasons.SignatureVerificationError = 3;
  job.segments[1].done = true;
  job.segments[1].counts.scanned = 5;
  job.segments[1].counts.alreadyCurrent = 5;
  await Promise.all([file.save(job), file.save(job)]); // queued, never interleaved
  expect(readdirSync(directory)).toEqual(['job.json']);
  const loaded = await file.load(expected);
  expect(loaded).toEqual(job);
  expect(loaded && jobComplete(loaded)).toBe(false);
  expect(loaded && jobCounts(loaded)).toEqual({
    counts: { scanned: 105, encrypted: 97, reencrypted: 0, alreadyCurrent: 5, conflicts: 0, failed: 3, skipped: 0, deleted: 0, retried: 0, repaired: 0 },
    failureReasons: { SignatureVerificationError: 3 },
  });
});

test('a file that is not a checkpoint, or is for another job, is refused', async () => {
  const directory = temporaryDirectory();
  const path = join(directory, 'job.json');
  const file = new CheckpointFile(path);
  writeFileSync(path, '{"tableName": "orders"}');
  await expect(file.load(expected)).rejects.toThrow(`the checkpoint file ${path} is not a ddbec checkpoint (no "format": "ddbec-checkpoint/1"): give another file, or delete it to start over`);
  writeFileSync(path, 'half a fi');
  await expect(file.load(expected)).rejects.toThrow('(not JSON)');
  await file.save(freshJobProgress('orders', 2, true));
  await expect(file.load(expected)).rejects.toThrow(`the checkpoint file ${path} is for a run with --dry-run true, not false`);
  await file.save(freshJobProgress('invoices', 2, false));
  await expect(file.load(expected)).rejects.toThrow('is for table "invoices", not "orders"');
  expect(existsSync(path)).toBe(true);
});
