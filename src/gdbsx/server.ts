/**
 * gdbsx's listener: a TCP port gdb connects to (`target remote HOST:PORT`),
 * one session at a time, on loopback unless told otherwise. A session ends
 * with gdb's detach or its connection; the domain then runs on.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Vmi } from '../introspect/index.js';
import { encodePacket } from './framing.js';
import { GdbSession } from './session.js';

export interface GdbServer {
  readonly port: number;
  /** Stop listening; a connected gdb is cut off and its session detached first (breakpoints out, domain running). */
  close(): Promise<void>;
}

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Called once a session has the domain stopped for gdb, e.g. to let go of a pause held until a debugger came. */
  onAttach?: () => void;
  /** Told when a connection gets no session (see VmiSource), and of a session's own faults. */
  onError?: (e: unknown) => void;
}

/**
 * Where a session's SDK session comes from: one held for the server's life, or one made
 * per gdb connection and closed when gdb goes — so that the domain's controller seat is
 * taken only while a debugger is attached, and other clients may have it meanwhile.
 */
export type VmiSource = Vmi | (() => Promise<Vmi>);

export async function serveGdb(source: VmiSource, opts: ServeOptions = {}): Promise<GdbServer> {
  let live: { socket: Socket; ended: Promise<void> } | undefined;
  const server: Server = createServer((socket) => {
    if (live) { socket.end(); return; } // gdb's remote protocol is one debugger per target
    socket.setNoDelay(true); // a stop reply is one small packet that gdb waits for: no Nagle delay
    let ended!: () => void;
    live = { socket, ended: new Promise((resolve) => { ended = resolve; }) };
    const opened = typeof source === 'function' ? source() : Promise.resolve(source);
    const session = opened.then((vmi) => new GdbSession(vmi, (bytes) => { if (!socket.destroyed) socket.write(bytes); }, opts.onError));
    const ready = session.then(async (s) => { await s.start(); return s; });
    ready.then(() => opts.onAttach?.(), (e: unknown) => {
      // No session (the controller seat is taken, the domain is gone): say why where gdb shows it.
      opts.onError?.(e);
      socket.end(encodePacket(Buffer.from(`E.${e instanceof Error ? e.message : String(e)}`, 'latin1')));
    });
    socket.on('data', (chunk: Buffer) => { void ready.then((s) => s.receive(chunk), () => {}); });
    socket.on('close', () => {
      void ready.then((s) => s.detach(), () => {})
        .then(() => (typeof source === 'function' ? opened.then((vmi) => vmi.close(), () => {}) : undefined))
        .finally(() => { live = undefined; ended(); });
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // server.close waits for open connections: end gdb's, and let its session put the guest back first.
      if (live) { live.socket.destroy(); await live.ended; }
      await closed;
    },
  };
}
