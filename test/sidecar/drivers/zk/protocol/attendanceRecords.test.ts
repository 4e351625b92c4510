import { describe, expect, it } from "vitest";
import { isValidParts } from "../../../../../sidecar/src/domain/naiveTime.js";
import {
  type AttendanceRecordSize,
  decodeAttendance,
  encodeAttendanceRecord,
} from "../../../../../sidecar/src/drivers/zk/protocol/attendanceRecords.js";

// What the driver passes: a real date between a reset clock (2000) and the near future.
const plausible = (t: Parameters<typeof isValidParts>[0]): boolean =>
  isValidParts(t) && t.year > 2000 && t.year <= 2027;
const at = (day: number, hour: number) => ({ year: 2026, month: 11, day, hour, minute: 7, second: 42 });

function dataset(records: Buffer[]): Buffer {
  const body = Buffer.concat(records);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length, 0);
  return Buffer.concat([size, body]);
}

describe("decodeAttendance", () => {
  it("decodes the zk-protocol captured 40-byte record", () => {
    const record = Buffer.from(
      "0d00393939313131333333" + "00".repeat(15) + "01" + "6bb36823" + "00" + "00000000ff000000",
      "hex",
    );
    expect(record.length).toBe(40);
    const [r] = decodeAttendance(dataset([record]), 1, plausible).records;
    expect(r).toMatchObject({ uid: 13, userId: "999111333", verify: 1, state: 0 });
  });

  it("keeps string user ids whole: leading zeros and 12+ characters (node-zklib cut them at 9)", () => {
    const ids = ["0111", "123456789012", "ABCDEFGHIJKLMNOPQRSTUVWX"];
    const records = ids.map((userId, i) =>
      encodeAttendanceRecord({ uid: i + 1, userId, time: at(2, 9), verify: 15, state: 1 }, 40),
    );
    const decoded = decodeAttendance(dataset(records), 3, plausible);
    expect(decoded.recordSize).toBe(40);
    expect(decoded.records.map((r) => r.userId)).toEqual(ids);
  });

  it.each([40, 49, 16] as AttendanceRecordSize[])(
    "derives the %i-byte layout from total / count and decodes every field",
    (size) => {
      const input = [
        { uid: 1, userId: "111", time: at(2, 9), verify: 1, state: 0 },
        { uid: 2, userId: "4242", time: at(2, 18), verify: 2, state: 5 },
      ];
      const decoded = decodeAttendance(
        dataset(input.map((a) => encodeAttendanceRecord(a, size))),
        2,
        plausible,
      );
      expect(decoded.recordSize).toBe(size);
      expect(decoded.records.map((r) => [r.userId, r.time, r.verify, r.state])).toEqual(
        input.map((a) => [a.userId, a.time, a.verify, a.state]),
      );
    },
  );

  it.each(["uid-verify-time-state", "uid-verify-state-time"] as const)(
    "detects the disputed 8-byte layout %s by which one gives real dates",
    (layout) => {
      const input = [5, 6, 7].map((day) => ({
        uid: day,
        userId: String(day),
        time: at(day, 8),
        verify: 1,
        state: 1,
      }));
      const decoded = decodeAttendance(
        dataset(input.map((a) => encodeAttendanceRecord(a, 8, layout))),
        3,
        plausible,
      );
      expect(decoded.layout8).toBe(layout);
      expect(decoded.records.map((r) => [r.uid, r.time, r.state])).toEqual(
        input.map((a) => [a.uid, a.time, 1]),
      );
    },
  );

  it("names an unknown record size instead of decoding garbage", () => {
    const data = dataset([Buffer.alloc(30 * 3)]);
    expect(() => decodeAttendance(data, 3, plausible)).toThrow(
      expect.objectContaining({ code: "ZK_UNKNOWN_RECORD_SIZE", retryable: false }),
    );
  });

  it("reports a dataset shorter than it announces as truncated", () => {
    const full = dataset([
      encodeAttendanceRecord({ uid: 1, userId: "1", time: at(1, 1), verify: 0, state: 0 }, 40),
    ]);
    expect(() => decodeAttendance(full.subarray(0, 30), 1, plausible)).toThrow(
      expect.objectContaining({ code: "ZK_DATASET_TRUNCATED" }),
    );
    expect(() => decodeAttendance(Buffer.alloc(2), 1, plausible)).toThrow(
      expect.objectContaining({ code: "ZK_DATASET_TRUNCATED" }),
    );
  });

  it("returns nothing for an empty log", () => {
    expect(decodeAttendance(Buffer.alloc(0), 0, plausible).records).toEqual([]);
  });
});
