import { createWriteStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { AtomicFile } from './atomic-file';
import { CliError, ExitCodes } from './cli-error';

/**
 * Where exported lines go: stdout, or `--output FILE`. A file appears, with mode 0600, only
 * when the export is complete (`finish`); an export that fails or is interrupted leaves an
 * existing FILE as it was (`abandon`). Lines already on stdout, or on a pipe or device given
 * as FILE, cannot be taken back.
 */
export interface OutputSink {
  /** Resolves once the text is taken, so that the scan waits for a slow reader. */
  write(text: string): Promise<void>;
  finish(): Promise<void>;
  abandon(): Promise<void>;
}

export async function openOutputSink(path: string | undefined): Promise<OutputSink> {
  if (path === undefined) return streamSink(process.stdout, 'stdout');
  const cannotWrite = (error: unknown) => new CliError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, ExitCodes.FAILURE);
  // A pipe or a device (`--output >(gzip > x.gz)`, /dev/stdout) is written in place: a rename
  // would put a file where the pipe or device was.
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined && (!existing.isFile() || /^\/(dev|proc)\//.test(path))) return streamSink(createWriteStream(path, { flags: 'w' }), path);
  // A symbolic link keeps pointing where it did: the file it names is the one replaced.
  const target = existing === undefined ? path : await realpath(path);
  // Opened before the scan, so that an unwritable place is reported before any work is done.
  const file = await AtomicFile.create(target).catch((error: unknown) => {
    throw cannotWrite(error);
  });
  return {
    write: (text) => file.write(text).catch((error: unknown) => Promise.reject(cannotWrite(error))),
    finish: () => file.commit().catch((error: unknown) => Promise.reject(cannotWrite(error))),
    abandon: () => file.discard(),
  };
}

function streamSink(stream: NodeJS.WritableStream & { destroy?: () => void }, name: string): OutputSink {
  let failure: NodeJS.ErrnoException | undefined;
  stream.on('error', (error: NodeJS.ErrnoException) => (failure = error));
  const check = () => {
    if (failure !== undefined) throw new CliError(`cannot write ${name} (${failure.code ?? failure.message})`, ExitCodes.FAILURE);
  };
  const closes = stream !== process.stdout;
  return {
    async write(text) {
      check();
      if (!stream.write(text)) await Promise.race([once(stream, 'drain'), once(stream, 'error').catch(() => undefined)]);
      check();
    },
    async finish() {
      if (closes) await new Promise<void>((resolve) => stream.end(resolve));
      check();
    },
    abandon: async () => {
      if (closes) stream.destroy?.();
    },
  };
}
