import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import { StateStore } from "../../../sidecar/src/spool/stateStore.js";
import { collect, recordingLogger, testPunch, withTempDir } from "./spoolTestKit.js";

const WRITER = fileURLToPath(new URL("./crashWriter.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Runs crashWriter.ts, SIGKILLs it `killAfterMs` after it printed "ready" (or after spawn when
 * `fromSpawn`, to land during its open and recovery), and returns the complete lines it printed and how
 * long it took to get ready (Infinity if it never did).
 */
function runAndKill(
  args: readonly string[],
  killAfterMs: number,
  fromSpawn = false,
): Promise<{ lines: string[]; readyMs: number }> {
  const started = performance.now();
  let readyMs = Infinity;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, ...args], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    };
    if (fromSpawn) arm();
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (readyMs === Infinity && stdout.startsWith("ready\n")) {
        readyMs = performance.now() - started;
        arm();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL") reject(new Error(`writer exited by itself (${String(signal)}):\n${stderr}`));
      // Only whole lines count: a line cut by the kill was never a promise.
      else resolve({ lines: stdout.split("\n").slice(0, -1), readyMs });
    });
  });
}

describe("kill -9", () => {
  it("loses no entry whose append resolved, replays none whose ack resolved, duplicates and corrupts nothing", async () => {
    await withTempDir(async (dir) => {
      const promised = new Map<number, ReturnType<typeof testPunch>>(); // seq → punch, from "W" lines
      const acked = new Set<number>(); // "A": the ack resolved
      const ackAttempted = new Set<number>(); // "a": an ack was started, and may or may not have landed
      let highestSeqSeen = 0;
      // [ms after ready, or null: around the moment the previous round got ready, i.e. during open]
      const killAfter = [250, 40, null, 5, 300, null, 120];
      let lastReadyMs = 500;
      for (const [round, afterReady] of killAfter.entries()) {
        const delay =
          afterReady === null
            ? lastReadyMs * (0.9 + 0.15 * Math.random())
            : afterReady * (0.5 + Math.random());
        const run = await runAndKill(["spool", dir, String(round)], delay, afterReady === null);
        if (run.readyMs !== Infinity) lastReadyMs = run.readyMs;
        const lines = run.lines;
        let roundLowest = Number.MAX_SAFE_INTEGER;
        for (const line of lines) {
          const [kind, ...rest] = line.split(" ");
          if (kind === "W") {
            const [first, count, firstIndex] = rest.map(Number) as [number, number, number];
            roundLowest = Math.min(roundLowest, first);
            for (let i = 0; i < count; i++) promised.set(first + i, testPunch(firstIndex + i, `R${round}`));
          } else if (kind === "A" || kind === "a") {
            for (const seq of rest[0]!.split(",")) (kind === "A" ? acked : ackAttempted).add(Number(seq));
          }
        }
        if (roundLowest !== Number.MAX_SAFE_INTEGER) expect(roundLowest).toBeGreaterThan(highestSeqSeen);

        const logger = recordingLogger();
        const spool = await Spool.open(dir, { logger, segmentMaxBytes: 16 * 1024 });
        const entries = await collect(spool.pending());
        const bySeq = new Map(entries.map((entry) => [entry.seq, entry.punch]));
        // In seq order, each seq and each punch at most once.
        expect(entries.map((e) => e.seq)).toEqual([...bySeq.keys()].sort((a, b) => a - b));
        expect(new Set(entries.map((e) => e.punch.uid)).size).toBe(entries.length);
        for (const [seq, punch] of promised) {
          if (acked.has(seq)) expect(bySeq.has(seq)).toBe(false);
          else if (!ackAttempted.has(seq) || bySeq.has(seq)) expect(bySeq.get(seq)).toEqual(punch);
        }
        // Entries the parent never heard about (killed before the line was printed) are real punches.
        for (const entry of entries) {
          if (!promised.has(entry.seq)) expect(entry.punch.device).toMatch(/^R\d$/);
          highestSeqSeen = Math.max(highestSeqSeen, entry.seq);
        }
        for (const seq of promised.keys()) highestSeqSeen = Math.max(highestSeqSeen, seq);
        expect(spool.depth()).toBe(entries.length);
        // A kill can tear a write at the end of the newest file, never damage the middle of one.
        for (const warning of logger.warnings) expect(warning.msg).toMatch(/torn tail|unfinished ack-log/);
        await spool.close();
      }
      expect(promised.size).toBeGreaterThan(100);
      expect(acked.size).toBeGreaterThan(20);
    });
  });

  it("leaves the state store with the old or the new value, never a broken file", async () => {
    await withTempDir(async (dir) => {
      for (const killAfterMs of [30, 120, 250]) {
        const { lines } = await runAndKill(["state", dir], killAfterMs);
        const confirmed = Math.max(
          0,
          ...lines.filter((l) => l.startsWith("S ")).map((l) => Number(l.slice(2))),
        );
        const logger = recordingLogger();
        const store = await StateStore.open(dir, { logger });
        const cursor = store.get("cursor") as { n: number; note: string } | undefined;
        if (confirmed > 0) expect(cursor?.n).toBeGreaterThanOrEqual(confirmed);
        if (cursor) expect(cursor.note).toBe("x".repeat(cursor.n % 300));
        expect(logger.warnings.every((w) => /unfinished write/.test(w.msg))).toBe(true);
        // Killed before its first write (30 ms on a busy machine), the old value is no file at all.
        const text = await readFile(join(dir, "state.json"), "utf8").catch((error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
          throw error;
        });
        if (text === undefined) expect(cursor).toBeUndefined();
        else JSON.parse(text);
        await store.close();
      }
    });
  });
});
