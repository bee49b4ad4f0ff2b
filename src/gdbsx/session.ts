/**
 * One gdb connection to a domain: the Remote Serial Protocol's packets turned
 * into SDK calls. Threads are vCPUs (thread id = vCPU + 1). While gdb looks,
 * the domain is paused; `c` resumes it until a breakpoint of gdb's is hit or
 * gdb interrupts, `s` runs one instruction of the selected vCPU with the
 * others held. Exactly one stop reply per resume.
 *
 * This first version covers what gdb needs to attach, read and write
 * registers and memory, set software breakpoints, continue, step, interrupt
 * and detach; watchpoints, hardware breakpoints, vCont with per-thread
 * actions beyond one step, and qRcmd are not implemented yet (gdb gets the
 * empty reply, which it reads as "not supported").
 */
import { encodePacket, PacketParser } from './framing.js';
import { fromHex, HexError, parseHexBigInt, toHex } from './hex.js';
import { changes, gBlock, registerBytes, registerUpdate, RegisterWriteError } from './registers.js';
import { targetXml } from './target-description.js';
import { VmiError, type Vmi, type VmiEvent } from '../introspect/index.js';

const INT3 = 0xcc;
/** The packet size we announce (hex in qSupported: gdb reads it as hex). */
const PACKET_SIZE = 0x4000;

type Stop = { vcpu: number; signal: number; swbreak?: boolean };

export class GdbSession {
  private readonly parser = new PacketParser({ maxPacketSize: PACKET_SIZE });
  private acks = true;
  /** The vCPU `g`, `m` and friends act on (Hg), and the one `s` steps (Hc). */
  private current = 0;
  /** gdb's software breakpoints: linear address -> the byte under the int3. */
  private readonly breakpoints = new Map<bigint, number>();
  /** A resume in progress: how its stop is announced. */
  private waiting: ((stop: Stop) => void) | undefined;
  private stepping: number | undefined;
  private readonly release: () => void;
  private closed = false;
  /** Chunks from gdb are handled one after another, each packet's reply before the next's. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly vmi: Vmi, private readonly send: (bytes: Uint8Array) => void) {
    this.release = vmi.claim((e) => this.onEvent(e));
  }

  /** Attach: monitor breakpoints and steps, and stop the domain for gdb. */
  async start(): Promise<void> {
    await this.vmi.monitor({ softwareBreakpoint: { sync: true }, singleStep: { sync: true } });
    await this.vmi.pause();
  }

  /** Bytes from gdb. Replies go out through `send`, in order. */
  receive(chunk: Uint8Array): Promise<void> {
    this.queue = this.queue.then(() => this.process(chunk)).catch(() => {});
    return this.queue;
  }

  private async process(chunk: Uint8Array): Promise<void> {
    for (const ev of this.parser.push(chunk)) {
      switch (ev.kind) {
        case 'packet':
          if (this.acks) this.send(Uint8Array.of(0x2b));
          await this.dispatch(Buffer.from(ev.data).toString('latin1'));
          break;
        case 'bad-checksum': case 'overflow':
          if (this.acks) this.send(Uint8Array.of(0x2d));
          break;
        case 'interrupt':
          await this.interrupt();
          break;
        default: // acks, naks, restarts, garbage: nothing to answer
      }
    }
  }

  private reply(text: string): void {
    this.send(encodePacket(Buffer.from(text, 'latin1')));
  }

  private async dispatch(p: string): Promise<void> {
    try {
      const answer = await this.answer(p);
      if (answer !== undefined) this.reply(answer);
    } catch (e) {
      // Bad input from gdb or a refusal from the domain: an error reply, and the session goes on.
      if (e instanceof HexError || e instanceof RegisterWriteError || e instanceof VmiError || e instanceof RangeError) this.reply('E01');
      else throw e;
    }
  }

