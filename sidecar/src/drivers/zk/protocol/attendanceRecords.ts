import { ProtocolError } from "../../../errors.js";
import type { DateTimeParts } from "../../../domain/naiveTime.js";
import { decodePackedTime, encodePackedTime } from "./packedTime.js";

/**
 * Attendance record layouts (device-protocols.md §1.9). The size is derived from the data:
 * total bytes / record count from CMD_GET_FREE_SIZES.
 *  - 40 (and 49 on some 2022 firmware: the first 40 bytes have the same layout): string user id.
 *  - 16: numeric user id (uint32), older firmware.
 *  - 8: numeric internal uid resolved through the user table. Two layouts exist in the field:
 *    pyzk's `<H B I B` (uid, verify, time, state) and `<H B B I` (uid, verify, state, time) reported in pyzk
 *    issues #56/#92/#99. `decodeAttendance` picks the one whose times are valid.
 */
export type AttendanceRecordSize = 8 | 16 | 40 | 49;
export const ATTENDANCE_RECORD_SIZES: readonly AttendanceRecordSize[] = [40, 16, 8, 49];

export type EightByteLayout = "uid-verify-time-state" | "uid-verify-state-time";

export interface RawAttendance {
  /** Internal user serial (uid) where the layout has one. */
  readonly uid: number | null;
  /** String user id from the record; null in the 8-byte layout (resolve via users). */
  readonly userId: string | null;
  readonly time: DateTimeParts;
  readonly verify: number;
  readonly state: number;
  /** The record's bytes, as hex, kept for audit. */
  readonly raw: string;
}

export function isAttendanceRecordSize(size: number): size is AttendanceRecordSize {
  return (ATTENDANCE_RECORD_SIZES as readonly number[]).includes(size);
}

/** The NUL-terminated ASCII string in a fixed field (pyzk splits at the first NUL). */
export function readFixedString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString("latin1");
}

/** A user id that fits a numeric (uint32) field exactly: no leading zeros, no sign, at most 4294967295. */
export function numericUserId(userId: string): number {
  const value = /^(0|[1-9]\d{0,9})$/.test(userId) ? Number(userId) : NaN;
  if (!(value <= 0xffffffff))
    throw new RangeError(`user id "${userId}" cannot be stored in a numeric (uint32) field`);
  return value;
}

export function writeFixedString(buf: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "latin1");
  if (bytes.length > length) throw new RangeError(`"${value}" does not fit in ${length} bytes`);
  bytes.copy(buf, offset);
}

function decodeOne(record: Buffer, size: AttendanceRecordSize, layout8: EightByteLayout): RawAttendance {
  const raw = record.toString("hex");
  switch (size) {
    case 40:
    case 49:
      return {
        uid: record.readUInt16LE(0),
        userId: readFixedString(record, 2, 24),
        verify: record[26]!,
        time: decodePackedTime(record.readUInt32LE(27)),
        state: record[31]!,
        raw,
      };
    case 16:
      return {
        uid: null,
        userId: String(record.readUInt32LE(0)),
        time: decodePackedTime(record.readUInt32LE(4)),
        verify: record[8]!,
        state: record[9]!,
        raw,
      };
    case 8:
      return layout8 === "uid-verify-time-state"
        ? {
            uid: record.readUInt16LE(0),
            userId: null,
            verify: record[2]!,
            time: decodePackedTime(record.readUInt32LE(3)),
            state: record[7]!,
            raw,
          }
        : {
            uid: record.readUInt16LE(0),
            userId: null,
            verify: record[2]!,
            state: record[3]!,
            time: decodePackedTime(record.readUInt32LE(4)),
            raw,
          };
  }
}

export interface DecodedAttendance {
  readonly recordSize: AttendanceRecordSize;
  readonly records: RawAttendance[];
  readonly layout8?: EightByteLayout;
}

/** A validated dataset whose records are decoded one at a time, so a 100k-record log is never held twice. */
export interface AttendanceScan {
  readonly recordSize: AttendanceRecordSize;
  readonly count: number;
  readonly layout8?: EightByteLayout;
  records(): Generator<RawAttendance>;
}

