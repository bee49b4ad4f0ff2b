/**
 * gdb's `monitor …` commands (qRcmd) and the thread descriptions of `info
 * threads` (qThreadExtraInfo): the hypervisor's view of the vCPUs, as QEMU's
 * gdbstub offers its monitor and bhyvectl its statistics.
 */
import { cpuMode, EventType, formatTrace, VcpuState, type Registers, type Vmi } from '../introspect/index.js';

const HELP = `tsvmi gdbsx monitor commands:
  vcpus           each vCPU's state, mode, RIP and retired instructions
  nmi [VCPU|all]  inject an NMI (default: the current thread's vCPU)
  stats           per-vCPU exits by reason, events, injections
  trace [N]       the last N (default 20) entries of the vCPUs' trace logs
  help            this text
`;

const STATE: Readonly<Record<number, string>> = {
  [VcpuState.VCPU_STATE_RUNNING]: 'running', [VcpuState.VCPU_STATE_PAUSED]: 'paused',
  [VcpuState.VCPU_STATE_HALTED]: 'halted', [VcpuState.VCPU_STATE_WAIT_FOR_SIPI]: 'waiting for SIPI',
};

/** The output of one monitor command line; mistakes are output too, which gdb prints. */
export async function monitorCommand(vmi: Vmi, line: string, current: number): Promise<string> {
  const [cmd = '', arg] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'vcpus': return vcpus(vmi);
    case 'nmi': {
      const targets = arg === 'all' ? [...vmi.vcpuIds] : [arg === undefined ? current : Number(arg)];
      if (!targets.every((v) => Number.isInteger(v) && v >= 0 && v < vmi.info.vcpus)) return `no vCPU '${arg}'\n`;
      for (const v of targets) await vmi.inject(v, { vector: 2, type: EventType.EVENT_TYPE_NMI });
      return `NMI injected into vCPU ${targets.join(', ')}: delivered when it next runs\n`;
    }
    case 'stats': return stats(vmi);
    case 'trace': {
      const limit = arg === undefined ? 20 : Number(arg);
      if (!Number.isInteger(limit) || limit < 1) return `trace takes a positive count, not '${arg}'\n`;
      const entries = await vmi.traceLog({ limit });
      return entries.length ? `${formatTrace(entries)}\n` : '';
    }
    case 'help': case '': return HELP;
    default: return `unknown monitor command '${cmd}'\n${HELP}`;
  }
}

async function vcpus(vmi: Vmi): Promise<string> {
  const { vcpuStats } = await vmi.status();
  const rows = await Promise.all(vcpuStats.map(async (s) => {
    const r = await vmi.getRegisters(s.vcpu);
    return `vCPU ${s.vcpu}: ${STATE[s.state] ?? 'unknown'}, ${modeText(r)}, rip 0x${r.rip.toString(16)}, ${s.retiredInstructions} instructions\n`;
  }));
  return rows.join('');
}

async function stats(vmi: Vmi): Promise<string> {
  const { vcpuStats } = await vmi.status();
  return vcpuStats.map((s) => {
    const exits = Object.entries(s.exitsByReason).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `    ${k.padEnd(18)} ${n}\n`).join('');
    return `vCPU ${s.vcpu}: ${s.retiredInstructions} instructions, ${s.exits} exits, ${s.events} events, ${s.injected} injected (${s.nmiInjected} NMIs)\n${exits}`;
  }).join('');
}

/** `info threads`' description of a vCPU: its hypervisor state and processor mode. */
export async function threadExtraInfo(vmi: Vmi, vcpu: number): Promise<string> {
  const [{ vcpuStats }, r] = await Promise.all([vmi.status(), vmi.getRegisters(vcpu)]);
  const state = vcpuStats[vcpu]?.state;
  return `vCPU ${vcpu}, ${state === undefined ? 'unknown' : STATE[state] ?? 'unknown'}, ${modeText(r)}`;
}

/** The processor mode, as gdb users read it: "64-bit mode", "real mode". */
const modeText = (r: Registers): string => `${cpuMode(r)} mode`;
