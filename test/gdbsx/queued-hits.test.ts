/**
 * Seed 001 (bhyve's stub): when several vCPUs hit breakpoints at once, the
 * first is the stop and the others are kept per vCPU, reported one per resume
 * — and a kept hit whose breakpoint gdb removed is dropped, never reported.
 * Driven over the wire (no gdb: it would hide what the stub sends) on the demo
 * OS with four vCPUs and a breakpoint on the trap dispatcher they all run.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodePacket } from '../../src/gdbsx/framing.js';
import { serveGdb } from '../../src/gdbsx/server.js';
import { Vmi } from '../../src/introspect/vmi.js';
import { LocalLink } from '../../src/monitor/local-link.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { boot, kernelSymbol, OS } from '../support/demo-os.js';

/** A bare RSP client in no-ack mode: send a packet, get the next reply's payload. */
class Rsp {
  private buf = '';
  private waiter: ((p: string) => void) | undefined;
  private readonly replies: string[] = [];
  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1').on('data', (d: string) => {
      this.buf += d;
      for (let m; (m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buf));) {
        this.buf = this.buf.slice(m.index + m[0].length);
        if (this.waiter) { const w = this.waiter; this.waiter = undefined; w(m[1]!); } else this.replies.push(m[1]!);
      }
    });
  }
  next(timeoutMs = 20_000): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), timeoutMs);
      this.waiter = (p) => { clearTimeout(t); resolve(p); };
    });
  }
  send(p: string): void { this.socket.write(encodePacket(Buffer.from(p, 'latin1'))); }
  ask(p: string): Promise<string> { this.send(p); return this.next(); }
  interrupt(): void { this.socket.write(Uint8Array.of(3)); }
}

describe('gdbsx kept breakpoint hits (seed 001)', function () {
  this.timeout(60_000);

  it('reports each hit once per resume on its own thread, and drops kept hits of a removed breakpoint', async () => {
    const { domain, serial } = boot(join(OS, 'kernel.elf'), 4);
    while (!serial().includes('sched: init started')) await domain.run(domain.instructions + 20_000);
    const vmi = await Vmi.attach(new LocalLink(new Monitor(domain)));
    const server = await serveGdb(vmi);
    const running = domain.runForever();
    const socket = connect(server.port, '127.0.0.1');
    const gdb = new Rsp(socket);
    socket.write('+');
    assert.equal(await gdb.ask('QStartNoAckMode'), 'OK');
    socket.setEncoding('latin1');
    const at = kernelSymbol('trap_dispatch').va;
    assert.equal(await gdb.ask(`Z0,${at.toString(16)},1`), 'OK');
    const threads = new Set<string>();
    for (let k = 0; k < 40; k++) {
      const stop = await gdb.ask('vCont;c');
      const m = /^T05thread:([0-9a-f]+);swbreak:;$/.exec(stop);
      assert.ok(m, `a breakpoint stop, with its thread: ${stop}`);
      threads.add(m[1]!);
      assert.equal(await gdb.ask(`Hg${m[1]}`), 'OK');
      const rip = BigInt(`0x${Buffer.from((await gdb.ask('p10')).match(/../g)!.reverse().join(''), 'hex').toString('hex')}`);
      assert.equal(rip, at, 'that thread is on the breakpoint');
      // gdb's step-over: remove, step that thread alone, put back
      assert.equal(await gdb.ask(`z0,${at.toString(16)},1`), 'OK');
      assert.match(await gdb.ask(`vCont;s:${m[1]}`), new RegExp(`^T05thread:${m[1]};$`));
      assert.equal(await gdb.ask(`Z0,${at.toString(16)},1`), 'OK');
    }
    assert.ok(threads.size >= 2, `hits on threads ${[...threads]}`);
    // Hits kept from the last resume belong to a breakpoint that is now removed: none may be reported.
    assert.equal(await gdb.ask(`z0,${at.toString(16)},1`), 'OK');
    gdb.send('vCont;c');
    await new Promise((r) => setTimeout(r, 300));
    gdb.interrupt();
    assert.match(await gdb.next(), /^T02thread:[0-9a-f]+;$/, 'the only stop is the interrupt');
    assert.equal(await gdb.ask('D'), 'OK');
    socket.end();
    const outcome = await running;
    assert.deepEqual(outcome.kind === 'exit' ? outcome.status : outcome, 1);
    await server.close();
  });
});
