import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SpoolError } from "../../../sidecar/src/errors.js";
import { crc32 } from "../../../sidecar/src/spool/crc32.js";
import {
  checkFileHeader,
  encodeFrame,
  FILE_HEADER_BYTES,
  fileHeader,
  FRAME_HEADER_BYTES,
  FrameBuilder,
  MAX_PAYLOAD_BYTES,
  parseSegmentFileName,
  recoverFile,
  scanFrames,
  segmentFileName,
} from "../../../sidecar/src/spool/segmentFile.js";
import type { ScanItem } from "../../../sidecar/src/spool/segmentFile.js";
import { withTempDir } from "./spoolTestKit.js";

const decodeText = (payload: Buffer): string | undefined => {
  const text = payload.toString("utf8");
  return text.startsWith("{") ? text : undefined;
};

const record = (n: number, pad = 0): string => JSON.stringify({ n, pad: "x".repeat(pad) });

async function scanFile(path: string, bufferBytes?: number): Promise<Array<ScanItem<string>>> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    const items: Array<ScanItem<string>> = [];
    const options = { start: FILE_HEADER_BYTES, end: size, decode: decodeText };
    for await (const item of scanFrames(handle, bufferBytes ? { ...options, bufferBytes } : options)) {
      items.push(item);
    }
    return items;
  } finally {
    await handle.close();
  }
}

const summary = (items: ReadonlyArray<ScanItem<string>>): string[] =>
  items.map((item) =>
    item.kind === "record"
      ? `record ${String((JSON.parse(item.value) as { n: number }).n)}`
      : `damage ${item.offset}+${item.end - item.offset}${item.reachesEnd ? " tail" : ""}`,
  );

describe("segment file format", () => {
  it("names segments by their first seq, zero padded so they sort", () => {
    expect(segmentFileName(42)).toBe("seg-0000000000000042.log");
    expect(parseSegmentFileName("seg-0000000000000042.log")).toBe(42);
    expect(parseSegmentFileName("seg-0000000000000042.log.damaged")).toBeNull();
    expect(parseSegmentFileName("acks.log")).toBeNull();
  });

  it("writes a versioned header per kind", () => {
    expect(checkFileHeader(fileHeader("segment"), "segment")).toBe("ok");
    expect(checkFileHeader(fileHeader("segment"), "acks")).toBe("damaged");
    const newer = fileHeader("segment");
    newer.writeUInt16LE(2, 6);
    expect(checkFileHeader(newer, "segment")).toBe("newer-version");
  });

  it("frames a record as magic, LE length, LE CRC-32 of the payload, payload", () => {
    const frame = encodeFrame('{"a":"é"}');
    const payload = Buffer.from('{"a":"é"}', "utf8");
    expect([...frame.subarray(0, 4)]).toEqual([0xf5, 0x52, 0x45, 0x43]);
    expect(frame.readUInt32LE(4)).toBe(payload.length);
    expect(frame.readUInt32LE(8)).toBe(crc32(payload));
    expect(frame.subarray(FRAME_HEADER_BYTES)).toEqual(payload);
  });

  it("builds many frames back to back exactly like framing them one by one", () => {
    const builder = new FrameBuilder(16);
    const texts = Array.from({ length: 200 }, (_, i) => record(i, i * 7) + "ü€😀");
    for (const text of texts) builder.add(text);
    expect(builder.bytes().equals(Buffer.concat(texts.map(encodeFrame)))).toBe(true);
  });

  it("refuses a payload over the record size limit", () => {
    expect(() => encodeFrame("x".repeat(MAX_PAYLOAD_BYTES + 1))).toThrow(RangeError);
  });
});

