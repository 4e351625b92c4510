import { describe, expect, it } from "vitest";
import {
  decodeUsers,
  encodeUserRecord,
  patchUserRecord,
  type ZkUser,
} from "../../../../../sidecar/src/drivers/zk/protocol/userRecords.js";

function dataset(records: Buffer[]): Buffer {
  const body = Buffer.concat(records);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length, 0);
  return Buffer.concat([size, body]);
}

describe("decodeUsers", () => {
  it("decodes 72-byte users with full 24-character string ids", () => {
    const users: ZkUser[] = [
      { uid: 1, userId: "0111", name: "Asha Verma", privilege: 0, card: 0 },
      { uid: 2, userId: "123456789012", name: "Long Id", privilege: 14, card: 4_000_000_000 },
    ];
    const decoded = decodeUsers(dataset(users.map((u) => encodeUserRecord(u, 72))), 2);
    expect(decoded.recordSize).toBe(72);
    expect(decoded.users).toEqual(users);
  });

  it("decodes 28-byte users, whose ids are numbers on the device", () => {
    const users: ZkUser[] = [{ uid: 3, userId: "111", name: "Ravi", privilege: 0, card: 12345 }];
    expect(decodeUsers(dataset(users.map((u) => encodeUserRecord(u, 28))), 1).users).toEqual(users);
  });

  it("names an unknown user record size", () => {
    expect(() => decodeUsers(dataset([Buffer.alloc(50)]), 1)).toThrow(
      expect.objectContaining({ code: "ZK_UNKNOWN_RECORD_SIZE" }),
    );
  });
});

describe("patchUserRecord", () => {
  it("changes name and card only, keeping password, group and id bytes", () => {
    const record = encodeUserRecord(
      { uid: 9, userId: "0111", name: "A Long Old Name", privilege: 0, card: 5 },
      72,
    );
    record.write("1234", 3, "latin1"); // password
    record.write("7", 40, "latin1"); // group id
    const patched = patchUserRecord(record, 72, "Bo", 42);
    expect(decodeUsers(dataset([patched]), 1).users).toEqual([
      { uid: 9, userId: "0111", name: "Bo", privilege: 0, card: 42 },
    ]);
    expect(patched.subarray(3, 11)).toEqual(record.subarray(3, 11));
    expect(patched.subarray(39, 48)).toEqual(record.subarray(39, 48));
  });

  it("refuses a name longer than the field instead of cutting it", () => {
    const record = encodeUserRecord({ uid: 1, userId: "1", name: "x", privilege: 0, card: 0 }, 28);
    expect(() => patchUserRecord(record, 28, "Nine Char", 0)).toThrow(RangeError);
  });
});