/**
 * Checks a bulk attendance dataset (uint32 total_bytes, then records) and prepares to decode it. `deviceCount`
 * is the record count the device reported; the record size is total_bytes / deviceCount and must be one we know.
 */
export function scanAttendance(
  dataset: Buffer,
  deviceCount: number,
  isPlausible: (t: DateTimeParts) => boolean,
): AttendanceScan {
  if (deviceCount === 0) return { recordSize: 40, count: 0, records: function* () {} };
  if (dataset.length < 4) {
    throw new ProtocolError(
      "ZK_DATASET_TRUNCATED",
      `attendance dataset of ${dataset.length} bytes has no size prefix`,
    );
  }
  const total = dataset.readUInt32LE(0);
  const body = dataset.subarray(4);
  if (body.length < total) {
    throw new ProtocolError(
      "ZK_DATASET_TRUNCATED",
      `attendance dataset announces ${total} bytes but holds ${body.length}`,
      {
        details: { announced: total, received: body.length },
      },
    );
  }
  const size = total / deviceCount;
  if (!isAttendanceRecordSize(size)) {
    throw new ProtocolError(
      "ZK_UNKNOWN_RECORD_SIZE",
      `attendance data of ${total} bytes for ${deviceCount} records gives ${size.toFixed(2)}-byte records; known sizes are ${ATTENDANCE_RECORD_SIZES.join(", ")}`,
      { details: { totalBytes: total, deviceCount } },
    );
  }
  const iterate = function* (layout: EightByteLayout): Generator<RawAttendance> {
    for (let offset = 0; offset + size <= total; offset += size)
      yield decodeOne(body.subarray(offset, offset + size), size, layout);
  };
  const count = Math.floor(total / size);
  if (size !== 8) return { recordSize: size, count, records: () => iterate("uid-verify-time-state") };
  const score = (layout: EightByteLayout): number => {
    let plausible = 0;
    for (const r of iterate(layout)) if (isPlausible(r.time)) plausible++;
    return plausible;
  };
  const layout8: EightByteLayout =
    score("uid-verify-state-time") > score("uid-verify-time-state")
      ? "uid-verify-state-time"
      : "uid-verify-time-state";
  return { recordSize: 8, count, layout8, records: () => iterate(layout8) };
}

/** scanAttendance, materialised. */
export function decodeAttendance(
  dataset: Buffer,
  deviceCount: number,
  isPlausible: (t: DateTimeParts) => boolean,
): DecodedAttendance {
  const scan = scanAttendance(dataset, deviceCount, isPlausible);
  return {
    recordSize: scan.recordSize,
    records: [...scan.records()],
    ...(scan.layout8 && { layout8: scan.layout8 }),
  };
}

export interface AttendanceToEncode {
  readonly uid: number;
  readonly userId: string;
  readonly time: DateTimeParts;
  readonly verify: number;
  readonly state: number;
}

/** Encodes one record in a layout (used by the simulator). 16- and 8-byte layouts need numeric ids. */
export function encodeAttendanceRecord(
  a: AttendanceToEncode,
  size: AttendanceRecordSize,
  layout8: EightByteLayout = "uid-verify-time-state",
): Buffer {
  const buf = Buffer.alloc(size);
  const time = encodePackedTime(a.time);
  switch (size) {
    case 40:
    case 49:
      buf.writeUInt16LE(a.uid, 0);
      writeFixedString(buf, 2, 24, a.userId);
      buf[26] = a.verify;
      buf.writeUInt32LE(time, 27);
      buf[31] = a.state;
      // zk-protocol capture shows 00 00 00 00 FF 00 00 00 in the reserved/workcode bytes.
      buf[36] = 0xff;
      return buf;
    case 16:
      buf.writeUInt32LE(numericUserId(a.userId), 0);
      buf.writeUInt32LE(time, 4);
      buf[8] = a.verify;
      buf[9] = a.state;
      return buf;
    case 8:
      buf.writeUInt16LE(a.uid, 0);
      buf[2] = a.verify;
      if (layout8 === "uid-verify-time-state") {
        buf.writeUInt32LE(time, 3);
        buf[7] = a.state;
      } else {
        buf[3] = a.state;
        buf.writeUInt32LE(time, 4);
      }
      return buf;
  }
}
