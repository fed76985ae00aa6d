import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Fresh random bytes for IVs and content keys, drawn from a pool that OpenSSL refills 4 KB at a
 * time. Each `randomBytes` call costs about 2 µs whatever its size, and every encrypted item
 * needs two (its IVs, and a content key from the wrapped provider): a few percent of the item.
 *
 * Every byte is handed out once: it is copied into a new buffer (so a caller's bytes never
 * change when the pool is refilled) and wiped from the pool at once (so key bytes do not linger
 * there until the next refill). Large requests bypass the pool.
 *
 * The pool is process memory, like OpenSSL's own generator state behind `randomBytes` (and
 * Node's cache behind `randomUUID`): a process restored twice from one memory snapshot would
 * repeat what is left of it, as it would repeat OpenSSL's state until its next reseed. The pool
 * is filled on first use, not at import, so a module-level snapshot taken before any encryption
 * holds none of it.
 */
const POOL_BYTES = 4096;
const LARGEST_POOLED_REQUEST = 512;

// Not from Node's shared allocation slab: the pool's bytes must not share memory with other buffers.
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let used = POOL_BYTES;

export function freshRandomBytes(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`cannot draw ${length} random bytes`);
  if (length > LARGEST_POOLED_REQUEST) return randomBytes(length);
  if (used + length > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.allocUnsafe(length);
  pool.copy(bytes, 0, used, used + length);
  pool.fill(0, used, used + length);
  used += length;
  return bytes;
}
