import { ProtocolError } from "../../../errors.js";
import { numericUserId, readFixedString, writeFixedString } from "./attendanceRecords.js";

/** User records: 72 bytes (string PIN, newer firmware) or 28 bytes (numeric PIN: leading zeros cannot exist). */
export type UserRecordSize = 28 | 72;

export interface ZkUser {
  readonly uid: number;
  readonly userId: string;
  readonly name: string;
  readonly privilege: number;
  readonly card: number;
}

function decodeOne(r: Buffer, size: UserRecordSize): ZkUser {
  if (size === 72) {
    return {
      uid: r.readUInt16LE(0),
      privilege: r[2]!,
      name: readFixedString(r, 11, 24),
      card: r.readUInt32LE(35),
      userId: readFixedString(r, 48, 24),
    };
  }
  return {
    uid: r.readUInt16LE(0),
    privilege: r[2]!,
    name: readFixedString(r, 8, 8),
    card: r.readUInt32LE(16),
    userId: String(r.readUInt32LE(24)),
  };
}

export interface DecodedUsers {
  readonly recordSize: UserRecordSize;
  readonly users: ZkUser[];
  /** Each user's record as the device sent it (same order): an update patches it, keeping password and group. */
  readonly records: Buffer[];
}

/** Decodes a user dataset. With no users the record size is unknown: 72 is returned (callers that write ask the device). */
export function decodeUsers(dataset: Buffer, deviceCount: number): DecodedUsers {
  if (deviceCount === 0) return { recordSize: 72, users: [], records: [] };
  if (dataset.length < 4) throw new ProtocolError("ZK_DATASET_TRUNCATED", "user dataset has no size prefix");
  const total = dataset.readUInt32LE(0);
  const body = dataset.subarray(4);
  if (body.length < total) {
    throw new ProtocolError(
      "ZK_DATASET_TRUNCATED",
      `user dataset announces ${total} bytes but holds ${body.length}`,
    );
  }
  const size = total / deviceCount;
  if (size !== 28 && size !== 72) {
    throw new ProtocolError(
      "ZK_UNKNOWN_RECORD_SIZE",
      `user data of ${total} bytes for ${deviceCount} users gives ${size.toFixed(2)}-byte records; known sizes are 72 and 28`,
      {
        details: { totalBytes: total, deviceCount },
      },
    );
  }
  const users: ZkUser[] = [];
  const records: Buffer[] = [];
  for (let offset = 0; offset + size <= total; offset += size) {
    const record = Buffer.from(body.subarray(offset, offset + size));
    users.push(decodeOne(record, size));
    records.push(record);
  }
  return { recordSize: size, users, records };
}

/** The name field's size: what a name may take, in bytes. */
export function nameFieldBytes(size: UserRecordSize): number {
  return size === 72 ? 24 : 8;
}

/**
 * A copy of a user record with a new name and card, everything else (uid, privilege, password, group, time
 * zone, user id) as the device had it. The caller has checked that the name fits; it is never cut here.
 */
export function patchUserRecord(record: Buffer, size: UserRecordSize, name: string, card: number): Buffer {
  const out = Buffer.from(record);
  const nameAt = size === 72 ? 11 : 8;
  const field = nameFieldBytes(size);
  const bytes = Buffer.from(name, "latin1");
  if (bytes.length > field) throw new RangeError(`name "${name}" does not fit in ${field} bytes`);
  out.fill(0, nameAt, nameAt + field);
  bytes.copy(out, nameAt);
  out.writeUInt32LE(card >>> 0, size === 72 ? 35 : 16);
  return out;
}

export function encodeUserRecord(u: ZkUser, size: UserRecordSize): Buffer {
  const buf = Buffer.alloc(size);
  buf.writeUInt16LE(u.uid, 0);
  buf[2] = u.privilege;
  if (size === 72) {
    // Names are cut to the field, as devices do; ids never are.
    Buffer.from(u.name, "latin1").subarray(0, 24).copy(buf, 11);
    buf.writeUInt32LE(u.card >>> 0, 35);
    writeFixedString(buf, 48, 24, u.userId);
  } else {
    Buffer.from(u.name, "latin1").subarray(0, 8).copy(buf, 8);
    buf.writeUInt32LE(u.card >>> 0, 16);
    buf.writeUInt32LE(numericUserId(u.userId), 24);
  }
  return buf;
}
