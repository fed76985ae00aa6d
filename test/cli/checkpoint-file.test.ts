/**
 * The checkpoint file itself: written whole (temporary file, fsynced, renamed over the old
 * one; removed when the save fails), read back exactly (keys of every type, binary included),
 * and refused with one clear message when it is not a ddbec checkpoint, was written by an
 * earlier ddbec, or belongs to another job: table, segments, dry run, command or materials.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointFile, freshJobProgress, jobComplete, jobCounts, type JobIdentity } from '../../src/cli/checkpoint-file';
import type { MaterialsTarget } from '../../src/cli/job-target';
import { temporaryDirectory } from '../support/cli-run';

const KEY_1 = 'arn:aws:kms:eu-west-1:111122223333:key/one';
const KEY_2 = 'arn:aws:kms:eu-west-1:111122223333:key/two';
const direct = (kmsKeyId: string, allowedKmsKeyIds: string[]): MaterialsTarget => ({ kind: 'direct-kms', kmsKeyId, allowedKmsKeyIds });
const mostRecent = (version: number | null): MaterialsTarget => ({ kind: 'most-recent', metaStoreTableName: 'meta', materialName: 'orders', version });
const expected: JobIdentity = { tableName: 'orders', totalSegments: 2, dryRun: false, target: { command: 'reencrypt', materials: direct(KEY_2, [KEY_2, KEY_1]) } };

test('a saved job reads back exactly, and no temporary file is left behind', async () => {
  const directory = temporaryDirectory();
  const file = new CheckpointFile(join(directory, 'job.json'));
  await expect(file.load(expected)).resolves.toBeUndefined();
  const job = freshJobProgress(expected);
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
  // Item keys are nobody else's to read.
  expect(statSync(join(directory, 'job.json')).mode & 0o777).toBe(0o600);
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
  await expect(file.load(expected)).rejects.toThrow(`the checkpoint file ${path} is not a ddbec checkpoint (no "format": "ddbec-checkpoint/2"): give another file, or delete it to start over`);
  writeFileSync(path, 'half a fi');
  await expect(file.load(expected)).rejects.toThrow('(not JSON)');
  await file.save(freshJobProgress({ ...expected, dryRun: true }));
  await expect(file.load(expected)).rejects.toThrow(`the checkpoint file ${path} is for a run with --dry-run true, not false: use a new --checkpoint file, or delete this one to start over`);
  await file.save(freshJobProgress({ ...expected, tableName: 'invoices' }));
  await expect(file.load(expected)).rejects.toThrow('is for table "invoices", not "orders"');
  expect(existsSync(path)).toBe(true);
});

test('a checkpoint of another command or other target materials is refused: an earlier rotation is not this one', async () => {
  const path = join(temporaryDirectory(), 'job.json');
  const file = new CheckpointFile(path);
  const saveFor = (target: JobIdentity['target']) => file.save(freshJobProgress({ ...expected, target }));

  await saveFor({ command: 'reencrypt', materials: direct(KEY_1, [KEY_1]) });
  await expect(file.load(expected)).rejects.toThrow(
    `the checkpoint file ${path} is for a job to KMS key ${KEY_1} (allowed ${KEY_1}), not to KMS key ${KEY_2} (allowed ${KEY_2},${KEY_1}): use a new --checkpoint file, or delete this one to start over`,
  );
  await saveFor({ command: 'reencrypt', materials: direct(KEY_2, [KEY_2]) });
  await expect(file.load(expected)).rejects.toThrow(`is for a job to KMS key ${KEY_2} (allowed ${KEY_2}), not to KMS key ${KEY_2} (allowed ${KEY_2},${KEY_1})`);
  await saveFor({ command: 'encrypt-table', materials: expected.target.materials });
  await expect(file.load(expected)).rejects.toThrow(`the checkpoint file ${path} is for encrypt-table, not reencrypt: use a new --checkpoint file`);
  // The allowed keys are a set: their order does not make another job.
  await saveFor({ command: 'reencrypt', materials: direct(KEY_2, [KEY_1, KEY_2]) });
  await expect(file.load(expected)).resolves.toBeDefined();

  // MetaStore: a rotation keeps the table and material name and adds a version.
  await saveFor({ command: 'reencrypt', materials: mostRecent(3) });
  await expect(file.load({ ...expected, target: { command: 'reencrypt', materials: mostRecent(4) } })).rejects.toThrow(
    'is for a job to MetaStore meta material "orders" (newest version 3), not to MetaStore meta material "orders" (newest version 4)',
  );
  await expect(file.load({ ...expected, target: { command: 'reencrypt', materials: mostRecent(3) } })).resolves.toBeDefined();
  // A job that found no version made version 0 itself; resuming it is the same job.
  await saveFor({ command: 'reencrypt', materials: mostRecent(null) });
  await expect(file.load({ ...expected, target: { command: 'reencrypt', materials: mostRecent(0) } })).resolves.toBeDefined();
  await expect(file.load({ ...expected, target: { command: 'reencrypt', materials: mostRecent(1) } })).rejects.toThrow('(no version yet), not to');
});

test('a checkpoint of the earlier format, which did not record its target, is refused with how to go on', async () => {
  const path = join(temporaryDirectory(), 'job.json');
  const file = new CheckpointFile(path);
  await file.save(freshJobProgress(expected));
  const current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const { command: _command, materials: _materials, ...earlier } = current;
  writeFileSync(path, JSON.stringify({ ...earlier, format: 'ddbec-checkpoint/1' }));
  await expect(file.load(expected)).rejects.toThrow(
    `the checkpoint file ${path} was written by an earlier ddbec (ddbec-checkpoint/1) that did not record the command and materials of its job, so it cannot be checked against this run: use a new --checkpoint file, or delete this one to start over`,
  );
});

test('a save that cannot be renamed into place fails as a CLI error, removes its temporary file and leaves the target alone', async () => {
  const directory = temporaryDirectory();
  const path = join(directory, 'job.json');
  const file = new CheckpointFile(path);
  await file.save(freshJobProgress(expected));
  // A directory (not empty) where the file was: the rename over it fails.
  rmSync(path);
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), '');
  await expect(file.save(freshJobProgress(expected))).rejects.toMatchObject({ name: 'CliError', exitCode: 1, message: expect.stringMatching(/^cannot write the checkpoint file .* \(E[A-Z]+\)$/) });
  expect(readdirSync(directory)).toEqual(['job.json']);
  expect(readdirSync(path)).toEqual(['keep']);
});
