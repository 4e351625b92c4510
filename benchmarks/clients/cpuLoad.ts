// How busy this machine's CPUs were between two moments, from Linux's /proc/stat: the history benchmark runs on
// the bench's own machine, so this is the load of the processing being timed (workers, MariaDB and the rest).
// It shows whether a run was bound by the CPUs (two workers on two cores) or waited on something else.
// Asserts nothing; undefined where /proc/stat cannot be read (not Linux).
import { readFileSync } from "node:fs";

export interface CpuTicks {
  /** Ticks spent busy (all but idle and iowait), summed over the CPUs. */
  busy: number;
  /** All ticks, summed over the CPUs. */
  total: number;
  cpus: number;
}

export function cpuTicks(): CpuTicks | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const lines = stat.split("\n");
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is inside user already.
  const fields = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = fields[3]! + fields[4]!;
  const cpus = lines.filter((line) => /^cpu\d+ /.test(line)).length;
  return { busy: total - idle, total, cpus };
}

/** The CPUs busy on average between two readings (0 to the machine's CPU count), or undefined. */
export function coresBusy(from: CpuTicks | undefined, to: CpuTicks | undefined): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.cpus * (to.busy - from.busy)) / (to.total - from.total);
}
