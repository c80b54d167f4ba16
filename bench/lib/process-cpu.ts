import { readFileSync } from 'node:fs';

/** Linux reports /proc times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const USER_HZ = 100;

/**
 * CPU seconds (user + system, all threads) another process has used so far, from
 * `/proc/<pid>/stat`; `null` where there is no /proc. Less sensitive to other processes on the
 * machine than a rate: it counts the work, not the time waited for a core.
 */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), 1-based in proc(5): utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
  }
}

/** CPU seconds this process (every thread) uses while `work` runs. */
export async function ownCpuSeconds(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
