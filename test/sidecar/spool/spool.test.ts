import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import { SpoolError } from "../../../sidecar/src/errors.js";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import type { SpoolEntry } from "../../../sidecar/src/spool/spool.js";
import { collect, recordingLogger, testPunch, testPunches, withTempDir } from "./spoolTestKit.js";

const segmentFiles = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => /^seg-\d{16}\.log$/.test(name)).sort();

const seqsOf = (entries: readonly SpoolEntry[]): number[] => entries.map((e) => e.seq);

describe("Spool: append, replay, ack", () => {
  it("replays exactly the appended punches, in order, after close and reopen", async () => {
    await withTempDir(async (dir) => {
      const punches = testPunches(0, 250);
      const spool = await Spool.open(dir);
      const first = await spool.append(punches.slice(0, 100));
      const second = await spool.append(punches.slice(100));
      expect(first).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(second).toEqual(Array.from({ length: 150 }, (_, i) => i + 101));
      expect(spool.depth()).toBe(250);
      await spool.close();

      const reopened = await Spool.open(dir);
      const entries = await collect(reopened.pending());
      expect(entries.map((e) => e.punch)).toEqual(punches);
      expect(seqsOf(entries)).toEqual([...first, ...second]);
      expect(reopened.depth()).toBe(250);
      await reopened.close();
    });
  });

  it("replays only un-acked entries after a restart, and depth() counts them", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      const seqs = await spool.append(testPunches(0, 100));
      await spool.ack(seqs.filter((seq) => seq % 3 === 0));
      expect(spool.depth()).toBe(67);
      // Already acked, unknown and future seqs are ignored (a future seq must never be pre-acked).
      await spool.ack([3, 6, 10_000, 101, 102]);
      expect(spool.depth()).toBe(67);
      await spool.close();

      const reopened = await Spool.open(dir);
      expect(reopened.depth()).toBe(67);
      expect(seqsOf(await collect(reopened.pending()))).toEqual(seqs.filter((seq) => seq % 3 !== 0));
      const later = await reopened.append(testPunches(100, 3));
      expect(later).toEqual([101, 102, 103]);
      expect(seqsOf(await collect(reopened.pending({ afterSeq: 99 })))).toEqual([100, 101, 102, 103]);
      await reopened.close();
    });
  });

  it("keeps seqs increasing across restarts, even after everything was acked and compacted", async () => {
    await withTempDir(async (dir) => {
      let expectedNext = 1;
      for (let round = 0; round < 4; round++) {
        const spool = await Spool.open(dir, { segmentMaxBytes: 2048 });
        const seqs = await spool.append(testPunches(round * 20, 20));
        expect(seqs[0]).toBe(expectedNext);
        expectedNext = seqs[seqs.length - 1]! + 1;
        await spool.ack(seqs);
        expect(spool.depth()).toBe(0);
        await spool.close();
      }
      const spool = await Spool.open(dir);
      expect(await collect(spool.pending())).toEqual([]);
      expect(spool.stats().nextSeq).toBe(81);
      await spool.close();
    });
  });

  it("deletes segment files whose entries are all acked and keeps the ack log small", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir, { segmentMaxBytes: 4096, ackLogMaxBytes: 2048 });
      const seqs = await spool.append(testPunches(0, 200));
      const before = await segmentFiles(dir);
      expect(before.length).toBeGreaterThan(10);
      // Ack one by one, out of order, leaving the last 15 pending.
      const toAck = seqs.slice(0, 185).reverse();
      for (const seq of toAck) await spool.ack([seq]);
      await spool.close();

      const after = await segmentFiles(dir);
      expect(after.length).toBeLessThanOrEqual(3);
      expect((await stat(join(dir, "acks.log"))).size).toBeLessThan(4096);
      const reopened = await Spool.open(dir, { segmentMaxBytes: 4096 });
      expect(seqsOf(await collect(reopened.pending()))).toEqual(seqs.slice(185));
      expect(reopened.depth()).toBe(15);
      await reopened.close();
    });
  });

  it("batches concurrent appends into shared fsyncs (group commit) and gives each call its own seqs", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      const fsyncsBefore = spool.stats().fsyncs;
      const punches = testPunches(0, 500);
      const results = await Promise.all(punches.map((punch) => spool.append([punch])));
      expect(results.map((seqs) => seqs.length)).toEqual(punches.map(() => 1));
      expect(results.flat()).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(spool.stats().fsyncs - fsyncsBefore).toBeLessThan(10);
      expect((await collect(spool.pending())).map((e) => e.punch)).toEqual(punches);
      await spool.close();
    });
  });

  it("rejects an invalid punch with TypeError, writes nothing of that call and burns no seq", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      const bad = { ...testPunch(1), user_id: 111 } as unknown as Punch;
      await expect(spool.append([testPunch(0), bad])).rejects.toBeInstanceOf(TypeError);
      expect(await spool.append([testPunch(2)])).toEqual([1]);
      expect(await spool.append([])).toEqual([]);
      expect((await collect(spool.pending())).map((e) => e.punch)).toEqual([testPunch(2)]);
      await spool.close();
    });
  });

  it("streams a spool far larger than its read buffer, in order", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir, { segmentMaxBytes: 256 * 1024, readBufferBytes: 1024 });
      const seqs: number[] = [];
      for (let i = 0; i < 6000; i += 1000) seqs.push(...(await spool.append(testPunches(i, 1000))));
      expect(spool.stats().segments).toBeGreaterThan(5);
      let expected = 0;
      for await (const entry of spool.pending()) {
        expect(entry.seq).toBe(seqs[expected]);
        expect(entry.punch.raw).toBe(testPunch(expected).raw);
        expected++;
      }
      expect(expected).toBe(6000);
      await spool.close();
    });
  });

  it("replays what was committed when iteration started, and skips entries acked meanwhile", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      await spool.append(testPunches(0, 10));
      const seen: number[] = [];
      for await (const entry of spool.pending()) {
        seen.push(entry.seq);
        if (entry.seq === 2) {
          await spool.ack([3, 4]);
          await spool.append(testPunches(10, 5));
        }
      }
      expect(seen).toEqual([1, 2, 5, 6, 7, 8, 9, 10]);
      expect(seqsOf(await collect(spool.pending({ afterSeq: 8 })))).toEqual([9, 10, 11, 12, 13, 14, 15]);
      await spool.close();
    });
  });
});

