import { readFileSync } from 'node:fs';

/** Resident memory of a process in MiB, from `/proc/<pid>/status` (`VmRSS`); `NaN` where there is no `/proc` or no such process. */
export function residentMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
