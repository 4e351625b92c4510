import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatNaive } from "../../../sidecar/src/domain/naiveTime.js";
import { makePunch } from "../../../sidecar/src/domain/punch.js";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import type { SpoolLogger } from "../../../sidecar/src/spool/spoolLogger.js";

/** A distinct, realistic punch for each `n` (user ids keep their leading zeros). */
export function testPunch(n: number, device = "GATE-1"): Punch {
  const seconds = n % 86_400;
  return makePunch({
    device,
    userId: String(100 + (n % 500)).padStart(4, "0"),
    time: formatNaive({
      year: 2025,
      month: 1 + (Math.floor(n / 86_400) % 12),
      day: 1 + (Math.floor(n / 86_400 / 12) % 28),
      hour: Math.floor(seconds / 3600),
      minute: Math.floor(seconds / 60) % 60,
      second: seconds % 60,
    }),
    state: n % 2,
    verify: 1,
    raw: `${n}\t${n % 2}\t1\t0`,
  });
}

export function testPunches(from: number, count: number, device?: string): Punch[] {
  return Array.from({ length: count }, (_, i) => testPunch(from + i, device));
}

export interface RecordingLogger extends SpoolLogger {
  readonly warnings: Array<{ obj: Record<string, unknown>; msg: string }>;
}

export function recordingLogger(): RecordingLogger {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  return {
    warnings,
    warn(obj, msg) {
      warnings.push({ obj: obj as Record<string, unknown>, msg });
    },
    info() {},
  };
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bsync-spool-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
