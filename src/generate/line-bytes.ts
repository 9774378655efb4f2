/**
 * A chunk's JSON lines written straight into a reused byte buffer: ready-made byte pieces are copied and
 * numbers written as digits, so a transaction line costs no string at all (no concatenation, no flattening,
 * nothing for the GC). Everything written is ASCII, for which these bytes equal UTF-8. Buffers go back and
 * forth between the writer and the builders instead of being allocated per chunk: fresh multi-MB buffers cost
 * page faults and full GCs.
 */

const NEWLINE = 10;
const ZERO = 48;
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);

/** Node's latin1 writer, called directly: skips `Buffer#write`'s encoding dispatch. */
interface LatinWritable {
  latin1Write(text: string, offset: number): number;
}

/** The bytes of an ASCII text, made once for a piece written millions of times. */
export function asciiBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

export class LineBytes {
  private position = 0;
  rows = 0;

  constructor(private buffer: Buffer) {}

  /** Makes room for at least `bytes` more bytes (a line's upper bound), growing the buffer if need be. */
  reserve(bytes: number): void {
    if (this.position + bytes > this.buffer.length) this.grow(bytes);
  }

  /** Copies ready-made bytes; the caller has reserved room for them. */
  bytes(piece: Uint8Array): void {
    this.buffer.set(piece, this.position);
    this.position += piece.length;
  }

  /** Copies `length` bytes of `source` from `from` on: for short runs inside a packed table (no view object). */
  copy(source: Uint8Array, from: number, length: number): void {
    const buffer = this.buffer;
    let position = this.position;
    for (let i = from; i < from + length; i++) buffer[position++] = source[i]!;
    this.position = position;
  }

  /** Copies ASCII text (the rare pieces not held as bytes); the caller has reserved room for it. */
  ascii(text: string): void {
    const buffer = this.buffer;
    let position = this.position;
    for (let i = 0; i < text.length; i++) buffer[position++] = text.charCodeAt(i);
    this.position = position;
  }

  byte(code: number): void {
    this.buffer[this.position++] = code;
  }

  /** A non-negative integer in decimal, no padding. */
  digits(value: number): void {
    this.padded(value, 1);
  }

  /** A non-negative integer in decimal, zero-padded to `width` digits (all digits when it has more). */
  padded(value: number, width: number): void {
    let digits = width;
    if (value >= POWERS_OF_TEN[width]!) {
      if (value >= 1e15) {
        this.ascii(String(value));
        return;
      }
      while (value >= POWERS_OF_TEN[digits]!) digits++;
    }
    const end = this.position + digits;
    const buffer = this.buffer;
    let rest = value;
    for (let position = end - 1; position >= this.position; position--) {
      const next = Math.floor(rest / 10);
      buffer[position] = ZERO + rest - next * 10;
      rest = next;
    }
    this.position = end;
  }

  /** Integer cents as a decimal with two fraction digits (`1250` → `12.50`), the way `formatCents` writes them. */
  cents(value: number): void {
    const fraction = value % 100;
    this.digits((value - fraction) / 100);
    this.buffer[this.position++] = 46; // '.'
    this.buffer[this.position++] = ZERO + ((fraction / 10) | 0);
    this.buffer[this.position++] = ZERO + (fraction % 10);
  }

  /** Ends the line being written with a newline. */
  endLine(): void {
    this.buffer[this.position++] = NEWLINE;
    this.rows++;
  }

  /** Appends a whole ready-made line (the rare records built as strings: bad records, re-sends). */
  appendLine(line: string): void {
    this.reserve(line.length + 1);
    this.position += (this.buffer as unknown as LatinWritable).latin1Write(line, this.position);
    this.endLine();
  }

  /** Where the next byte goes; `takeTextFrom` reads back what was written since. */
  get offset(): number {
    return this.position;
  }

  /** The text written from `offset` on, dropped from the buffer (a line built to be looked at, not kept). */
  takeTextFrom(offset: number): string {
    const text = this.buffer.toString('latin1', offset, this.position);
    this.position = offset;
    return text;
  }

  written(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }

  private grow(needed: number): void {
    const larger = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, this.position + needed));
    this.buffer.copy(larger, 0, 0, this.position);
    this.buffer = larger;
  }
}
