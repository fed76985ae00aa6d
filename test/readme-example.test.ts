import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The README's example is run as written (with the package import pointed at src/). */

const PROJECT_ROOT = path.resolve(__dirname, '..');

describe('README example', () => {
  it('runs, stores ciphertext and decrypts back to the plaintext', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const match = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
    expect(match).not.toBeNull();
    const example = (match as RegExpExecArray)[1];
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(16);

    const [importLine, ...body] = example.split('\n');
    const program = [
      importLine.replace(`'dynamodb-encryption-client-ts'`, `'${path.join(PROJECT_ROOT, 'src/index')}'`),
      'async function main() {',
      ...body,
      'console.log(JSON.stringify({ stored: encrypted.example instanceof Uint8Array, decrypted }));',
      '}',
      'main().catch((error) => { console.error(error); process.exit(1); });',
    ].join('\n');
    const directory = mkdtempSync(path.join(tmpdir(), 'readme-example-'));
    try {
      const file = path.join(directory, 'example.ts');
      writeFileSync(file, program);
      const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), file], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({
        stored: true,
        decrypted: { partition_attribute: 'is this', sort_attribute: 55, example: 'data', leave_me: 'alone' },
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
