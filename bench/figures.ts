/** One benchmark figure, printed as one JSON line: `{"bench", "metric", "value", "unit"}`. */
export interface Figure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export type Emit = (metric: string, value: number, unit: string) => void;

export function emitterFor(bench: string, write: (line: string) => void = (line) => console.log(line)): Emit {
  return (metric, value, unit) => {
    const figure: Figure = { bench, metric, value: Number(value.toPrecision(6)), unit };
    write(JSON.stringify(figure));
  };
}

/**
 * Throughput of `work` in operations per second: repeats batches until `seconds` have passed.
 * Async work is awaited one operation at a time, as a single caller would.
 */
export async function operationsPerSecond(work: () => unknown | Promise<unknown>, seconds: number): Promise<number> {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const started = process.hrtime.bigint();
  let operations = 0;
  let now = started;
  while (now < deadline) {
    for (let index = 0; index < 100; index += 1) {
      const result = work();
      if (result instanceof Promise) await result;
    }
    operations += 100;
    now = process.hrtime.bigint();
  }
  return operations / (Number(now - started) / 1e9);
}
