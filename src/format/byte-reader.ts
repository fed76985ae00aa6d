/**
 * A bounds-checked cursor over untrusted bytes (decrypted attributes, material descriptions).
 *
 * Every read checks that the bytes are there first, and failures go through a caller-supplied
 * factory so each format reports its own error class. Messages carry offsets and sizes only,
 * never the bytes themselves: they may be plaintext.
 */
export type ReadFailure = (message: string) => Error;

// One decoder for all reads: `fatal` turns invalid UTF-8 into an error instead of U+FFFD,
// and `ignoreBOM` keeps a leading U+FEFF as part of the string instead of dropping it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteReader {
  private position = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fail: ReadFailure,
  ) {}

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  readByte(what: string): number {
    this.require(1, what);
    return this.bytes[this.position++];
  }

  readUint32(what: string): number {
    this.require(4, what);
    const bytes = this.bytes;
    const start = this.position;
    this.position += 4;
    // `>>> 0` keeps the result unsigned; a plain `<<` would turn 0x80000000 and up negative.
    return ((bytes[start] << 24) | (bytes[start + 1] << 16) | (bytes[start + 2] << 8) | bytes[start + 3]) >>> 0;
  }

  /** A view into the input (not a copy) of `length` bytes. */
  readBytes(length: number, what: string): Uint8Array {
    this.require(length, what);
    const start = this.position;
    this.position += length;
    return this.bytes.subarray(start, start + length);
  }

  readUtf8(length: number, what: string): string {
    const start = this.position;
    const bytes = this.readBytes(length, what);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw this.fail(`${what} at offset ${start} is not valid UTF-8`);
    }
  }

  private require(length: number, what: string): void {
    if (length > this.remaining) {
      throw this.fail(
        `Truncated ${what} at offset ${this.position}: needs ${length} bytes, ${this.remaining} remain`,
      );
    }
  }
}
