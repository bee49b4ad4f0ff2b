/**
 * Framing of the GDB Remote Serial Protocol: packet encoding against real
 * packets, the parser's events for every kind of input, independence from
 * how the stream is chunked, and a seeded fuzz run (set GDBSX_FUZZ_SEED to
 * replay another seed).
 */
import assert from 'node:assert/strict';
import { checksum, encodePacket, PacketParser, type ParserEvent } from '../../src/gdbsx/framing.js';

/** Bytes of a string, one per character (the tests write binary as \xNN escapes). */
function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error(`test string has a non-byte character ${c}`);
    return code;
  });
}

function text(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** Events as short strings so expected sequences read like the wire. */
function show(e: ParserEvent): string {
  switch (e.kind) {
    case 'packet': return `packet ${JSON.stringify(text(e.data))} /${e.wireLength}`;
    case 'bad-checksum': return `bad-checksum(${e.reason}) ${JSON.stringify(text(e.data))} /${e.wireLength}`;
    case 'garbage': return `garbage 0x${e.byte.toString(16).padStart(2, '0')}`;
    case 'overflow': return `overflow /${e.wireLength}`;
    case 'restart': return `restart /${e.wireLength}`;
    default: return e.kind;
  }
}

function parse(stream: Uint8Array | string, parser = new PacketParser()): string[] {
  return parser.push(typeof stream === 'string' ? bytes(stream) : stream).map(show);
}

/** Wire bytes an event stands for, so every byte pushed can be accounted for. */
function wireBytes(e: ParserEvent): number {
  return 'wireLength' in e ? e.wireLength : 1;
}

/** mulberry32: a tiny seeded PRNG, so a failing fuzz case replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('gdbsx framing', () => {
  describe('encodePacket', () => {
    it('matches well-known packets byte for byte', () => {
      const known: [string, string][] = [
        ['g', '$g#67'],
        ['?', '$?#3f'],
        ['c', '$c#63'],
        ['s', '$s#73'],
        ['OK', '$OK#9a'],
        ['', '$#00'],
        ['QStartNoAckMode', '$QStartNoAckMode#b0'],
        ['vMustReplyEmpty', '$vMustReplyEmpty#3a'],
        [
          'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+',
          '$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+#df',
        ],
      ];
      for (const [data, wire] of known) {
        assert.equal(text(encodePacket(data)), wire);
        assert.equal(text(encodePacket(bytes(data))), wire);
      }
    });

    it('escapes $ # } * as } and the byte XOR 0x20, checksumming the escaped bytes', () => {
      const data = concat([bytes('X1000,4:'), Uint8Array.of(0x23, 0x7d, 0x24, 0x2a)]);
      assert.equal(text(encodePacket(data)), '$X1000,4:}\x03}]}\x04}\x0a#15');
      assert.equal(text(encodePacket(Uint8Array.of(0x7d))), '$}]#da');
      assert.equal(text(encodePacket('a*b')), '$a}\x0ab#4a');
    });

    it('leaves every other byte alone, 0x03, + and - included', () => {
      for (let b = 0; b < 256; b++) {
        const wire = encodePacket(Uint8Array.of(b));
        const special = b === 0x23 || b === 0x24 || b === 0x2a || b === 0x7d;
        assert.equal(wire.length, special ? 6 : 5, `byte 0x${b.toString(16)}`);
      }
    });

    it('sends strings as UTF-8', () => {
      assert.equal(text(encodePacket('\u00e9')), '$\xc3\xa9#6c');
    });

    it('checksum() is the sum of the bytes mod 256', () => {
      assert.equal(checksum(bytes('OK')), 0x9a);
      assert.equal(checksum(new Uint8Array(0)), 0);
      assert.equal(checksum(new Uint8Array(257).fill(0xff)), (257 * 0xff) & 0xff);
    });
  });

  describe('PacketParser', () => {
    it('reads well-known packets', () => {
      assert.deepEqual(parse('$g#67$?#3f$c#63$s#73$OK#9a$#00'), [
        'packet "g" /5', 'packet "?" /5', 'packet "c" /5', 'packet "s" /5', 'packet "OK" /6', 'packet "" /4',
      ]);
    });

    it('accepts uppercase checksum digits', () => {
      assert.deepEqual(parse('$OK#9A'), ['packet "OK" /6']);
    });

    it('round-trips every byte value, in one packet and one packet each', () => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const events = new PacketParser().push(encodePacket(all));
      assert.equal(events.length, 1);
      assert.deepEqual(events[0], { kind: 'packet', data: all, wireLength: 256 + 4 + 4 });

      const stream = concat([...all].map((b) => encodePacket(Uint8Array.of(b))));
      const each = new PacketParser().push(stream);
      assert.deepEqual(each.map((e) => (e.kind === 'packet' ? e.data[0] : e.kind)), [...all]);
      assert.ok(each.every((e) => e.kind === 'packet' && e.data.length === 1));
    });

    it('unescapes the four special characters', () => {
      assert.deepEqual(parse('$}\x03}]}\x04}\x0a#62'), [
        'packet "#}$*" /12',
      ]);
      assert.deepEqual(parse(encodePacket('$#}*')), ['packet "$#}*" /12']);
    });

    it('takes an incoming * as a literal byte (gdb never run-length encodes to a stub)', () => {
      assert.deepEqual(parse('$a*b#ed'), ['packet "a*b" /7']);
    });

    it('reports acks, naks and interrupts between packets, in order', () => {
      assert.deepEqual(parse('+$g#67-\x03+$c#63\x03--'), [
        'ack', 'packet "g" /5', 'nak', 'interrupt', 'ack', 'packet "c" /5', 'interrupt', 'nak', 'nak',
      ]);
    });

    it('takes +, - and 0x03 inside a packet as data', () => {
      assert.deepEqual(parse('$+-\x03#5b'), ['packet "+-\\u0003" /7']);
    });

    it('reports stray bytes outside packets one by one', () => {
      assert.deepEqual(parse('x#\n$g#67}'), ['garbage 0x78', 'garbage 0x23', 'garbage 0x0a', 'packet "g" /5', 'garbage 0x7d']);
    });

    it('restarts on a $ inside a packet, wherever it comes', () => {
      assert.deepEqual(parse('$m1000$g#67'), ['restart /6', 'packet "g" /5']);
      assert.deepEqual(parse('$m}$g#67'), ['restart /3', 'packet "g" /5']);
      assert.deepEqual(parse('$g#$g#67'), ['restart /3', 'packet "g" /5']);
      assert.deepEqual(parse('$g#6$g#67'), ['restart /4', 'packet "g" /5']);
      assert.deepEqual(parse('$$$g#67'), ['restart /1', 'restart /1', 'packet "g" /5']);
    });

    it('reports bad checksums with the data, then carries on', () => {
      assert.deepEqual(parse('$g#68$g#67'), ['bad-checksum(mismatch) "g" /5', 'packet "g" /5']);
      assert.deepEqual(parse('$g#76'), ['bad-checksum(mismatch) "g" /5']);
      assert.deepEqual(parse('$g#6G+'), ['bad-checksum(non-hex) "g" /5', 'ack']);
      assert.deepEqual(parse('$g#zz'), ['bad-checksum(non-hex) "g" /5']);
      assert.deepEqual(parse('$g# 67'), ['bad-checksum(non-hex) "g" /5', 'garbage 0x37']);
      // A digit position holding # is a non-hex digit, not a new terminator.
      assert.deepEqual(parse('$g##67'), ['bad-checksum(non-hex) "g" /5', 'garbage 0x37']);
    });

    it('refuses a packet whose data ends in } even when the checksum matches', () => {
      // The sum of "ab}" is 0x140.
      assert.deepEqual(parse('$ab}#40$g#67'), ['bad-checksum(dangling-escape) "ab" /7', 'packet "g" /5']);
    });

    it('overflows past maxPacketSize of unescaped data and recovers', () => {
      const small = () => new PacketParser({ maxPacketSize: 4 });
      assert.deepEqual(parse(encodePacket('abcd'), small()), ['packet "abcd" /8']);
      // Escaped bytes count once each: four escaped bytes still fit.
      assert.deepEqual(parse(encodePacket('}}}}'), small()), ['packet "}}}}" /12']);
      assert.deepEqual(parse(concat([encodePacket('abcde'), bytes('+\x03$g#67')]), small()), [
        'overflow /9', 'ack', 'interrupt', 'packet "g" /5',
      ]);
      // The checksum of an overflowed frame is never checked: the frame is refused anyway.
      assert.deepEqual(parse('$abcdefgh#zz-', small()), ['overflow /12', 'nak']);
      assert.deepEqual(parse('$abcdefgh$g#67', small()), ['overflow /9', 'packet "g" /5']);
      assert.deepEqual(parse('$abcdefgh#6$g#67', small()), ['overflow /11', 'packet "g" /5']);
    });

    it('defaults to 16384 bytes of data', () => {
      const parser = new PacketParser();
      assert.equal(parser.maxPacketSize, 16384);
      const fits = parser.push(encodePacket('x'.repeat(16384)));
      assert.equal(fits.length, 1);
      assert.equal(fits[0]!.kind, 'packet');
      assert.equal(fits[0]!.kind === 'packet' && fits[0]!.data.length, 16384);
      assert.deepEqual(parser.push(encodePacket('x'.repeat(16385))), [{ kind: 'overflow', wireLength: 16385 + 4 }]);
      assert.deepEqual(parse('$g#67', parser), ['packet "g" /5']);
    });

    it('refuses a maxPacketSize that is not a positive integer', () => {
      assert.throws(() => new PacketParser({ maxPacketSize: 0 }), RangeError);
      assert.throws(() => new PacketParser({ maxPacketSize: 1.5 }), RangeError);
    });

    it('counts the bytes of an unfinished frame as pending, and reset() drops them', () => {
      const parser = new PacketParser();
      assert.deepEqual(parse('+$abc', parser), ['ack']);
      assert.equal(parser.pending, 4);
      assert.deepEqual(parse('}', parser), []);
      assert.equal(parser.pending, 5);
      parser.reset();
      assert.equal(parser.pending, 0);
      assert.deepEqual(parse('#00$g#67', parser), ['garbage 0x23', 'garbage 0x30', 'garbage 0x30', 'packet "g" /5']);
      assert.equal(parser.pending, 0);
    });

    it('returns copies: later packets do not change earlier data', () => {
      const parser = new PacketParser();
      const [first] = parser.push(encodePacket('abc'));
      parser.push(encodePacket('xyz'));
      assert.ok(first?.kind === 'packet');
      assert.equal(text(first.data), 'abc');
    });

    describe('chunk boundaries', () => {
      const stream = concat([
        bytes('x+'),
        encodePacket('qSupported:swbreak+'),
        bytes('-\x03'),
        encodePacket(Uint8Array.of(0x7d, 0x23, 0x24, 0x2a, 0x00, 0xff)),
        bytes('$m1000$g#68'), // a restart, then a bad checksum
        bytes('$ab}#40'),
        bytes('$abcdefghijklmnopqrstu#00+'), // overflows the limit of 20 below
        bytes('$OK#9A'),
        bytes('$g#6z'),
        bytes('\x03'),
      ]);
      const options = { maxPacketSize: 20 };
      const whole = parse(stream, new PacketParser(options));

      it('gives the expected events for the whole stream', () => {
        assert.deepEqual(whole, [
          'garbage 0x78', 'ack', 'packet "qSupported:swbreak+" /23', 'nak', 'interrupt',
          'packet "}#$*\\u0000ÿ" /14', 'restart /6', 'bad-checksum(mismatch) "g" /5',
          'bad-checksum(dangling-escape) "ab" /7', 'overflow /25', 'ack', 'packet "OK" /6',
          'bad-checksum(non-hex) "g" /5', 'interrupt',
        ]);
      });

      it('gives the same events split at every index', () => {
        for (let i = 0; i <= stream.length; i++) {
          const parser = new PacketParser(options);
          const events = [...parse(stream.subarray(0, i), parser), ...parse(stream.subarray(i), parser)];
          assert.deepEqual(events, whole, `split at ${i}`);
        }
      });

      it('gives the same events split at every pair of indices', () => {
        for (let i = 0; i <= stream.length; i++) {
          for (let j = i; j <= stream.length; j++) {
            const parser = new PacketParser(options);
            const events = [
              ...parse(stream.subarray(0, i), parser),
              ...parse(stream.subarray(i, j), parser),
              ...parse(stream.subarray(j), parser),
            ];
            assert.deepEqual(events, whole, `split at ${i} and ${j}`);
          }
        }
      });

      it('gives the same events fed one byte at a time', () => {
        const parser = new PacketParser(options);
        const events = [...stream].flatMap((b) => parse(Uint8Array.of(b), parser));
        assert.deepEqual(events, whole);
      });
    });

    describe('fuzz', () => {
      const SEED = Number(process.env.GDBSX_FUZZ_SEED ?? 0x5eed);
      const RUNS = 2000;
      const MAX = 32;
      const SPECIAL = [0x23, 0x24, 0x2a, 0x7d, 0x03, 0x2b, 0x2d];
      const KINDS = new Set(['packet', 'bad-checksum', 'ack', 'nak', 'interrupt', 'garbage', 'overflow', 'restart']);

      /** A byte biased towards the ones with a meaning on the wire. */
      function randomByte(rand: () => number): number {
        return rand() < 0.3 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256);
      }

      /** A well-formed stream and the events it must give. */
      function generate(rand: () => number): { stream: Uint8Array; expected: string[] } {
        const parts: Uint8Array[] = [];
        const expected: string[] = [];
        const pieces = Math.floor(rand() * 12);
        for (let k = 0; k < pieces; k++) {
          const r = rand();
          if (r < 0.45) {
            const data = Uint8Array.from({ length: Math.floor(rand() * (MAX + 8)) }, () => randomByte(rand));
            const wire = encodePacket(data);
            if (rand() < 0.15) {
              // Corrupt one checksum digit to another hex digit.
              const at = wire.length - 1 - Math.floor(rand() * 2);
              const digits = '0123456789abcdef';
              const old = digits.indexOf(String.fromCharCode(wire[at]!));
              wire[at] = digits.charCodeAt((old + 1 + Math.floor(rand() * 15)) % 16);
              expected.push(data.length > MAX ? `overflow /${wire.length}` : `bad-checksum(mismatch) ${JSON.stringify(text(data))} /${wire.length}`);
            } else {
              expected.push(data.length > MAX ? `overflow /${wire.length}` : `packet ${JSON.stringify(text(data))} /${wire.length}`);
            }
            parts.push(wire);
          } else if (r < 0.6) {
            parts.push(Uint8Array.of(0x2b));
            expected.push('ack');
          } else if (r < 0.7) {
            parts.push(Uint8Array.of(0x2d));
            expected.push('nak');
          } else if (r < 0.8) {
            parts.push(Uint8Array.of(0x03));
            expected.push('interrupt');
          } else {
            let b: number;
            do b = Math.floor(rand() * 256); while (b === 0x24 || b === 0x2b || b === 0x2d || b === 0x03);
            parts.push(Uint8Array.of(b));
            expected.push(show({ kind: 'garbage', byte: b }));
          }
        }
        return { stream: concat(parts), expected };
      }

      /** Flip, drop, insert or cut bytes, or append pure noise. */
      function mutate(stream: Uint8Array, rand: () => number): Uint8Array {
        const out = [...stream];
        const edits = 1 + Math.floor(rand() * 6);
        for (let k = 0; k < edits; k++) {
          const at = Math.floor(rand() * (out.length + 1));
          const r = rand();
          if (r < 0.3 && out.length > 0) out[Math.min(at, out.length - 1)] = randomByte(rand);
          else if (r < 0.5) out.splice(at, 1);
          else if (r < 0.75) out.splice(at, 0, randomByte(rand));
          else if (r < 0.85) out.length = at;
          else out.push(...Array.from({ length: Math.floor(rand() * 64) }, () => randomByte(rand)));
        }
        return Uint8Array.from(out);
      }

      function chunked(stream: Uint8Array, rand: () => number, parser: PacketParser): ParserEvent[] {
        const events: ParserEvent[] = [];
        let at = 0;
        while (at < stream.length) {
          const n = 1 + Math.floor(rand() * 16);
          events.push(...parser.push(stream.subarray(at, at + n)));
          at += n;
        }
        return events;
      }

      it(`survives ${RUNS} random and mutated streams (seed ${SEED})`, () => {
        const rand = prng(SEED);
        let packets = 0;
        let mutated = 0;
        for (let run = 0; run < RUNS; run++) {
          const { stream: clean, expected } = generate(rand);
          const mutate_ = run % 2 === 1;
          const stream = mutate_ ? mutate(clean, rand) : clean;
          if (mutate_) mutated++;
          const where = `run ${run}, seed ${SEED}, stream ${JSON.stringify(text(stream))}`;

          const whole = new PacketParser({ maxPacketSize: MAX });
          const events = whole.push(stream);
          if (!mutate_) assert.deepEqual(events.map(show), expected, where);

          // Chunking never changes what is seen.
          const split = new PacketParser({ maxPacketSize: MAX });
          assert.deepEqual(chunked(stream, rand, split), events, where);
          assert.equal(split.pending, whole.pending, where);

          // Every byte is in exactly one event or still pending.
          const accounted = events.reduce((n, e) => n + wireBytes(e), 0);
          assert.equal(accounted + whole.pending, stream.length, where);

          for (const e of events) {
            assert.ok(KINDS.has(e.kind), where);
            if (e.kind === 'packet' || e.kind === 'bad-checksum') {
              assert.ok(e.data instanceof Uint8Array && e.data.length <= MAX, where);
              assert.ok(e.wireLength >= e.data.length + 4, where);
            }
            if (e.kind === 'garbage') assert.ok(Number.isInteger(e.byte) && e.byte >= 0 && e.byte <= 255 && ![0x24, 0x2b, 0x2d, 0x03].includes(e.byte), where);
            if (e.kind === 'restart' || e.kind === 'overflow') assert.ok(e.wireLength >= 1, where);
            if (e.kind === 'packet') {
              packets++;
              // What we would send back for this data is read back as the same data.
              const again = new PacketParser({ maxPacketSize: MAX }).push(encodePacket(e.data));
              assert.deepEqual(again, [{ kind: 'packet', data: e.data, wireLength: encodePacket(e.data).length }], where);
            }
          }

          // Whatever came before, a good packet is still recognized.
          const pendingBefore = whole.pending;
          const tail = whole.push(encodePacket('vCont;c'));
          const last = tail.at(-1);
          assert.ok(last?.kind === 'packet' && text(last.data) === 'vCont;c', where);
          assert.equal(tail.length, pendingBefore > 0 ? 2 : 1, where);
          if (pendingBefore > 0) assert.deepEqual(tail[0], { kind: tail[0]!.kind === 'overflow' ? 'overflow' : 'restart', wireLength: pendingBefore }, where);
          assert.equal(whole.pending, 0, where);
        }
        assert.equal(mutated, RUNS / 2);
        // The generator must actually exercise the parser.
        assert.ok(packets > RUNS, `only ${packets} packets parsed`);
      });
    });
  });
});
