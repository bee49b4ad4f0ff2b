/**
 * The ring-0 self-test kernel (guests/selftest) checks the emulated machine
 * from inside: modes, exceptions and their error codes, IST, #DF, privilege
 * changes, SYSCALL/SYSRET, MSRs, paging, I/O, descriptor tables, ACPI,
 * fw_cfg, the APIC timer, IPIs, NMI blocking, AP start-up. QEMU runs the same
 * image: both must print the same result lines, and all must pass.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bootTsvmi } from '../../support/boot.js';
import { runQemu } from '../../support/qemu.js';

const DIR = join(process.cwd(), 'guests/build/selftest');

/** The result lines, without the firmware noise QEMU prints first. */
const results = (serial: string): string[] => serial.split(/\r?\n/).filter((l) => l.startsWith('selftest: '));
const nameOf = (line: string): string => line.slice('selftest: '.length).split(':')[0]!;

/**
 * Where QEMU 7.2's TCG is known to be wrong and tsvmi right. Each entry says
 * why; the test demands that QEMU still shows the deviation, so that a fixed
 * QEMU makes this list shrink rather than hide a regression.
 */
const TCG_DEVIATIONS: Record<string, string> = {
  'exc-ss-noncanonical': 'a non-canonical stack reference is #SS(0), not #GP(0) (SDM Vol. 2B "MOV", 64-bit mode exceptions)',
  'exc-pf-rsvd': 'a reserved-bit #PF has P set in its error code (SDM Vol. 3A §4.7: RSVD is reported for present entries)',
  'ring3-gp': 'INT n through a DPL 0 gate is #GP(vector * 8 + 2), not vector * 16 + 2 (SDM Vol. 3A §6.13; QEMU issue #1382, fixed in 8.0)',
  'msr-tsc': 'RDMSR of IA32_TSC reads the time-stamp counter, not 0 (SDM Vol. 3B §17.17)',
  'x2apic': 'TCG has no x2APIC model; tsvmi has one (SDM Vol. 3A §10.12)',
  'dbg-icebp': 'INT1 (F1) is a trap-like #DB delivered as a privileged software exception, not #UD (SDM Vol. 2 "INT n/INTO/INT3/INT1")',
  'dbg-step-sti': 'STI holds off interrupts, not the single-step trap of the next instruction (SDM Vol. 3A §6.8.3)',
  'dbg-gd': 'DR7.GD makes any debug-register access a #DB fault with DR6.BD, and clears GD (SDM Vol. 3B §17.2.4)',
  'dbg-dr6-sticky': 'a stepped store that hits a data breakpoint raises one #DB with BS and B1, not a second one in the handler: the two are one priority class (SDM Vol. 3A §6.9 table 6-2, Vol. 3B §17.2.3)',
  'dbg-movss-databp': 'a data breakpoint hit by MOV SS is reported after the next instruction (SDM Vol. 3A §6.8.3)',
};

describe('self-test kernel', () => {
  for (const [smp, vendor] of [[1, 'intel'], [2, 'intel'], [2, 'amd']] as const) {
    it(`passes every check on tsvmi (${vendor}), and QEMU TCG agrees but for its documented bugs (${smp} CPU${smp > 1 ? 's' : ''})`, async () => {
      const ours = await bootTsvmi(join(DIR, 'selftest-pvh.elf'), { vcpus: smp, vendor });
      const lines = results(ours.serial);
      const failed = lines.filter((l) => l.includes(': FAIL'));
      assert.deepEqual(failed, [], 'failures on tsvmi');
      assert.match(lines[lines.length - 1] ?? '', /summary: \d+ passed, 0 failed/);
      assert.deepEqual(ours.outcome.kind === 'exit' ? ours.outcome.status : ours.outcome, 1);
      // -cpu max: the default qemu64 model lacks RDTSCP and 1 GiB pages, which tsvmi has.
      const qemu = results(runQemu(join(DIR, 'selftest-pvh.elf'), { smp, cpu: 'max' }).serial);
      assert.deepEqual(qemu.map(nameOf), lines.map(nameOf), 'the same checks in the same order');
      qemu.forEach((q, k) => {
        const name = nameOf(q);
        if (name === 'summary') return;
        if (name in TCG_DEVIATIONS) assert.match(q, /: (FAIL|skip)/, `QEMU now agrees on ${name}: drop it from TCG_DEVIATIONS`);
        else assert.equal(q, lines[k], `QEMU and tsvmi disagree on ${name}`);
      });
    });
  }

  it('boots through Multiboot v1 with the same results, apart from the protocol line', async () => {
    const pvh = results((await bootTsvmi(join(DIR, 'selftest.elf'))).serial);
    const mb = results((await bootTsvmi(join(DIR, 'selftest-mb.elf'))).serial);
    const strip = (ls: string[]): string[] => ls.filter((l) => !l.startsWith('selftest: boot'));
    assert.ok(mb.some((l) => /boot.*multiboot/.test(l)), mb.join('\n'));
    assert.deepEqual(strip(mb), strip(pvh));
  });

  it('reports a triple fault as a crash of the vCPU, and the host carries on', async () => {
    const { outcome } = await bootTsvmi(join(DIR, 'triplefault.elf'));
    assert.equal(outcome.kind, 'crash');
    if (outcome.kind === 'crash') {
      assert.equal(outcome.crash.reason, 'triple fault');
      assert.match(outcome.registers, /rip=/);
    }
  });
});
