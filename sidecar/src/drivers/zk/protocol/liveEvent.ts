import { ProtocolError } from "../../../errors.js";
import type { DateTimeParts } from "../../../domain/naiveTime.js";
import { readFixedString, writeFixedString } from "./attendanceRecords.js";
import { decodeHexTime, encodeHexTime } from "./packedTime.js";

/** An EF_ATTLOG realtime event: user id, verify, state and a 6-byte wall-clock time. */
export interface LiveAttendance {
  readonly userId: string;
  readonly verify: number;
  readonly state: number;
  readonly time: DateTimeParts;
  readonly raw: string;
}

/**
 * Event data forms seen in the field (pyzk live_capture): 12 bytes with a uint32 user id, or a 24-byte string
 * user id followed by verify, state and time (32, 36 or 52+ bytes).
 */
export function decodeLiveAttendance(data: Buffer): LiveAttendance {
  const raw = data.toString("hex");
  if (data.length === 12) {
    return {
      userId: String(data.readUInt32LE(0)),
      verify: data[4]!,
      state: data[5]!,
      time: decodeHexTime(data.subarray(6, 12)),
      raw,
    };
  }
  if (data.length >= 32) {
    return {
      userId: readFixedString(data, 0, 24),
      verify: data[24]!,
      state: data[25]!,
      time: decodeHexTime(data.subarray(26, 32)),
      raw,
    };
  }
  throw new ProtocolError(
    "RECORD_TRUNCATED",
    `realtime attendance event of ${data.length} bytes (expected 12, or 32 and more)`,
    {
      details: { raw },
    },
  );
}

export function encodeLiveAttendance(e: Omit<LiveAttendance, "raw">, length: 32 | 36 | 52 = 52): Buffer {
  const buf = Buffer.alloc(length);
  writeFixedString(buf, 0, 24, e.userId);
  buf[24] = e.verify;
  buf[25] = e.state;
  encodeHexTime(e.time).copy(buf, 26);
  return buf;
}
