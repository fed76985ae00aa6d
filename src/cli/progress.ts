import { MultiBar, Presets } from 'cli-progress';

/** How far a job is: items scanned so far, and the counters worth showing next to them. */
export interface ProgressSnapshot {
  readonly scanned: number;
  readonly details: Readonly<Record<string, number>>;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** A line for the user (a bad item's key, "stopping..."), printed without breaking a bar. */
  note(line: string): void;
  /**
   * Stops reporting. After a failure no final progress line is printed: the error line that
   * follows should be the only thing the user has to read.
   */
  finish(succeeded: boolean): void;
}

export interface ProgressOptions {
  /** What the job is, e.g. `encrypt-table orders`. */
  readonly label: string;
  /** DescribeTable's ItemCount: refreshed only every six hours or so, and 0 on DynamoDB Local; an estimate at best. */
  readonly estimatedTotal?: number;
  /** Seconds between plain log lines when stderr is not a terminal. */
  readonly intervalSeconds: number;
  /** Items a resumed job had already scanned before this run: counted, but not in this run's rate. */
  readonly alreadyScanned?: number;
  readonly stream?: NodeJS.WriteStream;
}

/**
 * Progress goes to stderr, so stdout stays clean for data. On a terminal it is a bar with
 * rate and ETA; anywhere else (a CI log, a file) a plain line every few seconds, since a bar's
 * carriage returns make an unreadable log.
 */
export function progressReporter(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  return stream.isTTY === true ? new BarReporter(options, stream) : new LineReporter(options, stream);
}

/** Items per second since this run started. */
function rate(scanned: number, options: ProgressOptions, startedAt: number): number {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds <= 0 ? 0 : Math.max(0, scanned - (options.alreadyScanned ?? 0)) / seconds;
}

function detailText(details: Readonly<Record<string, number>>): string {
  return Object.entries(details)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

class BarReporter implements ProgressReporter {
  private readonly bars: MultiBar;
  private readonly bar: ReturnType<MultiBar['create']>;
  private readonly startedAt = performance.now();
  private total: number;

  constructor(
    private readonly options: ProgressOptions,
    stream: NodeJS.WriteStream,
  ) {
    this.total = Math.max(0, options.estimatedTotal ?? 0);
    // Without an estimate a percentage and an ETA would be made up: show the count and rate only.
    const format =
      this.total > 0
        ? `${options.label} [{bar}] {percentage}% | {value}/{total} items | {speed} items/s | ETA {eta_formatted} | {details}`
        : `${options.label} {value} items | {speed} items/s | {details}`;
    this.bars = new MultiBar({ stream, format, barsize: 20, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 5 }, Presets.shades_classic);
    this.bar = this.bars.create(this.total, options.alreadyScanned ?? 0, { speed: '0', details: '' });
  }

  update(snapshot: ProgressSnapshot): void {
    // The estimate may be stale: a table that grew past it just gets a bigger total.
    if (this.total > 0 && snapshot.scanned > this.total) {
      this.total = snapshot.scanned;
      this.bar.setTotal(this.total);
    }
    this.bar.update(snapshot.scanned, { speed: rate(snapshot.scanned, this.options, this.startedAt).toFixed(0), details: detailText(snapshot.details) });
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  finish(): void {
    // A bar stays on screen either way: on a terminal it is where the job stood.
    this.bars.stop();
  }
}

class LineReporter implements ProgressReporter {
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;
  private latest: ProgressSnapshot;
  private printed?: ProgressSnapshot;

  constructor(
    private readonly options: ProgressOptions,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.latest = { scanned: options.alreadyScanned ?? 0, details: {} };
    this.timer = setInterval(() => this.print(), Math.max(0.1, options.intervalSeconds) * 1000);
    // Progress lines must never keep a finished job's process alive.
    this.timer.unref();
  }

  update(snapshot: ProgressSnapshot): void {
    this.latest = snapshot;
  }

  note(line: string): void {
    this.stream.write(`${line}\n`);
  }

  finish(succeeded: boolean): void {
    clearInterval(this.timer);
    if (succeeded) this.print();
  }

  private print(): void {
    if (this.printed === this.latest) return;
    this.printed = this.latest;
    const { scanned, details } = this.latest;
    const estimate = this.options.estimatedTotal ?? 0;
    const of = estimate > 0 ? ` of about ${Math.max(estimate, scanned)} (${Math.min(100, Math.floor((scanned / Math.max(estimate, scanned)) * 100))}%)` : '';
    const extra = detailText(details);
    this.stream.write(`ddbec: ${this.options.label}: ${scanned} items scanned${of}, ${rate(scanned, this.options, this.startedAt).toFixed(0)} items/s${extra === '' ? '' : `; ${extra}`}\n`);
  }
}
