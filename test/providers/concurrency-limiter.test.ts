import { ConcurrencyLimiter } from '../../src/providers/concurrency-limiter';

/** A task that runs until released, recording how many tasks run at once. */
function gate(stats: { running: number; peak: number; order: string[] }, name: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const task = async () => {
    stats.running += 1;
    stats.peak = Math.max(stats.peak, stats.running);
    stats.order.push(name);
    await released;
    stats.running -= 1;
  };
  return { task, release };
}

describe('ConcurrencyLimiter', () => {
  it.each(Array.from({ length: 8 }, (_, ticks) => ticks))(
    'never runs more than its limit, even for a caller arriving %i microtasks after a slot is freed',
    async (ticks) => {
      const limiter = new ConcurrencyLimiter(1);
      const stats = { running: 0, peak: 0, order: [] as string[] };
      const first = gate(stats, 'first');
      const second = gate(stats, 'second');
      const late = gate(stats, 'late');
      const runs = [limiter.run(first.task), limiter.run(second.task)];
      await Promise.resolve();
      first.release();
      for (let tick = 0; tick < ticks; tick += 1) await Promise.resolve();
      runs.push(limiter.run(late.task));
      for (let tick = 0; tick < 20; tick += 1) await Promise.resolve();
      second.release();
      for (let tick = 0; tick < 20; tick += 1) await Promise.resolve();
      late.release();
      await Promise.all(runs);
      expect(stats.peak).toBe(1);
      expect(stats.order).toEqual(['first', 'second', 'late']);
    },
  );

  it('keeps many callers under the limit, and frees every slot when tasks fail', async () => {
    const limiter = new ConcurrencyLimiter(4);
    let running = 0;
    let peak = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, index) =>
        limiter.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
          if (index % 7 === 0) throw new Error('task failed');
          return index;
        }),
      ),
    );
    expect(peak).toBe(4);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(29);
    // All slots free again: four tasks start at once, a fifth waits for one of them.
    const stats = { running: 0, peak: 0, order: [] as string[] };
    const gates = Array.from({ length: 5 }, (_, index) => gate(stats, `after-${index}`));
    const runs = gates.map(({ task }) => limiter.run(task));
    for (let tick = 0; tick < 20; tick += 1) await Promise.resolve();
    expect(stats.running).toBe(4);
    expect(stats.order).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
    gates[0].release();
    for (let tick = 0; tick < 20; tick += 1) await Promise.resolve();
    expect(stats.order).toHaveLength(5);
    for (const { release } of gates) release();
    await Promise.all(runs);
    expect(stats.peak).toBe(4);
  });
});
