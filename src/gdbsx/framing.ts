/**
 * Byte-level framing of the GDB Remote Serial Protocol (GDB manual, appendix
 * "Remote Protocol", section "Overview"): packets `$data#cc`, the `+`/`-`
 * acknowledgments and the out-of-band interrupt byte 0x03. This file knows
 * nothing of what packets mean, nor of whether acknowledgments are on
 * (`QStartNoAckMode`): it reports what arrived and leaves the answers to the
 * session that owns the connection.
 */
import { hexDigitValue } from './hex.js';

/** Bytes with a meaning of their own on the wire. */
export const Wire = {
  START: 0x24, // '$'
  END: 0x23, // '#'
  ESCAPE: 0x7d, // '}'
  RLE: 0x2a, // '*': run-length marker in stub replies, so it is escaped in what we send
  ACK: 0x2b, // '+'
  NAK: 0x2d, // '-'
  INTERRUPT: 0x03, // Ctrl-C, sent by gdb outside any packet
} as const;

/** Why a complete frame was not accepted; in every case the caller answers `-` (when acks are on). */
export const BadPacketReason = {
  /** The two digits are hex but do not match the sum of the bytes received. */
  MISMATCH: 'mismatch',
  /** A checksum digit was not a hex digit. */
  NON_HEX: 'non-hex',
  /** The data ended in `}` with nothing to escape: the frame is malformed whatever its checksum. */
  DANGLING_ESCAPE: 'dangling-escape',
} as const;
export type BadPacketReason = (typeof BadPacketReason)[keyof typeof BadPacketReason];

/**
 * What {@link PacketParser.push} saw, in wire order. Events that span several
 * bytes carry `wireLength` (bytes consumed from the stream, from the `$`
 * through the checksum digits) so a caller can account for every byte; the
 * others are one byte each.
 */
export type ParserEvent =
  | { readonly kind: 'packet'; readonly data: Uint8Array; readonly wireLength: number }
  | { readonly kind: 'bad-checksum'; readonly data: Uint8Array; readonly wireLength: number; readonly reason: BadPacketReason }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak' }
  | { readonly kind: 'interrupt' }
  /** A byte outside any packet that means nothing; gdb stubs ignore these, callers may count them. */
  | { readonly kind: 'garbage'; readonly byte: number }
  /**
   * A frame whose unescaped data exceeded `maxPacketSize`. Reported when the
   * frame ends (after its checksum digits, or at the next `$`), which is when a
   * `-` would be meaningful; its data was never kept.
   */
  | { readonly kind: 'overflow'; readonly wireLength: number }
  /**
   * A frame cut short by a new `$` (the sender gave up and started over, or a
   * byte was lost). The new frame is being read; the old one is dropped
   * without a reply, since the sender has already moved on.
   */
  | { readonly kind: 'restart'; readonly wireLength: number };

/** Modulo-256 sum of the bytes, as a packet checksum is computed over the bytes between `$` and `#`. */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum & 0xff;
}

function needsEscape(b: number): boolean {
  return b === Wire.START || b === Wire.END || b === Wire.ESCAPE || b === Wire.RLE;
}

const HEX = '0123456789abcdef';
const encoder = new TextEncoder();

/**
 * One packet as it goes on the wire: `$`, the data with `$ # } *` escaped as
 * `}` and the byte XOR 0x20, `#`, and two lowercase hex digits of the checksum
 * of the escaped bytes (the checksum covers what is transmitted). Escaping the
 * four always, not only in binary replies, costs nothing for ordinary ASCII
 * replies (which never contain them) and means no caller has to know which
 * replies are binary. Strings are sent as UTF-8; protocol text is ASCII.
 */
export function encodePacket(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  let escapes = 0;
  for (const b of bytes) if (needsEscape(b)) escapes++;
  const out = new Uint8Array(bytes.length + escapes + 4);
  let at = 0;
  let sum = 0;
  out[at++] = Wire.START;
  for (const b of bytes) {
    if (needsEscape(b)) {
      out[at++] = Wire.ESCAPE;
      out[at++] = b ^ 0x20;
      sum += Wire.ESCAPE + (b ^ 0x20);
    } else {
      out[at++] = b;
      sum += b;
    }
  }
  out[at++] = Wire.END;
  out[at] = HEX.charCodeAt((sum >> 4) & 0xf);
  out[at + 1] = HEX.charCodeAt(sum & 0xf);
  return out;
}

/** Where the parser is within the stream. */
const State = {
  /** Between frames: only `$`, acks, naks and interrupts mean anything. */
  IDLE: 0,
  DATA: 1,
  /** After a `}` inside the data. */
  ESCAPE: 2,
  CHECKSUM_HI: 3,
  CHECKSUM_LO: 4,
  /** Inside a frame that already overflowed: bytes are counted, not kept. */
  SKIP: 5,
  /** Reading the checksum digits of an overflowed frame, only to step over them. */
  SKIP_CHECKSUM: 6,
} as const;
type State = (typeof State)[keyof typeof State];

export interface PacketParserOptions {
  /** Most unescaped data bytes one packet may carry (what the stub advertises as `PacketSize`). Default 16384. */
  readonly maxPacketSize?: number;
}

