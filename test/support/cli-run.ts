import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchWriteItemCommand, ScanCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../../src/format/attribute-value';

/**
 * Runs `ddbec` as users do: a child process of its own (`tsx src/cli/ddbec.ts`), with the
 * test's environment (the local AWS endpoints and fake credentials `scripts/with-local-aws`
 * exported) plus any overrides; stdout and stderr captured separately.
 */
const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ENTRY = join(ROOT, 'src/cli/ddbec.ts');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Variables to set; `undefined` removes one from the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run the entry with `node --import tsx` in one process, instead of the `tsx` launcher that
   * starts a second one: signals sent to the pid then reach the CLI itself.
   */
  readonly singleProcess?: boolean;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly result: Promise<CliResult>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

export function startDdbec(args: readonly string[], options: CliRunOptions = {}): RunningCli {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value === undefined) delete env[name];
  // No colours or bars: the output is read by the test, not a terminal.
  env.NO_COLOR = '1';
  const [command, commandArgs] = options.singleProcess ? [process.execPath, ['--import', 'tsx', ENTRY, ...args]] : [TSX, [ENTRY, ...args]];
  const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, result, stderr: () => stderr };
}

export function runDdbec(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return startDdbec(args, options).result;
}

/** A fresh temporary directory for config and checkpoint files. */
export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'ddbec-test-'));
}

/** A `--config` file: the construct's Lambda environment as a JSON object. */
export function writeConfigFile(directory: string, environment: Readonly<Record<string, string>>, name = 'config.json'): string {
  const path = join(directory, name);
  writeFileSync(path, JSON.stringify(environment));
  return path;
}

export async function putPlaintextItems(client: DynamoDBClient, tableName: string, items: readonly DynamoDbItem[]): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let offset = 0; offset < items.length; offset += 25) batches.push(items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } })));
  // A few batches at a time: DynamoDB Local takes them faster than one by one.
  for (let start = 0; start < batches.length; start += 8) {
    await Promise.all(
      batches.slice(start, start + 8).map(async (requests) => {
        let pending: Record<string, WriteRequest[]> | undefined = { [tableName]: requests };
        while (pending !== undefined && Object.keys(pending).length > 0) {
          const response: { UnprocessedItems?: Record<string, WriteRequest[]> } = await client.send(new BatchWriteItemCommand({ RequestItems: pending }));
          pending = response.UnprocessedItems;
        }
      }),
    );
  }
}

export async function scanTable(client: DynamoDBClient, tableName: string): Promise<DynamoDbItem[]> {
  const items: DynamoDbItem[] = [];
  let ExclusiveStartKey: DynamoDbItem | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}
