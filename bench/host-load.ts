/**
 * How busy the host was with other work during a benchmark: wall-clock
 * numbers are only as good as the host is quiet, and these machines are
 * shared (2 vCPUs; other builds and tests run alongside). Linux /proc only.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of the times in /proc/stat and /proc/<pid>/stat. */
const HZ = 100;

/** CPU seconds the whole host spent busy (everything but idle and iowait). */
function hostBusySeconds(): number {
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const t = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.split(/\s+/).slice(1, 9).map(Number);
  return (t.reduce((a, b) => a + b, 0) - t[3]! - t[4]!) / HZ;
}

/** CPU seconds of one process and its reaped children (utime, stime, cutime, cstime). */
function processCpuSeconds(pid: number | 'self'): number {
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return fields.slice(11, 15).map(Number).reduce((a, b) => a + b, 0) / HZ;
}

/**
 * Start measuring; the returned function gives the average number of cores
 * that processes other than this one and `ownPids` kept busy since. The
 * pids must stay alive until it is called.
 */
export function otherLoadMeter(ownPids: readonly number[] = []): () => number {
  const own = (): number => processCpuSeconds('self') + ownPids.reduce((a, pid) => a + processCpuSeconds(pid), 0);
  const start = process.hrtime.bigint(), host0 = hostBusySeconds(), own0 = own();
  return () => {
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const other = (hostBusySeconds() - host0) - (own() - own0);
    return Number(Math.max(0, other / wall).toFixed(2));
  };
}
