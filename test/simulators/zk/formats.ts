import { encodeAttendanceRecord } from "../../../sidecar/src/drivers/zk/protocol/attendanceRecords.js";
import type {
  AttendanceRecordSize,
  EightByteLayout,
} from "../../../sidecar/src/drivers/zk/protocol/attendanceRecords.js";
import { encodeUserRecord } from "../../../sidecar/src/drivers/zk/protocol/userRecords.js";
import type { ZkUser } from "../../../sidecar/src/drivers/zk/protocol/userRecords.js";
import { checkUserId } from "./scenario.js";
import type { Scenario, ScenarioPunch } from "./scenario.js";

/**
 * Record formats a simulated device can serve, and the bulk datasets (uint32 total_bytes + records) it sends
 * in answer to CMD_DATA_WRRQ. "8-alt" is the second 8-byte layout seen in the field (pyzk #56/#92/#99).
 */
export type AttendanceFormat = 40 | 49 | 16 | 8 | "8-alt";
export type UserFormat = 72 | 28;

export const ATTENDANCE_FORMATS: readonly AttendanceFormat[] = [40, 49, 16, 8, "8-alt"];

export function recordSizeOf(format: AttendanceFormat): AttendanceRecordSize {
  return format === "8-alt" ? 8 : format;
}

function layoutOf(format: AttendanceFormat): EightByteLayout {
  return format === "8-alt" ? "uid-verify-state-time" : "uid-verify-time-state";
}

/** Where the packed time sits in a record (to write a deliberately corrupt value). */
function timeOffsetOf(format: AttendanceFormat): number {
  switch (format) {
    case 40:
    case 49:
      return 27;
    case 16:
      return 4;
    case 8:
      return 3;
    case "8-alt":
      return 4;
  }
}

export function usesNumericIds(attendanceFormat: AttendanceFormat, userFormat: UserFormat): boolean {
  return (
    attendanceFormat === 16 || attendanceFormat === 8 || attendanceFormat === "8-alt" || userFormat === 28
  );
}

/** Refuses, with a clear message, a scenario whose ids the chosen formats cannot carry intact. */
export function checkScenarioFits(
  s: Scenario,
  attendanceFormat: AttendanceFormat,
  userFormat: UserFormat,
): void {
  if (!usesNumericIds(attendanceFormat, userFormat)) return;
  try {
    for (const u of s.users) checkUserId(u.userId, "numeric");
    for (const p of s.punches) checkUserId(p.userId, "numeric");
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RangeError(
      `attendance format ${attendanceFormat} / user format ${userFormat} stores numeric user ids: ${message}. ` +
        `Build the scenario with scenario({ idKind: "numeric" }).`,
    );
  }
}

export function encodePunch(p: ScenarioPunch, format: AttendanceFormat): Buffer {
  const record = encodeAttendanceRecord(p, recordSizeOf(format), layoutOf(format));
  if (p.packedTime !== undefined) record.writeUInt32LE(p.packedTime, timeOffsetOf(format));
  return record;
}

function withTotalPrefix(records: Buffer[], bodyLength: number): Buffer {
  const out = Buffer.allocUnsafe(4 + bodyLength);
  out.writeUInt32LE(bodyLength, 0);
  let offset = 4;
  for (const r of records) offset += r.copy(out, offset);
  return out;
}

export function encodeAttendanceDataset(punches: readonly ScenarioPunch[], format: AttendanceFormat): Buffer {
  const records = punches.map((p) => encodePunch(p, format));
  return withTotalPrefix(records, records.length * recordSizeOf(format));
}

export function encodeUserDataset(users: readonly ZkUser[], format: UserFormat): Buffer {
  const records = users.map((u) => encodeUserRecord(u, format));
  return withTotalPrefix(records, records.length * format);
}
