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

/**
 * Every round's value of each metric. A figure is its best round (a quiet moment of this shared
 * machine should count for every figure alike); a ratio is the median over rounds of the two
 * figures measured in the same round, seconds apart. The machine's speed drifts by tens of
 * percent within a minute here, so the best of each figure, taken from different moments, let
 * a ratio swing by 0.3 between runs; paired figures share the moment.
 */
export class RoundFigures {
  private readonly rounds = new Map<string, number[]>();

  record(metric: string, value: number): void {
    const values = this.rounds.get(metric) ?? [];
    values.push(value);
    this.rounds.set(metric, values);
  }

  best(metric: string): number {
    return Math.max(...this.valuesOf(metric));
  }

  pairedRatio(numerator: string, denominator: string): number {
    const top = this.valuesOf(numerator);
    const bottom = this.valuesOf(denominator);
    if (top.length !== bottom.length) throw new Error(`${numerator} and ${denominator} were measured in different rounds`);
    return median(top.map((value, round) => value / bottom[round]));
  }

  private valuesOf(metric: string): number[] {
    const values = this.rounds.get(metric);
    if (values === undefined) throw new Error(`no figure for ${metric}`);
    return values;
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