  /** The reply to a packet, or undefined when the reply comes later (resumes) or never (k). */
  private async answer(p: string): Promise<string | undefined> {
    if (p.startsWith('qSupported')) return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;swbreak+;vContSupported+;QStartNoAckMode+`;
    if (p === 'QStartNoAckMode') { this.reply('OK'); this.acks = false; return undefined; }
    if (p.startsWith('qXfer:features:read:target.xml:')) return xfer(targetXml(), p.slice('qXfer:features:read:target.xml:'.length));
    if (p === '?') return this.stopReply({ vcpu: this.current, signal: 5 });
    if (p === 'qfThreadInfo') return `m${Array.from({ length: this.vmi.info.vcpus }, (_, v) => tid(v)).join(',')}`;
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return `QC${tid(this.current)}`;
    if (p === 'qAttached') return '1';
    if (p.startsWith('H')) return this.select(p.slice(2));
    if (p.startsWith('T')) return this.vcpuOf(p.slice(1)) !== undefined ? 'OK' : 'E01';
    if (p === 'g') return toHex(gBlock(await this.vmi.getRegisters(this.current)));
    if (p.startsWith('p')) {
      const bytes = registerBytes(await this.vmi.getRegisters(this.current), Number.parseInt(p.slice(1), 16));
      return bytes ? toHex(bytes) : 'E01';
    }
    if (p.startsWith('G')) { await this.vmi.setRegisters(this.current, changes(await this.vmi.getRegisters(this.current), fromHex(p.slice(1)))); return 'OK'; }
    if (p.startsWith('P')) {
      const [n, v] = p.slice(1).split('=');
      await this.vmi.setRegisters(this.current, registerUpdate(Number.parseInt(n!, 16), fromHex(v!)));
      return 'OK';
    }
    if (p.startsWith('m')) {
      const [addr, len] = p.slice(1).split(',');
      const at = parseHexBigInt(addr!), bytes = await this.vmi.readVA(at, Number.parseInt(len!, 16), { dtb: await this.dtb() });
      // gdb does not mask breakpoints it placed with Z0: the stub shows the original bytes, as a
      // stub that breaks in its translator (QEMU's) naturally does.
      for (const [va, original] of this.breakpoints) if (va >= at && va < at + BigInt(bytes.length)) bytes[Number(va - at)] = original;
      return toHex(bytes);
    }
    if (p.startsWith('M')) {
      const [where, data] = p.slice(1).split(':');
      await this.vmi.writeVA(parseHexBigInt(where!.split(',')[0]!), fromHex(data!), { dtb: await this.dtb() });
      return 'OK';
    }
    if (p.startsWith('Z0,')) { await this.insert(parseHexBigInt(p.slice(3).split(',')[0]!)); return 'OK'; }
    if (p.startsWith('z0,')) { await this.remove(parseHexBigInt(p.slice(3).split(',')[0]!)); return 'OK'; }
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p === 'c' || p.startsWith('vCont;c')) return this.resume();
    if (p === 's') return this.step(this.current);
    if (p.startsWith('vCont;s')) {
      const thread = /^vCont;s(?::([0-9a-f]+))?/.exec(p)![1];
      return this.step(thread === undefined ? this.current : this.vcpuOf(thread) ?? this.current);
    }
    if (p === 'D' || p.startsWith('D;') || p === 'k') { await this.detach(); return p === 'k' ? undefined : 'OK'; }
    return ''; // not supported
  }

  private select(thread: string): string {
    if (thread === '0' || thread === '-1') return 'OK'; // any thread: keep the current one
    const v = this.vcpuOf(thread);
    if (v === undefined) return 'E01';
    this.current = v;
    return 'OK';
  }

  private vcpuOf(thread: string): number | undefined {
    const v = Number.parseInt(thread, 16) - 1;
    return Number.isInteger(v) && v >= 0 && v < this.vmi.info.vcpus ? v : undefined;
  }

  private async dtb(): Promise<bigint> {
    return (await this.vmi.getRegisters(this.current)).cr3;
  }

  private stopReply(s: Stop): string {
    this.current = s.vcpu; // the stop names its thread and selects it (what gdb assumes)
    return `T${s.signal.toString(16).padStart(2, '0')}thread:${tid(s.vcpu)};${s.swbreak ? 'swbreak:;' : ''}`;
  }

  private async insert(va: bigint): Promise<void> {
    if (this.breakpoints.has(va)) return; // Z packets are idempotent
    const space = { dtb: await this.dtb() };
    const original = (await this.vmi.readVA(va, 1, space))[0]!;
    await this.vmi.writeVA(va, Uint8Array.of(INT3), space);
    this.breakpoints.set(va, original);
  }

  private async remove(va: bigint): Promise<void> {
    const original = this.breakpoints.get(va);
    if (original === undefined) return;
    this.breakpoints.delete(va);
    await this.vmi.writeVA(va, Uint8Array.of(original), { dtb: await this.dtb() });
  }

  /** Continue every vCPU until one hits a breakpoint of gdb's or gdb interrupts. */
  private async resume(): Promise<undefined> {
    const stopped = new Promise<Stop>((resolve) => { this.waiting = resolve; });
    await this.vmi.resume();
    void stopped.then((s) => this.reply(this.stopReply(s)));
    return undefined;
  }

  /** One instruction of `vcpu`, the others held. */
  private async step(vcpu: number): Promise<undefined> {
    const letGo = await this.vmi.holdOthers(vcpu);
    const stopped = new Promise<Stop>((resolve) => { this.waiting = resolve; });
    this.stepping = vcpu;
    await this.vmi.setSingleStep(vcpu, true);
    await this.vmi.resume();
    void stopped.then(async (s) => {
      await letGo();
      this.reply(this.stopReply(s));
    });
    return undefined;
  }

  /** Ctrl-C: stop everything and report SIGINT, once, for the resume in progress. */
  private async interrupt(): Promise<void> {
    const wake = this.waiting;
    if (!wake) return;
    this.waiting = undefined;
    await this.vmi.pause();
    wake({ vcpu: this.current, signal: 2 });
  }

  private onEvent(e: VmiEvent): boolean {
    if (this.closed) return false;
    if (e.reason === 'singleStep' && e.vcpu === this.stepping) {
      this.stepping = undefined;
      const wake = this.waiting;
      this.waiting = undefined;
      void this.vmi.pause().then(() => e.reinject({ toggleSingleStep: true })).then(() => wake?.({ vcpu: e.vcpu, signal: 5 }));
      return true;
    }
    if (e.reason !== 'softwareBreakpoint' || !e.sync || !this.breakpoints.has(e.data.gla)) return false;
    const wake = this.waiting;
    this.waiting = undefined;
    // RIP stays on the int3 (drop injects nothing): gdb sees the PC at the breakpoint (swbreak).
    void (wake ? this.vmi.pause() : Promise.resolve()).then(() => e.drop()).then(() => wake?.({ vcpu: e.vcpu, signal: 5, swbreak: true }));
    return true;
  }

  /** D, k or a closed connection: remove every breakpoint and let the domain run on. */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const va of [...this.breakpoints.keys()]) await this.remove(va).catch(() => {});
    if (this.stepping !== undefined) await this.vmi.setSingleStep(this.stepping, false).catch(() => {});
    await this.vmi.monitor({ softwareBreakpoint: null, singleStep: null }).catch(() => {});
    this.release();
    if (!this.waiting) await this.vmi.resume().catch(() => {});
  }
}

const tid = (vcpu: number): string => (vcpu + 1).toString(16);

/** A qXfer read: `m` + more of the document, or `l` + its last piece (escaped by encodePacket). */
function xfer(doc: string, range: string): string {
  const [off, len] = range.split(',').map((x) => Number.parseInt(x, 16));
  if (!Number.isInteger(off) || !Number.isInteger(len)) throw new RangeError(`bad qXfer range ${range}`);
  const piece = doc.slice(off, off! + len!);
  return (off! + len! >= doc.length ? 'l' : 'm') + piece;
}
