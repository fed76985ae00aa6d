/**
 * An append-only byte buffer for building canonical encodings in one pass.
 *
 * Serialization runs for every signed attribute of every item, so instead of allocating a
 * small Buffer per header, length and string and concatenating them, we write straight into
 * one buffer that doubles when full.
 */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  writeByte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** The two-byte type header: the reserved zero byte, then the tag. */
  writeHeader(tag: number): void {
    this.reserve(2);
    this.buffer[this.length] = 0;
    this.buffer[this.length + 1] = tag;
    this.length += 2;
  }

  writeUint32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32BE(value, this.length);
    this.length += 4;
  }

  /** u32 byte length, then the UTF-8 bytes. The caller must have checked the text is well formed. */
  writeLengthPrefixedText(text: string): void {
    // UTF-8 needs at most three bytes per UTF-16 unit: when that fits, the string need not be
    // measured. When it does not, measuring is cheaper than growing to three times the size.
    const worstCase = text.length * 3;
    this.reserve(4 + (this.length + 4 + worstCase <= this.buffer.length ? worstCase : Buffer.byteLength(text, 'utf8')));
    const written = this.buffer.write(text, this.length + 4);
    this.buffer.writeUInt32BE(written, this.length);
    this.length += 4 + written;
  }

  /** u32 byte length, then the bytes as they are. */
  writeLengthPrefixedBytes(bytes: Uint8Array): void {
    this.reserve(4 + bytes.length);
    this.buffer.writeUInt32BE(bytes.length, this.length);
    this.buffer.set(bytes, this.length + 4);
    this.length += 4 + bytes.length;
  }

  /** The bytes written so far. A view, not a copy: do not keep writing after calling this. */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