/**
 * A byte-at-a-time reader of the stream gdb sends. It keeps only the frame in
 * progress, so chunks may be split anywhere — between `}` and the byte it
 * escapes, or between `#` and the checksum digits — and yield the same events
 * as the unsplit stream.
 *
 * A sender always escapes `$` and `#` inside data, so a raw one is framing
 * wherever it appears: a `$` inside a frame (even in the checksum position)
 * starts a new one, and a `#` right after `}` ends the frame, which is then
 * malformed. Incoming `*` is data: gdb never run-length encodes what
 * it sends to a stub.
 */
export class PacketParser {
  readonly maxPacketSize: number;
  private state: State = State.IDLE;
  /** Unescaped data of the frame in progress; grown on demand up to maxPacketSize. */
  private buf = new Uint8Array(64);
  private len = 0;
  /** Running sum of the transmitted bytes between `$` and `#`. */
  private sum = 0;
  /** Bytes of the frame in progress consumed so far, `$` included. */
  private wire = 0;
  private danglingEscape = false;
  private checksumHi = 0;
  private skipDigits = 0;

  constructor(options: PacketParserOptions = {}) {
    const max = options.maxPacketSize ?? 16384;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxPacketSize must be a positive integer, got ${max}`);
    this.maxPacketSize = max;
  }

  /** Bytes pushed that belong to a frame not finished yet (so not in any event so far). */
  get pending(): number {
    return this.state === State.IDLE ? 0 : this.wire;
  }

  /** Forget any frame in progress, e.g. when the connection is replaced. */
  reset(): void {
    this.state = State.IDLE;
    this.wire = 0;
    this.len = 0;
  }

  /** Feed the next bytes of the stream; returns what they completed, in order. */
  push(chunk: Uint8Array): ParserEvent[] {
    const events: ParserEvent[] = [];
    for (const b of chunk) this.step(b, events);
    return events;
  }

  private step(b: number, events: ParserEvent[]): void {
    if (this.state === State.IDLE) {
      switch (b) {
        case Wire.START: this.begin(); return;
        case Wire.ACK: events.push({ kind: 'ack' }); return;
        case Wire.NAK: events.push({ kind: 'nak' }); return;
        case Wire.INTERRUPT: events.push({ kind: 'interrupt' }); return;
        default: events.push({ kind: 'garbage', byte: b }); return;
      }
    }
    if (b === Wire.START) {
      // The frame in progress is abandoned, whatever state it was in.
      const wireLength = this.wire;
      const overflowed = this.state === State.SKIP || this.state === State.SKIP_CHECKSUM;
      events.push(overflowed ? { kind: 'overflow', wireLength } : { kind: 'restart', wireLength });
      this.begin();
      return;
    }
    this.wire++;
    switch (this.state) {
      case State.DATA:
        if (b === Wire.END) {
          this.state = State.CHECKSUM_HI;
        } else if (b === Wire.ESCAPE) {
          this.sum += b;
          this.state = State.ESCAPE;
        } else {
          this.sum += b;
          this.append(b);
        }
        return;
      case State.ESCAPE:
        if (b === Wire.END) {
          this.danglingEscape = true;
          this.state = State.CHECKSUM_HI;
        } else {
          this.sum += b;
          this.state = State.DATA;
          this.append(b ^ 0x20);
        }
        return;
      case State.CHECKSUM_HI:
        this.checksumHi = hexDigitValue(b);
        this.state = State.CHECKSUM_LO;
        return;
      case State.CHECKSUM_LO:
        events.push(this.finish(hexDigitValue(b)));
        this.state = State.IDLE;
        return;
      case State.SKIP:
        if (b === Wire.END) {
          this.skipDigits = 2;
          this.state = State.SKIP_CHECKSUM;
        }
        return;
      case State.SKIP_CHECKSUM:
        if (--this.skipDigits === 0) {
          events.push({ kind: 'overflow', wireLength: this.wire });
          this.state = State.IDLE;
        }
        return;
    }
  }

  private begin(): void {
    this.state = State.DATA;
    this.wire = 1;
    this.len = 0;
    this.sum = 0;
    this.danglingEscape = false;
  }

  private append(b: number): void {
    if (this.len === this.maxPacketSize) {
      // Stop keeping data but keep counting bytes until the frame ends, so
      // acks or an interrupt right after the oversized frame are not lost.
      this.state = State.SKIP;
      return;
    }
    if (this.len === this.buf.length) {
      const grown = new Uint8Array(Math.min(this.buf.length * 2, this.maxPacketSize));
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf[this.len++] = b;
  }

  private finish(checksumLo: number): ParserEvent {
    const data = this.buf.slice(0, this.len);
    const wireLength = this.wire;
    if (this.danglingEscape) return { kind: 'bad-checksum', data, wireLength, reason: BadPacketReason.DANGLING_ESCAPE };
    if (this.checksumHi < 0 || checksumLo < 0) return { kind: 'bad-checksum', data, wireLength, reason: BadPacketReason.NON_HEX };
    if (((this.checksumHi << 4) | checksumLo) !== (this.sum & 0xff)) {
      return { kind: 'bad-checksum', data, wireLength, reason: BadPacketReason.MISMATCH };
    }
    return { kind: 'packet', data, wireLength };
  }
}
