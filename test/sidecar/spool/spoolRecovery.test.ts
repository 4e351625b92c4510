import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeEntryFrame } from "../../../sidecar/src/spool/entryCodec.js";
import { FILE_HEADER_BYTES, FRAME_MAGIC, segmentFileName } from "../../../sidecar/src/spool/segmentFile.js";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import type { RecordingLogger } from "./spoolTestKit.js";
import { collect, recordingLogger, testPunch, testPunches, withTempDir } from "./spoolTestKit.js";

/** Byte offsets where each record of a segment file starts, plus the file's end. */
function recordBoundaries(segment: Buffer): number[] {
  const boundaries = [FILE_HEADER_BYTES];
  while (boundaries[boundaries.length - 1]! < segment.length) {
    const at = boundaries[boundaries.length - 1]!;
    boundaries.push(at + 12 + segment.readUInt32LE(at + 4));
  }
  return boundaries;
}

async function reopenAndReplay(
  dir: string,
  options: { segmentMaxBytes?: number } = {},
): Promise<{ spool: Spool; seqs: number[]; logger: RecordingLogger }> {
  const logger = recordingLogger();
  const spool = await Spool.open(dir, { ...options, logger });
  const seqs = (await collect(spool.pending())).map((entry) => entry.seq);
  return { spool, seqs, logger };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A spool with entries 1..count in one segment, entry 1 acked. Returns its files' bytes. */
async function pristineSpool(dir: string, count: number): Promise<{ segment: Buffer; acks: Buffer }> {
  const spool = await Spool.open(dir);
  await spool.append(testPunches(0, count));
  await spool.ack([1]);
  await spool.close();
  return {
    segment: await readFile(join(dir, segmentFileName(1))),
    acks: await readFile(join(dir, "acks.log")),
  };
}

describe("Spool recovery: torn tail of the newest segment", () => {
  it("truncated at every byte offset of its last records: keeps every complete record, reports the rest", async () => {
    await withTempDir(async (root) => {
      const { segment, acks } = await pristineSpool(join(root, "pristine"), 12);
      const boundaries = recordBoundaries(segment);
      expect(boundaries).toHaveLength(13);
      const work = join(root, "work");
      await mkdir(work);
      // Every offset of the last two records, every 5th of the one before (keeps the test quick).
      for (let cut = boundaries[9]!; cut < segment.length; cut += cut < boundaries[10]! ? 5 : 1) {
        // Only these two files exist in `work` (appends below stay in the one segment).
        await writeFile(join(work, segmentFileName(1)), segment.subarray(0, cut));
        await writeFile(join(work, "acks.log"), acks);

        const { spool, seqs, logger } = await reopenAndReplay(work);
        const complete = boundaries.filter((b) => b <= cut).length - 1; // records wholly before the cut
        expect(seqs).toEqual(range(2, complete));
        expect(spool.depth()).toBe(complete - 1);
        const kept = boundaries[complete]!;
        if (cut === kept) {
          expect(logger.warnings).toEqual([]);
        } else {
          expect(logger.warnings).toHaveLength(1);
          expect(logger.warnings[0]!.obj).toMatchObject({ keptBytes: kept, droppedBytes: cut - kept });
        }
        expect((await stat(join(work, segmentFileName(1)))).size).toBe(kept);

        // Appending after recovery works and replays (checked at a spread of offsets to keep this fast).
        if (cut % 17 === 0 || cut === kept) {
          const added = await spool.append([testPunch(1000)]);
          expect(added).toEqual([complete + 1]);
          await spool.close();
          const again = await reopenAndReplay(work);
          expect(again.seqs).toEqual(range(2, complete + 1));
          expect(again.logger.warnings).toEqual([]);
          await again.spool.close();
        } else {
          await spool.close();
        }
      }
    });
  });

  it("with random garbage appended: keeps every record, reports the garbage's size, appends cleanly after", async () => {
    await withTempDir(async (root) => {
      const { segment, acks } = await pristineSpool(join(root, "pristine"), 6);
      const fakeFrameHeader = Buffer.concat([FRAME_MAGIC, Buffer.from([40, 0, 0, 0, 1, 2, 3, 4])]);
      const garbages = [
        Buffer.from([0]),
        Buffer.alloc(4096), // a crash after the size grew but before the data landed reads as zeros
        randomBytes(1),
        randomBytes(2000),
        Buffer.concat([fakeFrameHeader, randomBytes(100)]), // looks like a frame, CRC is wrong
        Buffer.concat([FRAME_MAGIC, Buffer.from([0xff, 0xff, 0xff, 0x7f])]), // absurd length
        encodeEntryFrame(99, testPunch(99)).subarray(0, 50), // a torn real record
        Buffer.concat([randomBytes(33), FRAME_MAGIC, randomBytes(7), FRAME_MAGIC]),
      ];
      for (const [index, garbage] of garbages.entries()) {
        const work = join(root, `work-${index}`);
        await mkdir(work);
        await writeFile(join(work, segmentFileName(1)), Buffer.concat([segment, garbage]));
        await writeFile(join(work, "acks.log"), acks);

        const { spool, seqs, logger } = await reopenAndReplay(work);
        expect(seqs).toEqual(range(2, 6));
        expect(logger.warnings).toHaveLength(1);
        expect(logger.warnings[0]!.obj).toMatchObject({
          keptBytes: segment.length,
          droppedBytes: garbage.length,
        });
        expect(await spool.append(testPunches(500, 2))).toEqual([7, 8]);
        await spool.close();
        const again = await reopenAndReplay(work);
        expect(again.seqs).toEqual(range(2, 8));
        expect(again.logger.warnings).toEqual([]);
        await again.spool.close();
      }
    });
  });

  it("survives a new segment whose header was torn, and a segment left empty", async () => {
    await withTempDir(async (dir) => {
      await pristineSpool(dir, 5);
      await writeFile(join(dir, segmentFileName(6)), Buffer.from("BSS"));
      const { spool, seqs, logger } = await reopenAndReplay(dir);
      expect(seqs).toEqual(range(2, 5));
      expect(logger.warnings.map((w) => w.msg)).toEqual([expect.stringMatching(/torn tail/)]);
      expect(await spool.append([testPunch(6)])).toEqual([6]);
      await spool.close();
      const again = await reopenAndReplay(dir);
      expect(again.seqs).toEqual(range(2, 6));
      expect(again.logger.warnings).toEqual([]);
      await again.spool.close();
    });
  });
});

describe("Spool recovery: damage inside a segment", () => {
  async function multiSegmentSpool(dir: string): Promise<string[]> {
    const spool = await Spool.open(dir, { segmentMaxBytes: 4096 });
    await spool.append(testPunches(0, 60));
    await spool.close();
    return (await readdir(dir)).filter((name) => name.startsWith("seg-")).sort();
  }

  it("in an older segment: skips only the damaged records, keeps the rest, reports it, never throws", async () => {
    await withTempDir(async (dir) => {
      const names = await multiSegmentSpool(dir);
      expect(names.length).toBeGreaterThan(3);
      const victim = join(dir, names[1]!);
      const original = await readFile(victim);
      const boundaries = recordBoundaries(original);
      const firstSeq = Number(names[1]!.slice(4, 20));
      // Flip one payload byte of the 2nd record, and overwrite records 4..5 with garbage.
      const damaged = Buffer.from(original);
      const [, second, , fourth, , sixth] = boundaries as [number, number, number, number, number, number];
      damaged[second + 30] = damaged[second + 30]! ^ 0x20;
      randomBytes(sixth - fourth).copy(damaged, fourth);
      await writeFile(victim, damaged);

      const { spool, seqs, logger } = await reopenAndReplay(dir, { segmentMaxBytes: 4096 });
      const lost = [firstSeq + 1, firstSeq + 3, firstSeq + 4];
      expect(seqs).toEqual(range(1, 60).filter((seq) => !lost.includes(seq)));
      expect(spool.depth()).toBe(57);
      expect(logger.warnings.map((w) => w.obj)).toEqual([
        { segment: victim, offset: boundaries[1], bytes: boundaries[2]! - boundaries[1]! },
        { segment: victim, offset: boundaries[3], bytes: boundaries[5]! - boundaries[3]! },
      ]);
      expect(await readFile(victim)).toEqual(damaged); // evidence left in place

      // Once everything readable in it is acked, the damaged file is set aside, not deleted.
      await spool.ack(range(1, 60));
      await spool.append([testPunch(100)]);
      await spool.close();
      const after = await readdir(dir);
      expect(after).toContain(`${names[1]!}.damaged`);
      const again = await reopenAndReplay(dir);
      expect(again.seqs).toEqual([61]);
      expect(again.logger.warnings).toEqual([]);
      await again.spool.close();
    });
  });

  it("in the newest segment: keeps the records after the damage and appends after them", async () => {
    await withTempDir(async (dir) => {
      await pristineSpool(dir, 10);
      const path = join(dir, segmentFileName(1));
      const data = await readFile(path);
      const boundaries = recordBoundaries(data);
      data.fill(0x55, boundaries[4]! + 3, boundaries[4]! + 40);
      await writeFile(path, data);
      const { spool, seqs, logger } = await reopenAndReplay(dir);
      expect(seqs).toEqual([2, 3, 4, 6, 7, 8, 9, 10]);
      expect(logger.warnings).toHaveLength(1);
      expect(await spool.append([testPunch(11)])).toEqual([11]);
      await spool.close();
      const again = await reopenAndReplay(dir);
      expect(again.seqs).toEqual([2, 3, 4, 6, 7, 8, 9, 10, 11]);
      await again.spool.close();
    });
  });

  it("never replays an entry twice, even if a valid copy of a record turns up later in the file", async () => {
    await withTempDir(async (dir) => {
      await pristineSpool(dir, 4);
      const path = join(dir, segmentFileName(1));
      await appendFile(path, encodeEntryFrame(3, testPunch(2)));
      const { spool, seqs, logger } = await reopenAndReplay(dir);
      expect(seqs).toEqual([2, 3, 4]);
      expect(logger.warnings).toHaveLength(1);
      await spool.close();
    });
  });
});

describe("Spool recovery: damaged ack log", () => {
  it("loses no entry: acks in a torn tail only make those entries replay again", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open(dir);
      await spool.append(testPunches(0, 10));
      await spool.ack([1, 2]);
      await spool.ack([3, 4]);
      await spool.close();
      const acksPath = join(dir, "acks.log");
      const acks = await readFile(acksPath);
      await writeFile(acksPath, acks.subarray(0, acks.length - 3));

      const { spool: reopened, seqs, logger } = await reopenAndReplay(dir);
      expect(seqs).toEqual(range(3, 10));
      expect(logger.warnings).toHaveLength(1);
      await reopened.ack([3]);
      await reopened.close();
      const again = await reopenAndReplay(dir);
      expect(again.seqs).toEqual(range(4, 10));
      expect(again.logger.warnings).toEqual([]);
      await again.spool.close();
    });
  });

  it("opens with garbage in place of the ack log (everything un-acked replays)", async () => {
    await withTempDir(async (dir) => {
      await pristineSpool(dir, 5);
      await writeFile(join(dir, "acks.log"), randomBytes(300));
      const { spool, seqs, logger } = await reopenAndReplay(dir);
      expect(seqs).toEqual(range(1, 5));
      expect(logger.warnings.length).toBeGreaterThan(0);
      await spool.ack([1, 2]);
      await spool.close();
      const again = await reopenAndReplay(dir);
      expect(again.seqs).toEqual(range(3, 5));
      await again.spool.close();
    });
  });
});
