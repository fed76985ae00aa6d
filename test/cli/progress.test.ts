/**
 * ddbec's progress on stderr: a bar with rate and ETA on a terminal (a stream that says it is
 * one), plain lines elsewhere; an estimate of 0 (DynamoDB Local, a new table) or a stale one
 * never produces a made-up percentage.
 */
import { PassThrough } from 'node:stream';
import { progressReporter } from '../../src/cli/progress';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; output: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 200;
  let written = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  return { stream, output: () => written };
}

test('on a terminal: a bar with the count, the percentage of the estimate, the rate, the ETA and the counters', async () => {
  const { stream, output } = fakeStream(true);
  const progress = progressReporter({ label: 'encrypt-table orders', estimatedTotal: 200, intervalSeconds: 5, stream });
  progress.update({ scanned: 50, details: { encrypted: 40, alreadyCurrent: 10, failed: 0 } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  progress.finish(true);
  await new Promise((resolve) => setImmediate(resolve));
  const text = output();
  expect(text).toContain('encrypt-table orders [');
  expect(text).toMatch(/25% \| 50\/200 items \| \d+ items\/s \| ETA \S+ \| encrypted 40, alreadyCurrent 10/);
  expect(text).not.toContain('failed 0');
});

test('on a terminal without an estimate: the count and rate only; a stale estimate grows with the count', async () => {
  const unknown = fakeStream(true);
  const progress = progressReporter({ label: 'verify orders', estimatedTotal: 0, intervalSeconds: 5, stream: unknown.stream });
  progress.update({ scanned: 30, details: { valid: 30 } });
  progress.finish(true);
  await new Promise((resolve) => setImmediate(resolve));
  expect(unknown.output()).toMatch(/verify orders 30 items \| \d+ items\/s \| valid 30/);
  expect(unknown.output()).not.toContain('%');

  const stale = fakeStream(true);
  const staleProgress = progressReporter({ label: 'verify orders', estimatedTotal: 10, intervalSeconds: 5, stream: stale.stream });
  staleProgress.update({ scanned: 25, details: {} });
  staleProgress.finish(true);
  await new Promise((resolve) => setImmediate(resolve));
  expect(stale.output()).toContain('100% | 25/25 items');
});

test('elsewhere: one plain line per interval and a final one, none after a failure, resumed counts not in the rate', async () => {
  const { stream, output } = fakeStream(false);
  const progress = progressReporter({ label: 'encrypt-table orders', estimatedTotal: 200_000, intervalSeconds: 0.1, stream, alreadyScanned: 100_000 });
  progress.update({ scanned: 100_100, details: { encrypted: 100 } });
  await new Promise((resolve) => setTimeout(resolve, 250));
  const lines = output().trim().split('\n');
  expect(lines).toHaveLength(1); // nothing new to say after the first line
  expect(lines[0]).toMatch(/^ddbec: encrypt-table orders: 100100 items scanned of about 200000 \(50%\), \d+ items\/s; encrypted 100$/);
  // 100 items in this run, printed after about 0.1 s or more: about 1000 items/s at most (with
  // the 100,000 of the earlier run counted it would be over 10,000 unless the line took 10 s).
  expect(Number(/, (\d+) items\/s/.exec(lines[0])?.[1])).toBeLessThanOrEqual(2000);
  progress.note('ddbec: item {"pk":"a"} left unchanged: SignatureVerificationError');
  progress.update({ scanned: 100_600, details: { encrypted: 600 } });
  progress.finish(false);
  expect(output()).not.toContain('100600 items');
  expect(output()).not.toMatch(/\u001b\[/); // no terminal escapes in a log
  expect(output()).toContain('ddbec: item {"pk":"a"} left unchanged: SignatureVerificationError\n');
});
