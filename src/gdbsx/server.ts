/**
 * gdbsx's listener: a TCP port gdb connects to (`target remote HOST:PORT`),
 * one session at a time, on loopback unless told otherwise. A session ends
 * with gdb's detach or its connection; the domain then runs on.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Vmi } from '../introspect/index.js';
import { GdbSession } from './session.js';

export interface GdbServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveGdb(vmi: Vmi, opts: { host?: string; port?: number } = {}): Promise<GdbServer> {
  let busy = false;
  const server: Server = createServer((socket) => {
    if (busy) { socket.end(); return; } // gdb's remote protocol is one debugger per target
    busy = true;
    const session = new GdbSession(vmi, (bytes) => { if (!socket.destroyed) socket.write(bytes); });
    const ready = session.start();
    socket.on('data', (chunk: Buffer) => { void ready.then(() => session.receive(chunk)); });
    socket.on('close', () => { void session.detach().finally(() => { busy = false; }); });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
