import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { localAwsEndpoints, localDynamoDbClient, localKmsClient } from '../support/local-aws';

const SCRIPT = path.resolve(__dirname, '../../scripts/with-local-aws');

describe('scripts/with-local-aws', () => {
  it('gives the tests loopback endpoints for DynamoDB Local and the local KMS, both answering', async () => {
    const endpoints = localAwsEndpoints();
    expect(endpoints.dynamoDb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ACCESS_KEY_ID).toBe('test');
    await expect(localDynamoDbClient().send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    await expect(localKmsClient().send(new ListKeysCommand({}))).resolves.toHaveProperty('Keys');
  });

  it('runs the command with the endpoints exported, returns its status and stops what it started', () => {
    const result = spawnSync(
      process.execPath,
      [SCRIPT, 'bash', '-c', 'echo "$AWS_ENDPOINT_URL_KMS $LOCAL_AWS_PIDS"; exit 7'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(result.status).toBe(7);
    const [endpoint, pids] = result.stdout.trim().split(' ');
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const pid of pids.split(',').map(Number)) {
      expect(() => process.kill(pid, 0)).toThrow(); // no such process any more
    }
  }, 130_000);

  it('stopOnSignals: Ctrl-C in a process that started the backends (npm start, npm run bench) stops them and exits 130', async () => {
    const program = `
      const { startLocalAws, stopOnSignals } = require(${JSON.stringify(path.resolve(__dirname, '../../scripts/local-aws.js'))});
      startLocalAws().then((backends) => {
        stopOnSignals(backends, (signal) => console.log('stopping on ' + signal));
        console.log('pids ' + backends.pids.join(','));
        setInterval(() => undefined, 1000);
      });`;
    const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!/pids [\d,]+\n/.test(output)) {
      if (child.exitCode !== null) throw new Error(`the backends did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pids = (/pids ([\d,]+)/.exec(output) as RegExpExecArray)[1].split(',').map(Number);
    for (const pid of pids) expect(() => process.kill(pid, 0)).not.toThrow();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toContain('stopping on SIGINT');
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 130_000);

  it('says what to install when Java is missing, and exits non-zero', () => {
    const result = spawnSync(process.execPath, [SCRIPT, 'true'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Java is needed .*apt-get install/);
  });

  it('says what to install when moto is missing, and exits non-zero', () => {
    // A PATH with java but with no Python at all, and no usable interpreter named.
    const directory = mkdtempSync(path.join(tmpdir(), 'no-moto-'));
    try {
      const java = spawnSync('bash', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(java, path.join(directory, 'java'));
      const result = spawnSync(process.execPath, [SCRIPT, 'true'], {
        encoding: 'utf8',
        env: { ...process.env, PATH: directory, MOTO_PYTHON: path.join(directory, 'python3'), MOTO_FALLBACK_PYTHONS: '' },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/moto server .* not found: install it/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
