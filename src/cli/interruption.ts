/**
 * Ctrl-C and SIGTERM: the first asks the job to stop taking new pages and finish what is in
 * flight (so the checkpoint it then writes is exact); a second one quits at once, for a user
 * who would rather lose the last pages than wait.
 */
export class Interruption {
  private signal?: NodeJS.Signals;
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
    if (this.signal !== undefined) {
      process.stderr.write(`ddbec: ${signal} again: quitting now; the checkpoint holds the last finished pages\n`);
      process.exit(130);
    }
    this.signal = signal;
    this.onFirst(signal);
  }
}
