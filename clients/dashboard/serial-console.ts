/**
 * The tail of a guest's serial console, for the dashboard. A Domain has one
 * serial output callback, fixed when it is made, so whoever makes the Domain
 * tees its bytes in here (`serialOut: (b) => { toStdout(b); console.write(b); }`).
 * Only the newest bytes are kept: a chatty guest must not grow the host's heap.
 */
export class SerialConsole {
  private readonly buf: Uint8Array;
  private start = 0;
  private length = 0;
  /** Bytes written in total: tells a reader whether anything changed. */
  written = 0;

  constructor(readonly capacity = 16 * 1024) {
    this.buf = new Uint8Array(capacity);
  }

  write(byte: number): void {
    const end = (this.start + this.length) % this.capacity;
    this.buf[end] = byte;
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
    this.written++;
  }

  /** The bytes kept, as text (latin-1, as a terminal shows a byte stream it has no encoding for). */
  text(): string {
    const first = this.buf.subarray(this.start, Math.min(this.start + this.length, this.capacity));
    const wrapped = this.buf.subarray(0, this.length - first.length);
    return Buffer.concat([first, wrapped]).toString('latin1');
  }
}
