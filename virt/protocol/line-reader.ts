// Splits a byte stream into newline-terminated JSON lines, keeping whatever follows the last line: after a
// console request is answered, those bytes belong to the console, not to the protocol.
export class LineReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLine = 16 * 1024 * 1024) {}

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const lines: string[] = [];
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) break;
      lines.push(this.buf.toString('utf8', 0, nl));
      this.buf = this.buf.subarray(nl + 1);
    }
    if (this.buf.length > this.maxLine) throw new RangeError(`protocol line longer than ${this.maxLine} bytes`);
    return lines;
  }

  /** Bytes received after the last complete line. */
  rest(): Buffer {
    const r = this.buf;
    this.buf = Buffer.alloc(0);
    return r;
  }
}
