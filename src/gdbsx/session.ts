/**
 * One gdb connection to a domain: the Remote Serial Protocol's packets turned
 * into SDK calls. Threads are vCPUs (thread id = vCPU + 1). While gdb looks,
 * the domain is paused; resumes (`c`, `s`, `vCont`) run it until the one stop
 * they report (execution.ts). Breakpoints are int3s (Z0) or the vCPUs' debug
 * registers (Z1-Z4).
 */
import { encodePacket, PacketParser } from './framing.js';
import { HardwarePoints, PointType, type HardwarePointType } from './hardware-points.js';
import { fromHex, HexError, parseHexBigInt, toHex } from './hex.js';
import { monitorCommand, threadExtraInfo } from './monitor-commands.js';
import { Execution, type Stop } from './execution.js';
import { changes, gBlock, registerBytes, registerUpdate, RegisterWriteError } from './registers.js';
import { SoftwareBreakpoints } from './software-breakpoints.js';
import { targetXml } from './target-description.js';
import { parseResume, ResumeError, VCONT_ACTIONS } from './vcont.js';
import { VmiError, type RegisterUpdate, type Registers, type Vmi } from '../introspect/index.js';

/** The packet size we announce (hex in qSupported: gdb reads it as hex). */
const PACKET_SIZE = 0x4000;
// Not qXfer:threads:read: with it gdb takes a thread's description from that document and
// stops asking qThreadExtraInfo, whose answer (state, mode) would then cost a status request
// at every stop.
const FEATURES = `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+`;

