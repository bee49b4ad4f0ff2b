/** The vCPUs' trace logs as text (`vmi.traceLog`, `tsvmi trace`, gdb's `monitor trace`). */

/** ktrdump -cto style, a line per entry: index, cpu, timestamp (guest time), message. Entries come in log order. */
export function formatTrace(entries: ReadonlyArray<{ vcpu: number; icount: number | bigint; message: string }>): string {
  return entries.map((e, k) => `${String(k).padStart(6)} ${String(e.vcpu).padStart(3)} ${String(e.icount).padStart(14)} ${e.message}`).join('\n');
}
