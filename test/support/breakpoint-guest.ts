/**
 * The smallest guest that hits breakpoints: every vCPU spins on `L: int3; jmp L`
 * in flat 32-bit protected mode, with an IDT whose #BP handler is a bare IRET.
 * A `reinject` reply runs that handler and the loop goes on; a `drop` reply
 * injects nothing and leaves RIP on the int3 (the VM exit's RIP for a #BP), so
 * the vCPU retries whatever instruction is at CODE by then. For the monitor's
 * tests and bench:monitor.
 */
import { enterFlat32 } from '../../src/hypervisor/cpu/reset.js';
import { installBootGdt } from '../../src/hypervisor/vm/boot-gdt.js';
import { Domain } from '../../src/hypervisor/vm/domain.js';

export const CODE = 0x10000;
/** Free space for a test's own #DB handler, and the IDT to point at it. */
export const DB_HANDLER = 0x10200, IDT = 0x11000;
const HANDLER = 0x10100, GDT = 0x12000, STACKS = 0x20000;

export function breakpointDomain(vcpus: number, name = 'bench', vendor: 'intel' | 'amd' = 'intel'): Domain {
  const d = new Domain({ name, vcpus, memMiB: 4, vendor });
  const m = d.mem;
  [0xcc, 0xeb, 0xfd].forEach((b, k) => m.write8(CODE + k, b)); // L: int3; jmp L
  m.write8(HANDLER, 0xcf); // iretd
  m.write32(IDT + 3 * 8, (0x08 << 16) | (HANDLER & 0xffff)); // #BP: 32-bit interrupt gate (SDM Vol. 3A §6.11)
  m.write32(IDT + 3 * 8 + 4, (HANDLER & 0xffff0000) | 0x8e00);
  d.vcpus.forEach((v, k) => {
    const c = v.cpu;
    enterFlat32(c);
    installBootGdt(c, m, GDT);
    c.idtBase = IDT; c.idtLimit = 0x7ff;
    c.rip = CODE;
    c.lo[4] = STACKS + (k + 1) * 0x1000; // ESP
    v.state = d.bsp.state; // every vCPU starts at the loop (no INIT/SIPI: this is not an OS)
  });
  return d;
}
