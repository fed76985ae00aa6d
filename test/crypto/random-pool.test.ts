import { freshRandomBytes } from '../../src/crypto/random-pool';

describe('freshRandomBytes', () => {
  it('returns as many bytes as asked, pooled or not', () => {
    for (const length of [0, 1, 16, 32, 176, 512, 513, 10_000]) expect(freshRandomBytes(length)).toHaveLength(length);
  });

  it('never hands out the same bytes twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 2,000 IVs and keys are 48 KB: the 4 KB pool is refilled a dozen times on the way.
    for (let draw = 0; draw < 1_000; draw += 1) {
      for (const bytes of [freshRandomBytes(16), freshRandomBytes(32)]) {
        const hex = bytes.toString('hex');
        expect(seen.has(hex)).toBe(false);
        seen.add(hex);
      }
    }
    expect(seen.size).toBe(2_000);
  });

  it("leaves a caller's bytes alone when the pool is refilled", () => {
    const key = freshRandomBytes(32);
    const copy = Buffer.from(key);
    for (let draw = 0; draw < 600; draw += 1) freshRandomBytes(16);
    expect(key.equals(copy)).toBe(true);
  });

  it('does not look like a constant or a counter', () => {
    const bytes = freshRandomBytes(4096 + 100);
    const histogram = new Array<number>(256).fill(0);
    for (const byte of bytes) histogram[byte] += 1;
    // 4,196 uniform bytes: about 16 of each value; a stuck or zeroed pool would pile them up.
    expect(Math.max(...histogram)).toBeLessThan(60);
    expect(histogram.filter((count) => count === 0).length).toBeLessThan(5);
  });

  it('refuses a length that is not a whole number of bytes', () => {
    expect(() => freshRandomBytes(-1)).toThrow(RangeError);
    expect(() => freshRandomBytes(1.5)).toThrow(RangeError);
    expect(() => freshRandomBytes(Number.NaN)).toThrow(RangeError);
  });
});
