import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `npm start` end to end, at a small scale, on the backends `npm test` runs (it starts its own
 * when AWS_ENDPOINT_URL_* is not set): exit 0 only when every ingested order was re-encrypted
 * and delivered decrypted, and a summary that says so.
 */
test('npm start ingests, re-encrypts and delivers every order decrypted, and exits 0', () => {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, START_ORDERS: '150' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect({ status: run.status, stderr: run.status === 0 ? '' : `${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}` }).toEqual({ status: 0, stderr: '' });
  const line = (name: string) => new RegExp(`^\\s+${name}\\s+(.*)$`, 'm').exec(run.stdout)?.[1];
  expect(line('items ingested')).toBe('150');
  expect(line('items re-encrypted')).toMatch(/^150 \(\d+ invocations over 4 segments\)$/);
  expect(line('stream records delivered')).toBe('300 of 300 (300 messages in the FIFO queue)');
  expect(line('orders seen decrypted downstream')).toMatch(/^150 /);
  expect(line('dead-lettered records')).toBe('0');
  expect(Number(line('KMS calls'))).toBeLessThan(100); // MostRecent: a handful per version, not one per item
  expect(run.stdout).toContain('Every ingested order was re-encrypted and delivered decrypted.');
  // The stored item is shown as ciphertext: no plaintext card fingerprint or customer name in the raw listing.
  const raw = run.stdout.slice(run.stdout.indexOf('as stored'), run.stdout.indexOf('...and decrypted'));
  expect(raw).toMatch(/cardFingerprint: B /);
  expect(raw).toMatch(/customer: B /);
}, 300_000);
