import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { CliError } from './cli-error';

/** Where exported lines go: stdout, or a file. Writes wait when the reader is slower than the scan. */
export interface OutputSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

export function outputSink(path: string | undefined): OutputSink {
  const stream = path === undefined ? process.stdout : createWriteStream(path, { flags: 'w' });
  let failure: Error | undefined;
  stream.on('error', (error: Error) => (failure = error));
  const failed = () => new CliError(`cannot write ${path ?? 'stdout'} (${(failure as NodeJS.ErrnoException).code ?? failure?.message})`, 1);
  return {
    async write(line: string) {
      if (failure !== undefined) throw failed();
      if (!stream.write(line)) await Promise.race([once(stream, 'drain'), once(stream, 'error').catch(() => undefined)]);
      if (failure !== undefined) throw failed();
    },
    async close() {
      if (path === undefined) return;
      await new Promise<void>((resolve) => stream.end(resolve));
      if (failure !== undefined) throw failed();
    },
  };
}
