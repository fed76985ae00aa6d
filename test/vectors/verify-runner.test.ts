import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { verifyVectors } from '../../src/cli/vectors/verify-vectors';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

/** The scenario options of DESIGN.md (`expect`, `actions`) and the command's contract, on a small directory. */

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const SOURCE_FILE = 'ciphertext/python/static-aes-hmac-1.json';

function vectorDirectory(scenarios: object[]): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'vector-runner-'));
  mkdirSync(path.join(directory, 'ciphertext/python'), { recursive: true });
  for (const file of ['keys.json', 'plaintext.json', SOURCE_FILE]) copyFileSync(path.join(ITEM_VECTORS_DIR, file), path.join(directory, file));
  writeFileSync(path.join(directory, 'scenarios.json'), JSON.stringify({ scenarios }));
  return directory;
}

const base = { version: 'v0', provider: 'static', plaintext: 'file://plaintext.json', ciphertext: `file://${SOURCE_FILE}`, network: false };
const rightKeys = { decrypt: 'aesKey', verify: 'hmacKey' };

function runCommand(directory: string) {
  return spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/cli/vectors.ts', 'verify', directory], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
}

describe('vectors verify: scenario options', () => {
  const directories: string[] = [];
  afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));
  const make = (scenarios: object[]) => {
    const directory = vectorDirectory(scenarios);
    directories.push(directory);
    return directory;
  };

  it('an "expect": "error" scenario passes when every item is rejected', async () => {
    // Wrong verification key, and the "encrypt" set forced on every item, so even the
    // unsigned "nothing" item is required to carry a signature.
    const report = await verifyVectors(make([{ ...base, keys: { decrypt: 'aesKey', verify: 'rsaSignPub' }, expect: 'error', actions: 'encrypt' }]));
    expect(report).toMatchObject({ passed: 16, failed: 0, skipped: 0 });
  });

  it('an "expect": "error" scenario fails for every item that decrypts', async () => {
    const report = await verifyVectors(make([{ ...base, keys: rightKeys, expect: 'error' }]));
    expect(report).toMatchObject({ passed: 0, failed: 16 });
    expect(report.results[0].problems[0]).toMatch(/expects it to be rejected/);
  });

  it('"actions": "<set>" applies that action set to every item', async () => {
    // Key-only items and the sign-set item verify under "sign"; the encrypt, mixed and
    // unsigned items do not.
    const report = await verifyVectors(make([{ ...base, keys: rightKeys, actions: 'sign' }]));
    expect(report).toMatchObject({ passed: 13, failed: 3 });
  });

  it('the command prints the totals last and exits 1 only when something failed', () => {
    const good = runCommand(make([{ ...base, keys: rightKeys }]));
    expect(good.status).toBe(0);
    expect(good.stdout.trim().split('\n').pop()).toBe('16 passed, 0 failed, 0 skipped');

    const bad = runCommand(make([{ ...base, keys: rightKeys, expect: 'error' }]));
    expect(bad.status).toBe(1);
    expect(bad.stdout.trim().split('\n').pop()).toBe('0 passed, 16 failed, 0 skipped');
  });
});
