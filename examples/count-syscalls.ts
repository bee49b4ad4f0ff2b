import { Breakpoints, connect, loadProfile } from 'tsvmi/introspect';

const profile = loadProfile('guests/build/os/kernel.elf');
const conn = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222' });
const vmi = await conn.attach('demo', { profile });
const counts = new Map<string, number>();
const bps = new Breakpoints(vmi);
await bps.insert(profile.syscallEntry, 'kernel', async (hit) => {
  const p = (await vmi.processes()).find((x) => x.dtb === hit.regs.cr3);
  const key = p ? `${p.pid} ${p.name}` : '?';
  counts.set(key, (counts.get(key) ?? 0) + 1);
});
await new Promise((r) => setTimeout(r, Number(process.env['SECONDS'] ?? 10) * 1000));
await bps.removeAll();
console.table([...counts].map(([process, syscalls]) => ({ process, syscalls })));
await conn.close();
