/**
 * ADMS push load: N simulated terminals push ATTLOG batches and poll getrequest against the sidecar's ADMS
 * server, whose sink is a real durable Spool (fsync'd) in a temp dir.
 *   npx tsx benchmarks/adms-load.ts            (N = 50, 200, 500)
 *   npx tsx benchmarks/adms-load.ts 500        (one N)
 * Goal (issue 5): at N = 500, p99 reply latency < 100 ms, >= 5,000 punches/s stored durably, nothing lost.
 * Printed, never asserted.
 *
 * Each N runs in its own process (the server, the spool: its peak RSS is what is reported), and the
 * terminals run in a second process, so the server gets a core of its own as it would in production (the
 * terminals are separate machines). Every terminal starts with a backlog (as after a network outage, the
 * worst case: all of them uploading at once) of `batch`-record uploads, resent until OK, and polls
 * getrequest every Delay (2 s) throughout. Latency is measured by the terminals: request sent → reply read.
 * "Lost" compares the spool's contents, read back from disk after the run, with every punch the terminals
 * hold.
 */
import { spawn, spawnSync } from "node:child_process";
import { Agent } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { epochMsToNaive } from "../sidecar/src/domain/naiveTime.js";
import type { Punch } from "../sidecar/src/domain/punch.js";
import { AdmsServer } from "../sidecar/src/drivers/adms/admsServer.js";
import { Spool } from "../sidecar/src/spool/spool.js";
import { StateStore } from "../sidecar/src/spool/stateStore.js";
import { AdmsTerminal, type TerminalPunch } from "../test/simulators/adms/admsTerminal.js";

type Mode = "paced" | "backlog";

/** Steady load offered by all terminals together, punches/s (twice the goal's 5,000). */
const PACED_RATE = 10_000;
const PACED_SECONDS = 10;
/** Backlog mode: every terminal starts holding this share of 100k punches. */
const BACKLOG_TOTAL = 100_000;
const BATCH = 100;

/** Records per terminal in a run. */
function recordsFor(n: number, mode: Mode): number {
  return mode === "paced" ? Math.round((PACED_RATE / n) * PACED_SECONDS) : Math.round(BACKLOG_TOTAL / n);
}

interface TerminalReport {
  readonly attlog: Summary;
  readonly poll: Summary;
  readonly handshake: Summary;
  readonly all: Summary;
  readonly nonOk: number;
  readonly networkErrors: number;
  readonly uploadSeconds: number;
  readonly peakRssMb: number;
}

interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface RunResult {
  readonly mode: Mode;
  readonly n: number;
  readonly punches: number;
  readonly seconds: number;
  readonly stored: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly fsyncs: number;
  /** Server side: spool.append (write + fsync, shared by concurrent uploads) per upload. */
  readonly append: Summary;
  readonly serverPeakRssMb: number;
  readonly terminals: TerminalReport;
}

/** The punches terminal `t` holds: deterministic, so the server side can check the spool against them. */
function terminalPunches(t: number, count: number): TerminalPunch[] {
  const start = Date.UTC(2026, 0, 5, 2, 0, 0) + t * 1000;
  return Array.from({ length: count }, (_, i) => ({
    userId: String(1 + ((t * 7 + i) % 300)).padStart(4, "0"),
    time: epochMsToNaive(start + i * 31_000),
    state: i % 2,
    verify: 1,
  }));
}

const serial = (t: number): string => `BENCH${String(t).padStart(5, "0")}`;