export class GdbSession {
  private readonly parser = new PacketParser({ maxPacketSize: PACKET_SIZE });
  private acks = true;
  /** The vCPU `g`, `m` and friends act on (Hg, and every stop). */
  private current = 0;
  /** The vCPU a legacy `s` steps (Hc). */
  private stepThread = 0;
  private readonly sw: SoftwareBreakpoints;
  private readonly hw = new HardwarePoints();
  /** The guest's own DR0-DR3 and DR7 per vCPU, kept while gdb's points occupy the registers. */
  private guestDebugRegisters: Array<Partial<RegisterUpdate>> | undefined;
  private readonly exec: Execution;
  /**
   * Registers of vCPUs read since the domain last ran: gdb reads a stopped thread's
   * registers again and again (g after every stop, p, the frame unwinder), and over NATS
   * each read is a round trip. A stop fills in its vCPU from the event's own snapshot.
   */
  private readonly regs = new Map<number, Registers>();
  private readonly gHex = new WeakMap<Registers, string>();
  private readonly release: () => void;
  private closed = false;
  /** Chunks from gdb are handled one after another, each packet's reply before the next's. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly vmi: Vmi, private readonly send: (bytes: Uint8Array) => void, private readonly onError?: (e: unknown) => void) {
    this.sw = new SoftwareBreakpoints(vmi);
    this.exec = new Execution(vmi, this.sw, this.hw);
    this.release = vmi.claim((e) => !this.closed && this.exec.onEvent(e));
  }

  /** Attach: monitor what gdb's breakpoints and steps raise, and stop the domain for gdb. */
  async start(): Promise<void> {
    await this.vmi.monitor({ softwareBreakpoint: { sync: true }, singleStep: { sync: true }, debugException: { sync: true } });
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
          await this.exec.interrupt(this.current);
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
      // Bad input from gdb or a refusal from the domain: an error reply, and the session goes
      // on. Anything else is a fault of ours: gdb still gets its reply (it would wait forever
      // for one), and whoever serves the session hears of it.
      const expected = e instanceof HexError || e instanceof RegisterWriteError || e instanceof ResumeError || e instanceof VmiError || e instanceof RangeError;
      if (!expected) this.onError?.(e);
      this.reply('E01');
    }
  }

  /** The reply to a packet, or undefined when the reply comes later (resumes) or never (k). */
  private async answer(p: string): Promise<string | undefined> {
    switch (p[0]) {
      case 'q': return this.query(p);
      case 'Q':
        if (p === 'QStartNoAckMode') { this.reply('OK'); this.acks = false; return undefined; }
        return '';
      case '?': return this.stopReply({ vcpu: this.current, cause: { kind: 'signal', signal: 5 } });
      case 'H': return this.select(p[1]!, p.slice(2));
      case 'T': return this.vcpuOf(p.slice(1)) !== undefined ? 'OK' : 'E01';
      case 'g': {
        // gdb reads the block after every stop: keep its hex with the registers it came from.
        const r = await this.registers(this.current);
        let hex = this.gHex.get(r);
        if (hex === undefined) this.gHex.set(r, hex = toHex(gBlock(r)));
        return hex;
      }
      case 'G': await this.setRegisters(this.current, changes(await this.registers(this.current), fromHex(p.slice(1)))); return 'OK';
      case 'p': {
        const bytes = registerBytes(await this.registers(this.current), Number.parseInt(p.slice(1), 16));
        return bytes ? toHex(bytes) : 'E01';
      }
      case 'P': {
        const [n, v] = p.slice(1).split('=');
        await this.setRegisters(this.current, registerUpdate(Number.parseInt(n!, 16), fromHex(v ?? '')));
        return 'OK';
      }
      case 'm': {
        const [addr, len] = p.slice(1).split(',');
        const at = parseHexBigInt(addr!), length = Number.parseInt(len!, 16);
        if (!(length >= 0 && length <= PACKET_SIZE / 2)) throw new RangeError(`cannot read ${len} bytes in one packet`);
        return toHex(this.sw.unmask(at, await this.vmi.readVA(at, length, { dtb: await this.dtb() })));
      }
      case 'M': case 'X': return this.write(p);
      case 'Z': case 'z': return this.point(p);
      case 'c': case 's': return this.resume(p);
      case 'v':
        if (p === 'vCont?') return VCONT_ACTIONS;
        if (p.startsWith('vCont;')) return this.resume(p);
        return '';
      case 'D': await this.detach(); return 'OK';
      case 'k': await this.detach(); return undefined; // kill detaches: the service and its domain live on
      default: return ''; // not supported
    }
  }

  private async query(p: string): Promise<string> {
    if (p.startsWith('qSupported')) return FEATURES;
    if (p.startsWith('qXfer:features:read:target.xml:')) return xfer(targetXml(), p.slice('qXfer:features:read:target.xml:'.length));
    if (p === 'qfThreadInfo') return `m${this.vmi.vcpuIds.map(tid).join(',')}`;
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return `QC${tid(this.current)}`;
    if (p === 'qAttached') return '1';
    if (p.startsWith('qThreadExtraInfo,')) {
      const v = this.vcpuOf(p.slice('qThreadExtraInfo,'.length));
      return v === undefined ? 'E01' : toHex(Buffer.from(await threadExtraInfo(this.vmi, v), 'latin1'));
    }
    if (p.startsWith('qRcmd,')) {
      // `monitor …`: output goes in O packets, then the final reply.
      const output = await monitorCommand(this.vmi, Buffer.from(fromHex(p.slice('qRcmd,'.length))).toString('latin1'), this.current);
      for (let k = 0; k < output.length; k += PACKET_SIZE / 4) this.reply(`O${toHex(Buffer.from(output.slice(k, k + PACKET_SIZE / 4), 'latin1'))}`);
      return 'OK';
    }
    return '';
  }

  /** Hg selects what registers and memory are read from, Hc what a legacy `s` steps. */
  private select(op: string, thread: string): string {
    if (thread === '0' || thread === '-1') return 'OK'; // any thread: keep the selection
    const v = this.vcpuOf(thread);
    if (v === undefined) return 'E01';
    if (op === 'g') this.current = v;
    else this.stepThread = v;
    return 'OK';
  }

  private vcpuOf(thread: string): number | undefined {
    const v = /^[0-9a-f]+$/i.test(thread) ? Number.parseInt(thread, 16) - 1 : -1;
    return v >= 0 && v < this.vmi.info.vcpus ? v : undefined;
  }

  private async dtb(): Promise<bigint> {
    return (await this.registers(this.current)).cr3;
  }

  private async registers(vcpu: number): Promise<Registers> {
    let r = this.regs.get(vcpu);
    if (!r) this.regs.set(vcpu, r = await this.vmi.getRegisters(vcpu));
    return r;
  }

  private async setRegisters(vcpu: number, update: Partial<RegisterUpdate>): Promise<void> {
    this.regs.delete(vcpu);
    await this.vmi.setRegisters(vcpu, update);
  }

  /** M (hex) and X (binary) writes; a write over a breakpoint changes the byte under the int3. */
  private async write(p: string): Promise<string> {
    const colon = p.indexOf(':');
    if (colon < 0) throw new RangeError('a memory write needs ADDR,LENGTH:DATA');
    const [addr, len] = p.slice(1, colon).split(',');
    const data = p[0] === 'M' ? fromHex(p.slice(colon + 1)) : Buffer.from(p.slice(colon + 1), 'latin1');
    if (data.length !== Number.parseInt(len!, 16)) throw new RangeError(`the write says ${len} bytes but carries ${data.length}`);
    const at = parseHexBigInt(addr!);
    if (data.length > 0) await this.vmi.writeVA(at, this.sw.mask(at, data), { dtb: await this.dtb() });
    return 'OK';
  }

  /** Z/z TYPE,ADDR,KIND[;conditions]: insert or remove a breakpoint or watchpoint. */
  private async point(p: string): Promise<string> {
    if (p.includes(';')) return ''; // target-side conditions and commands are not implemented: gdb evaluates them itself
    const [type, addr, kind] = p.slice(1).split(',');
    const insert = p[0] === 'Z', at = parseHexBigInt(addr ?? ''), size = Number.parseInt(kind ?? '', 16);
    if (type === '0') {
      if (insert) await this.sw.insert(at, { dtb: await this.dtb() });
      else await this.sw.remove(at, { dtb: await this.dtb() });
      return 'OK';
    }
    const t = Number(type);
    if (!(t >= PointType.HARDWARE && t <= PointType.ACCESS) || !(size >= 1)) return '';
    const point = { type: t as HardwarePointType, addr: at, length: size };
    if (insert && !this.hw.insert(point)) return 'E01'; // no debug register left: gdb says so
    if (!insert) this.hw.remove(point);
    await this.armDebugRegisters();
    return 'OK';
  }

  /** gdb's points into every vCPU's debug registers (watchpoints are for all threads); the guest's back when none are left. */
  private async armDebugRegisters(): Promise<void> {
    const vcpus = this.vmi.vcpuIds;
    this.guestDebugRegisters ??= await Promise.all(vcpus.map(async (v) => {
      const r = await this.vmi.getRegisters(v);
      return { dr0: r.dr0, dr1: r.dr1, dr2: r.dr2, dr3: r.dr3, dr7: r.dr7 };
    }));
    const saved = this.guestDebugRegisters;
    await Promise.all(vcpus.map((v) => this.setRegisters(v, this.hw.empty ? saved[v]! : this.hw.registers())));
    if (this.hw.empty) this.guestDebugRegisters = undefined;
  }

  private async resume(p: string): Promise<undefined> {
    const plan = parseResume(p, this.vmi.info.vcpus, this.stepThread);
    this.regs.clear();
    await this.exec.resume(plan, (stop) => {
      if (stop.regs) this.regs.set(stop.vcpu, stop.regs);
      if (!this.closed) this.reply(this.stopReply(stop));
    });
    return undefined;
  }

  /** T packet: the signal, the thread (which becomes the current one, as gdb assumes) and why. */
  private stopReply({ vcpu, cause }: Stop): string {
    if (cause.kind === 'exited') return `W${(cause.status & 0xff).toString(16).padStart(2, '0')}`;
    if (cause.kind === 'crashed') return 'X0b';
    this.current = vcpu;
    const signal = cause.kind === 'signal' ? cause.signal : 5;
    const why = cause.kind === 'signal' ? '' : cause.kind === 'swbreak' || cause.kind === 'hwbreak' ? `${cause.kind}:;` : `${cause.kind}:${cause.addr.toString(16)};`;
    return `T${signal.toString(16).padStart(2, '0')}thread:${tid(vcpu)};${why}`;
  }

  /** D, k or a closed connection: remove every breakpoint and let the domain run on. */
  async detach(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const va of this.sw.addresses) await this.sw.remove(va, { dtb: await this.dtb() }).catch(() => {});
    if (!this.hw.empty) { this.hw.clear(); await this.armDebugRegisters().catch(() => {}); }
    const running = await this.exec.cancel().catch(() => true);
    await this.vmi.monitor({ softwareBreakpoint: null, singleStep: null, debugException: null }).catch(() => {});
    this.release();
    if (!running) await this.vmi.resume().catch(() => {});
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
