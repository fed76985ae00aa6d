import { createHmac, hkdfSync } from 'node:crypto';
import { InvalidArgumentError } from '../../src/errors';
import { hkdfSha256 } from '../../src/crypto/hkdf';

const IKM = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

describe('hkdfSha256 (no salt) — FORMAT.md §8.3 illustrative values', () => {
  it.each([
    ['Encryption', 32, '781ddf3715c39edff39465b0bdc122575ccc03d55a2bb23a3c2abadc853f0a78'],
    ['Encryption', 16, '781ddf3715c39edff39465b0bdc12257'],
    ['Signing', 32, '1ce18b7e6ba3388e72a987d0c3b7993222c321f3cd78aefc2c846699a325a157'],
  ])('%s / %i bytes', (info, length, expected) => {
    const output = hkdfSha256(IKM, info, length);
    expect(Buffer.isBuffer(output)).toBe(true);
    expect(output.toString('hex')).toBe(expected);
  });

  it('an empty salt equals HashLen zero bytes (RFC 5869 "not provided"), and gives the documented PRK', () => {
    const emptySaltPrk = createHmac('sha256', Buffer.alloc(0)).update(IKM).digest();
    const zeroSaltPrk = createHmac('sha256', Buffer.alloc(32)).update(IKM).digest();
    expect(emptySaltPrk).toEqual(zeroSaltPrk);
    expect(zeroSaltPrk.toString('hex')).toBe('46bd320605c5a6b6163ab70bc6345b92a5f908e79fe58979c23ebb47d1a5e307');
    const withZeros = Buffer.from(hkdfSync('sha256', IKM, Buffer.alloc(32), 'Signing', 64));
    expect(hkdfSha256(IKM, 'Signing', 64)).toEqual(withZeros);
    // RFC 5869 expand by hand: T(1) = HMAC(PRK, info || 0x01).
    const t1 = createHmac('sha256', zeroSaltPrk).update(Buffer.concat([Buffer.from('Signing'), Buffer.from([1])])).digest();
    expect(hkdfSha256(IKM, 'Signing', 32)).toEqual(t1);
  });

  it('rejects invalid lengths and empty input key material', () => {
    for (const length of [0, -1, 1.5, 255 * 32 + 1]) {
      expect(() => hkdfSha256(IKM, 'Encryption', length)).toThrow(InvalidArgumentError);
    }
    expect(hkdfSha256(IKM, 'Encryption', 255 * 32)).toHaveLength(255 * 32);
    expect(() => hkdfSha256(new Uint8Array(0), 'Encryption', 32)).toThrow(InvalidArgumentError);
  });
});