function summarize(values: number[]): Summary {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: values.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/**
 * Child: N terminals against host:port until every record is acknowledged. Paced: punches happen at
 * PACED_RATE in total, each terminal getting its share once a second (at its own phase), and it pushes
 * them at once (Realtime). Backlog: every terminal starts with its records and uploads them back to back.
 */
async function runTerminals(n: number, port: number, mode: Mode): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const latencies = {
    attlog: [] as number[],
    poll: [] as number[],
    handshake: [] as number[],
    all: [] as number[],
  };
  const count = recordsFor(n, mode);
  const all = Array.from({ length: n }, (_, t) => terminalPunches(t, count));
  const terminals = Array.from(
    { length: n },
    (_, t) =>
      new AdmsTerminal({
        host: "127.0.0.1",
        port,
        serialNumber: serial(t),
        punches: mode === "backlog" ? all[t] : [],
        batchSize: BATCH,
        errorDelayMs: 1_000,
        requestTimeoutMs: 30_000,
        agent,
        onReply: (kind, ms) => {
          latencies.all.push(ms);
          if (kind === "attlog") latencies.attlog.push(ms);
          if (kind === "poll") latencies.poll.push(ms);
          if (kind === "handshake") latencies.handshake.push(ms);
        },
      }),
  );
  // Terminals are independent machines: they come up (and then poll) spread over two seconds, not in lockstep.
  // Backlog: the clock starts with the first terminal (it uploads as soon as it has handshaken).
  let started = performance.now();
  terminals.forEach((terminal, t) => setTimeout(() => terminal.start(), Math.floor((t * 2000) / n)));
  await new Promise((r) => setTimeout(r, 2_000));
  while (!terminals.every((t) => t.settings !== null)) await new Promise((r) => setTimeout(r, 20));
  if (mode === "paced") started = performance.now();
  if (mode === "paced") {
    const perSecond = count / PACED_SECONDS;
    const phase = terminals.map((_, t) => Math.floor((t * 1000) / n));
    const fed = terminals.map(() => 0);
    while (fed.some((f) => f < count)) {
      const elapsed = performance.now() - started;
      terminals.forEach((terminal, t) => {
        // Punches due by now: the terminal's share each second, from its own phase on.
        const seconds = elapsed < phase[t]! ? 0 : Math.floor((elapsed - phase[t]!) / 1000) + 1;
        const due = Math.min(count, Math.round(perSecond * seconds));
        if (due > fed[t]!) {
          terminal.punch(...all[t]!.slice(fed[t], due));
          fed[t] = due;
        }
      });
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  while (!terminals.every((t) => t.idle)) await new Promise((r) => setTimeout(r, 10));
  const uploadSeconds = (performance.now() - started) / 1000;
  // Keep polling a little so getrequest latency is measured once uploads are done, too.
  await new Promise((r) => setTimeout(r, 2_500));
  await Promise.all(terminals.map((t) => t.stop()));
  agent.destroy();
  const report: TerminalReport = {
    attlog: summarize(latencies.attlog),
    poll: summarize(latencies.poll),
    handshake: summarize(latencies.handshake),
    all: summarize(latencies.all),
    nonOk: terminals.reduce((sum, t) => sum + t.stats.nonOkReplies, 0),
    networkErrors: terminals.reduce((sum, t) => sum + t.stats.networkErrors, 0),
    uploadSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** One N: server + spool here, terminals in a child process. */
async function runServer(n: number, mode: Mode): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "adms-load-"));
  try {
    const spool = await Spool.open(join(dir, "spool"));
    const state = await StateStore.open(join(dir, "state"));
    let stored = 0;
    const appendMs: number[] = [];
    const server = new AdmsServer({
      host: "127.0.0.1",
      port: 0,
      devices: Array.from({ length: n }, (_, t) => ({
        serialNumber: serial(t),
        deviceName: `Gate ${t}`,
        timeZone: "Asia/Kolkata",
      })),
      sink: {
        append: async (punches: readonly Punch[]) => {
          const began = performance.now();
          await spool.append(punches);
          appendMs.push(performance.now() - began);
          stored += punches.length;
        },
      },
      state,
      handshake: { delaySeconds: 2, errorDelaySeconds: 1 },
    });
    const { port } = await server.start();
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--terminals", String(n), String(port), mode],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`terminals exited with ${code}`);
    const terminals = JSON.parse(out.trim().split("\n").pop()!) as TerminalReport;
    const fsyncs = spool.stats().fsyncs;
    await server.stop();
    await state.close();
    await spool.close();
    const wall = (performance.now() - started) / 1000;
    void wall;

    // Read the spool back from disk and compare with every punch the terminals hold.
    const reopened = await Spool.open(join(dir, "spool"));
    const seen = new Map<string, number>();
    let entries = 0;
    for await (const entry of reopened.pending()) {
      entries++;
      const key = `${entry.punch.device}|${entry.punch.user_id}|${entry.punch.time}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    await reopened.close();
    let lost = 0;
    const count = recordsFor(n, mode);
    for (let t = 0; t < n; t++)
      for (const p of terminalPunches(t, count)) if (!seen.has(`Gate ${t}|${p.userId}|${p.time}`)) lost++;
    const result: RunResult = {
      mode,
      n,
      punches: n * count,
      seconds: terminals.uploadSeconds,
      stored,
      lost,
      duplicates: entries - seen.size,
      fsyncs,
      append: summarize(appendMs),
      serverPeakRssMb: process.resourceUsage().maxRSS / 1024,
      terminals,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runOne(n: number, mode: Mode): RunResult {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--server", String(n), mode],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (child.status !== 0) throw new Error(`run N=${n} (${mode}) failed`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as RunResult;
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}

async function main(): Promise<void> {
  const [flag, a, b, c] = process.argv.slice(2);
  if (flag === "--terminals") return runTerminals(Number(a), Number(b), c as Mode);
  if (flag === "--server") return runServer(Number(a), b as Mode);
  const sizes = flag ? [Number(flag)] : [50, 200, 500];
  console.log(
    "ADMS push load against the sidecar's push server; sink: a durable Spool (fsync before every OK).",
  );
  console.log(
    "Latency: request sent → reply read, measured by the terminals (ATTLOG uploads and getrequest polls).",
  );
  console.log(
    "RSS: peak of the server process. Lost: punches the terminals hold that are not in the spool on disk.\n",
  );
  const header = [
    "N",
    "punches",
    "seconds",
    "punches/s",
    "p50 ms",
    "p99 ms",
    "ATTLOG p99",
    "poll p99",
    "hshake p99",
    "max ms",
    "lost",
    "dups",
    "non-OK",
    "net err",
    "fsyncs",
    "fsync p99",
    "RSS MB",
  ];
  const widths = [5, 8, 8, 10, 7, 7, 11, 9, 11, 7, 5, 5, 7, 8, 7, 10, 7];
  const table = (mode: Mode, title: string): void => {
    console.log(title);
    console.log(header.map((h, i) => pad(h, widths[i]!)).join(" "));
    for (const n of sizes) {
      const r = runOne(n, mode);
      const row = [
        String(r.n),
        String(r.punches),
        r.seconds.toFixed(1),
        String(Math.round(r.stored / r.seconds)),
        r.terminals.all.p50.toFixed(1),
        r.terminals.all.p99.toFixed(1),
        r.terminals.attlog.p99.toFixed(1),
        r.terminals.poll.p99.toFixed(1),
        r.terminals.handshake.p99.toFixed(1),
        r.terminals.all.max.toFixed(0),
        String(r.lost),
        String(r.duplicates),
        String(r.terminals.nonOk),
        String(r.terminals.networkErrors),
        String(r.fsyncs),
        r.append.p99.toFixed(1),
        r.serverPeakRssMb.toFixed(0),
      ];
      console.log(row.map((cell, i) => pad(cell, widths[i]!)).join(" "));
    }
    console.log("");
  };
  table(
    "paced",
    `Steady: ${PACED_RATE} punches/s offered in total for ${PACED_SECONDS} s, each terminal pushing its share once a second, polling every 2 s`,
  );
  table(
    "backlog",
    `Catch-up: every terminal starts with ${BACKLOG_TOTAL}/N punches (after an outage) and uploads ${BATCH}-record batches back to back`,
  );
  console.log(
    "fsync p99 = server side: spool.append (write + fsync, shared by the uploads that arrive together) per upload.",
  );
  console.log(
    "punches/s = punches stored (appended and fsync'd) / seconds from the first punch until every terminal was idle.",
  );
}

await main();
