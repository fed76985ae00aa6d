import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on a terminal; on anything else, a plain line now and then and at the end. */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (stream.isTTY === true) {
    const bar = new SingleBar(
      { format: `  ${label.padEnd(22)} [{bar}] {percentage}% | {value}/{total} | {speed}/s | ETA {eta_formatted}`, stream, hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { speed: '0' });
    return {
      update: (done) => bar.update(done, { speed: String(Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))) }),
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  let last = 0;
  return {
    update(done) {
      last = done;
      if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        stream.write(`  ${label}: ${done}/${total}\n`);
      }
    },
    stop() {
      stream.write(`  ${label}: ${last}/${total} done\n`);
    },
  };
}