describe("Spool: close and errors", () => {
  it("finishes accepted appends on close, then rejects every call with SPOOL_CLOSED", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      const appended = spool.append(testPunches(0, 5));
      await spool.close();
      expect(await appended).toEqual([1, 2, 3, 4, 5]);
      await spool.close(); // idempotent
      for (const attempt of [
        () => spool.append([testPunch(9)]),
        () => spool.ack([1]),
        () => collect(spool.pending()),
      ]) {
        await expect(attempt()).rejects.toMatchObject({ code: "SPOOL_CLOSED", retryable: false });
      }
      const reopened = await Spool.open(dir);
      expect(reopened.depth()).toBe(5);
      await reopened.close();
    });
  });

  it("stops a replay in progress with SPOOL_CLOSED", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      await spool.append(testPunches(0, 10));
      const iterator = spool.pending()[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toMatchObject({ seq: 1 });
      await spool.close();
      await expect(iterator.next()).rejects.toMatchObject({ code: "SPOOL_CLOSED" });
    });
  });

  it("rejects with retryable SPOOL_IO when the disk fails, and works again once it is back", async () => {
    await withTempDir(async (root) => {
      const dir = join(root, "spool");
      const spool = await Spool.open(dir, { segmentMaxBytes: 1024 });
      await spool.append(testPunches(0, 2));
      await rm(dir, { recursive: true }); // the next segment cannot be created
      const failure = await spool.append(testPunches(2, 10)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SpoolError);
      expect(failure).toMatchObject({ code: "SPOOL_IO", retryable: true });
      await mkdir(dir);
      const retried = await spool.append(testPunches(2, 10));
      expect(retried[0]).toBeGreaterThan(12); // failed seqs are never handed out again
      await spool.close();
      const reopened = await Spool.open(dir);
      expect((await collect(reopened.pending())).map((e) => e.punch)).toEqual(testPunches(2, 10));
      await reopened.close();
    });
  });

  it("ignores and reports an unfinished ack-log rewrite left by a crash", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      const seqs = await spool.append(testPunches(0, 4));
      await spool.ack([seqs[0]!]);
      await spool.close();
      await writeFile(join(dir, "acks.log.tmp"), "half a rewrite");
      const logger = recordingLogger();
      const reopened = await Spool.open(dir, { logger });
      expect(seqsOf(await collect(reopened.pending()))).toEqual(seqs.slice(1));
      expect(logger.warnings.map((w) => w.msg).join()).toMatch(/unfinished ack-log rewrite/);
      expect(await readdir(dir)).not.toContain("acks.log.tmp");
      await reopened.close();
    });
  });
});

describe("Spool directory lock", () => {
  it("refuses a second writer on the same directory while the first runs, and frees it on close", async () => {
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "bsync-lock-"));
    const first = await Spool.open(dir);
    await expect(Spool.open(dir)).resolves.toBeDefined(); // same process (a restart in-process) may reopen
    await first.close();
    const { spawnSync } = await import("node:child_process");
    // A lock held by a live foreign process: the parent of this test run.
    const { writeFile } = await import("node:fs/promises");
    await writeFile(join(dir, "LOCK"), `${process.ppid}\n`);
    await expect(Spool.open(dir)).rejects.toMatchObject({ code: "SPOOL_LOCKED", retryable: false });
    // A lock left by a process that is gone (kill -9) is taken over.
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"]).stdout.toString().trim();
    await writeFile(join(dir, "LOCK"), `${gone}\n`);
    const reopened = await Spool.open(dir);
    await reopened.close();
  });
});
