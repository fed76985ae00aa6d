/**
 * A signal this soon after the first is the same Ctrl-C arriving twice (the terminal signals
 * the whole process group, and a launcher such as `tsx` relays it to its child as well), not a
 * user insisting.
 */
const SAME_INTERRUPTION_MS = 1000;

/**
 * Ctrl-C and SIGTERM: the first asks the job to stop taking new pages and finish what is in
 * flight (so the checkpoint it then writes is exact); a second one quits at once, for a user
 * who would rather lose the last pages than wait.
 */
export class Interruption {
  private signal?: NodeJS.Signals;
  private receivedAt = 0;
  private readonly handler = (signal: NodeJS.Signals) => this.receive(signal);

  constructor(private readonly onFirst: (signal: NodeJS.Signals) => void) {}

  get requested(): boolean {
    return this.signal !== undefined;
  }

  install(): this {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
    return this;
  }

  uninstall(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }

  private receive(signal: NodeJS.Signals): void {
    if (this.signal !== undefined && performance.now() - this.receivedAt < SAME_INTERRUPTION_MS) return;
    if (this.signal !== undefined) {
      process.stderr.write(`ddbec: ${signal} again: quitting now; the checkpoint holds the last finished pages\n`);
      process.exit(130);
    }
    this.signal = signal;
    this.receivedAt = performance.now();
    this.onFirst(signal);
  }
}
