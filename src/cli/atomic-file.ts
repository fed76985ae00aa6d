import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Temporary files not yet renamed into place: removed even when the process quits with `process.exit`. */
const unfinished = new Set<string>();
let exitHookInstalled = false;

function removeUnfinishedOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of unfinished) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone, or not ours to remove any more: nothing better to do while exiting.
      }
    }
  });
}

/**
 * A file replaced whole or not at all. The content goes to `FILE.<pid>.tmp` beside FILE (the
 * same file system, so the rename is atomic), created with mode 0600 because what ddbec writes
 * (plaintext items, item keys) is nobody else's to read; `commit` fsyncs it and renames it over
 * FILE. Until then FILE is untouched, and `discard`, or the process exiting, removes the
 * temporary file. Errors are Node's own: callers say which file it was for.
 */
export class AtomicFile {
  private constructor(
    readonly path: string,
    readonly temporaryPath: string,
    private handle: FileHandle | undefined,
  ) {}

  static async create(path: string): Promise<AtomicFile> {
    const temporaryPath = `${path}.${process.pid}.tmp`;
    // A leftover of this pid would be reopened with its old mode; exclusive creation needs it gone.
    await unlink(temporaryPath).catch(ignoreMissing);
    removeUnfinishedOnExit();
    const handle = await open(temporaryPath, 'wx', 0o600);
    unfinished.add(temporaryPath);
    return new AtomicFile(path, temporaryPath, handle);
  }

  async write(text: string): Promise<void> {
    const handle = this.openHandle();
    // A single write may be partial; the rest follows until every byte is in.
    for (let rest = Buffer.from(text, 'utf8'); rest.length > 0; ) rest = rest.subarray((await handle.write(rest)).bytesWritten);
  }

  /** Puts the content in place of FILE. On failure the temporary file is removed and FILE is as it was. */
  async commit(): Promise<void> {
    const handle = this.openHandle();
    try {
      await handle.sync();
      this.handle = undefined;
      await handle.close();
      await rename(this.temporaryPath, this.path);
      unfinished.delete(this.temporaryPath);
    } catch (error) {
      await this.discard();
      throw error;
    }
    await syncDirectory(dirname(this.path));
  }

  /** Drops what was written; FILE is left as it was. Safe to call more than once. */
  async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await unlink(this.temporaryPath).catch(ignoreMissing);
    unfinished.delete(this.temporaryPath);
  }

  private openHandle(): FileHandle {
    if (this.handle === undefined) throw new Error(`${this.temporaryPath} is already committed or discarded`);
    return this.handle;
  }
}

/** The rename itself reaches the disk only with its directory; where a directory cannot be synced, the rename stands anyway. */
async function syncDirectory(path: string): Promise<void> {
  try {
    const directory = await open(path, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Some platforms and file systems refuse fsync on a directory; the data itself is synced.
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
