/**
 * Spool append benchmark: 100,000 punches appended durably, two ways, then replayed.
 *   npx tsx benchmarks/spool-append.ts
 * Goal (design): 100k punches in <= 2 s with peak RSS <= 100 MB on a 2-core machine. Printed, never asserted.
 *
 * Each scenario runs in its own child process so its peak RSS (getrusage maxrss) is its own.
 * Baseline: the same bytes written with one write + fdatasync per 1,000 punches and no spool, in the same
 * kind of process, so the ratio shows what the spool's framing, CRC and bookkeeping cost on this disk.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatNaive } from "../sidecar/src/domain/naiveTime.js";
import { makePunch } from "../sidecar/src/domain/punch.js";
import type { Punch } from "../sidecar/src/domain/punch.js";
import { Spool } from "../sidecar/src/spool/spool.js";

const TOTAL = 100_000;
const BATCH = 1_000;

type Scenario = "idle" | "baseline" | "batches" | "concurrent" | "replay";

interface Result {
  scenario: string;
  seconds: number;
  punches: number;
  fsyncs: number;
  /** RSS just before the timed part: Node, tsx's TypeScript loader and the scenario's input punches. */
  startRssMb: number;
  peakRssMb: number;
}

/** Punches as a ZK pull would produce them: 200 users over a few weeks, times via formatNaive. */
function realisticPunches(count: number, from = 0): Punch[] {
  const punches: Punch[] = [];
  for (let n = from; n < from + count; n++) {
    const day = Math.floor(n / 400);
    const minuteOfDay = 7 * 60 + ((n * 37) % (12 * 60));
    const state = n % 2;
    const userId = String(1 + (n % 200)).padStart(4, "0");
    const time = formatNaive({
      year: 2025,
      month: 1 + Math.floor(day / 28),
      day: 1 + (day % 28),
      hour: Math.floor(minuteOfDay / 60),
      minute: minuteOfDay % 60,
      second: n % 60,
    });
    punches.push(
      makePunch({
        device: "ZK-MAIN-GATE",
        userId,
        time,
        state,
        verify: 1,
        raw: `${userId}\t${time}\t${state}\t1\t0\t0`,
      }),
    );
  }
  return punches;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Seconds spent awaiting `work`, so building input punches is not counted against the spool. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function runScenario(scenario: Scenario, dir: string): Promise<Result> {
  if (scenario === "idle") {
    // The floor every row stands on: Node plus tsx's TypeScript loader (the bundled sidecar has no tsx).
    await Promise.resolve(dir);
    return {
      scenario: "idle",
      seconds: 0,
      punches: 0,
      fsyncs: 0,
      startRssMb: rssMb(),
      peakRssMb: peakRssMb(),
    };
  }
  if (scenario === "baseline") {
    const punches = realisticPunches(TOTAL);
    await mkdir(dir, { recursive: true });
    const handle = await open(join(dir, "baseline.jsonl"), "w");
    const startRssMb = rssMb();
    const { seconds } = await timed(async () => {
      for (let i = 0; i < TOTAL; i += BATCH) {
        const lines = punches.slice(i, i + BATCH).map((p) => `${JSON.stringify(p)}\n`);
        await handle.write(lines.join(""));
        await handle.datasync();
      }
    });
    await handle.close();
    const name = "baseline: raw write+fdatasync per 1,000";
    return {
      scenario: name,
      seconds,
      punches: TOTAL,
      fsyncs: TOTAL / BATCH,
      startRssMb,
      peakRssMb: peakRssMb(),
    };
  }

  const spool = await Spool.open(dir);
  const fsyncsBefore = spool.stats().fsyncs;
  let name: string;
  let punches = 0;
  let seconds = 0;
  let startRssMb: number;
  if (scenario === "batches") {
    name = "append: batches of 1,000 (pull)";
    startRssMb = rssMb();
    for (let i = 0; i < TOTAL; i += BATCH) {
      // Built per batch, as a driver hands them over; only the append is timed.
      const batch = realisticPunches(BATCH, i);
      const run = await timed(() => spool.append(batch));
      seconds += run.seconds;
      punches += run.value.length;
    }
  } else if (scenario === "concurrent") {
    name = "append: 100,000 concurrent single-punch calls";
    const all = realisticPunches(TOTAL, TOTAL);
    startRssMb = rssMb();
    const run = await timed(() => Promise.all(all.map((punch) => spool.append([punch]))));
    seconds = run.seconds;
    punches = run.value.length;
  } else {
    startRssMb = rssMb();
    const run = await timed(async () => {
      let count = 0;
      for await (const entry of spool.pending()) if (entry.seq > 0) count++;
      return count;
    });
    seconds = run.seconds;
    punches = run.value;
    name = `replay: pending() of all ${punches.toLocaleString("en-US")} entries`;
  }
  const fsyncs = spool.stats().fsyncs - fsyncsBefore;
  await spool.close();
  return { scenario: name, seconds, punches, fsyncs, startRssMb, peakRssMb: peakRssMb() };
}

function runInChild(scenario: Scenario, dir: string): Result {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--scenario", scenario, dir],
    { encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(`scenario ${scenario} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as Result;
}

function printTable(results: readonly Result[]): void {
  const rows = results.map((r) => [
    r.scenario,
    r.seconds.toFixed(3),
    Math.round(r.punches / r.seconds).toLocaleString("en-US"),
    String(r.fsyncs),
    r.peakRssMb.toFixed(1),
    r.startRssMb.toFixed(1),
  ]);
  const header = ["scenario", "seconds", "punches/s", "fsyncs", "peak RSS MB", "RSS at start MB"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const scenarioFlag = process.argv.indexOf("--scenario");
  if (scenarioFlag >= 0) {
    const result = await runScenario(
      process.argv[scenarioFlag + 1] as Scenario,
      process.argv[scenarioFlag + 2]!,
    );
    console.log(JSON.stringify(result));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "bsync-spool-bench-"));
  try {
    const idle = runInChild("idle", dir);
    const baseline = runInChild("baseline", join(dir, "baseline"));
    await rm(join(dir, "baseline"), { recursive: true, force: true }).catch(() => undefined);
    const spoolDir = join(dir, "spool");
    const results = [baseline, runInChild("batches", spoolDir), runInChild("concurrent", spoolDir)];
    results.push(runInChild("replay", spoolDir));
    console.log(
      `spool benchmark: ${TOTAL.toLocaleString("en-US")} punches per scenario, Node ${process.version}`,
    );
    printTable(results);
    const verdict = (r: Result): string =>
      `${r.seconds <= 2 ? "time met" : "time NOT met"}, ${r.peakRssMb <= 100 ? "RSS met" : "RSS NOT met"}`;
    const [, batches, concurrent] = results as [Result, Result, Result];
    console.log(`runtime floor (Node + tsx loader, no work): ${idle.peakRssMb.toFixed(1)} MB peak RSS`);
    console.log(`ratio batches/baseline: ${(batches.seconds / baseline.seconds).toFixed(2)}x time`);
    console.log(`goal (<= 2 s, <= 100 MB): batches ${verdict(batches)}; concurrent ${verdict(concurrent)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