describe("scanFrames", () => {
  it("yields the records, then the damage it skipped, then resynchronises on the next good record", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const garbage = Buffer.from("garbage\u0000\u00ff bytes", "latin1");
      await writeFile(
        path,
        Buffer.concat([
          fileHeader("segment"),
          encodeFrame(record(1)),
          encodeFrame(record(2)),
          garbage,
          encodeFrame(record(3)),
        ]),
      );
      const offsetOfGarbage = FILE_HEADER_BYTES + encodeFrame(record(1)).length * 2;
      expect(summary(await scanFile(path))).toEqual([
        "record 1",
        "record 2",
        `damage ${offsetOfGarbage}+${garbage.length}`,
        "record 3",
      ]);
    });
  });

  it("skips exactly one record whose payload fails its CRC and keeps the next", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const frames = [1, 2, 3].map((n) => encodeFrame(record(n)));
      const victim = frames[1]!;
      victim[FRAME_HEADER_BYTES + 3] = victim[FRAME_HEADER_BYTES + 3]! ^ 0x01;
      await writeFile(path, Buffer.concat([fileHeader("segment"), ...frames]));
      expect(summary(await scanFile(path))).toEqual([
        "record 1",
        `damage ${FILE_HEADER_BYTES + frames[0]!.length}+${frames[1]!.length}`,
        "record 3",
      ]);
    });
  });

  it("reports a torn last record as damage reaching the end", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const last = encodeFrame(record(2));
      const data = Buffer.concat([fileHeader("segment"), encodeFrame(record(1)), last]);
      await writeFile(path, data.subarray(0, data.length - 5));
      expect(summary(await scanFile(path))).toEqual([
        "record 1",
        `damage ${data.length - last.length}+${last.length - 5} tail`,
      ]);
    });
  });

  it("reads records larger than its buffer and finds a magic split across buffer refills", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const parts = [fileHeader("segment")];
      for (let n = 0; n < 60; n++) {
        parts.push(encodeFrame(record(n, (n * 13) % 90)));
        if (n % 7 === 3) parts.push(Buffer.from("junk".repeat(n % 5)));
      }
      await writeFile(path, Buffer.concat(parts));
      for (const bufferBytes of [16, 17, 33, 100, 4096]) {
        const records = summary(await scanFile(path, bufferBytes)).filter((s) => s.startsWith("record"));
        expect(records).toEqual(Array.from({ length: 60 }, (_, n) => `record ${n}`));
      }
    });
  });

  it("cannot be fooled by frame-like bytes inside a payload: the magic's first byte never occurs in UTF-8", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const inner = encodeFrame(record(99)).toString("latin1"); // as text it becomes UTF-8, 0xF5 → C3 B5
      await writeFile(
        path,
        Buffer.concat([
          fileHeader("segment"),
          encodeFrame(JSON.stringify({ n: 1, inner })),
          encodeFrame(record(2)),
        ]),
      );
      expect(summary(await scanFile(path))).toEqual(["record 1", "record 2"]);
    });
  });
});

describe("recoverFile", () => {
  it("cuts a torn tail off the file appends go to, and leaves other files untouched", async () => {
    await withTempDir(async (dir) => {
      const good = Buffer.concat([fileHeader("segment"), encodeFrame(record(1)), encodeFrame(record(2))]);
      const torn = Buffer.concat([good, encodeFrame(record(3)).subarray(0, 9)]);
      const seen: number[] = [];
      const onRecord = (text: string): void => void seen.push((JSON.parse(text) as { n: number }).n);

      await writeFile(join(dir, "old"), torn);
      const old = await recoverFile(join(dir, "old"), "segment", decodeText, onRecord, { repairTail: false });
      expect(old).toMatchObject({
        fileBytes: torn.length,
        goodEnd: good.length,
        records: 2,
        truncatedBytes: 0,
      });
      expect((await readFile(join(dir, "old"))).length).toBe(torn.length);

      await writeFile(join(dir, "newest"), torn);
      const newest = await recoverFile(join(dir, "newest"), "segment", decodeText, onRecord, {
        repairTail: true,
      });
      expect(newest).toMatchObject({ goodEnd: good.length, records: 2, truncatedBytes: 9 });
      expect(newest.damage).toEqual([{ offset: good.length, bytes: 9 }]);
      expect(await readFile(join(dir, "newest"))).toEqual(good);
      expect(seen).toEqual([1, 2, 1, 2]);
    });
  });

  it("rewrites a damaged header of the newest file and keeps the records behind it", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const data = Buffer.concat([fileHeader("segment"), encodeFrame(record(1))]);
      data.write("XX", 0, "latin1");
      await writeFile(path, data);
      const result = await recoverFile(path, "segment", decodeText, () => undefined, { repairTail: true });
      expect(result).toMatchObject({ header: "damaged", records: 1, damage: [{ offset: 0, bytes: 8 }] });
      expect(checkFileHeader(await readFile(path), "segment")).toBe("ok");

      await writeFile(path, Buffer.from("BSS")); // a crash while the header of a new segment was written
      const empty = await recoverFile(path, "segment", decodeText, () => undefined, { repairTail: true });
      expect(empty).toMatchObject({ records: 0, goodEnd: FILE_HEADER_BYTES, truncatedBytes: 3, damage: [] });
      expect(await readFile(path)).toEqual(fileHeader("segment"));
    });
  });

  it("refuses (SpoolError) a file written by a newer format version instead of 'repairing' it", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "seg");
      const header = fileHeader("segment");
      header.writeUInt16LE(2, 6);
      const data = Buffer.concat([header, encodeFrame(record(1))]);
      await writeFile(path, data);
      await expect(
        recoverFile(path, "segment", decodeText, () => undefined, { repairTail: true }),
      ).rejects.toBeInstanceOf(SpoolError);
      expect(await readFile(path)).toEqual(data);
    });
  });
});
