import { describe, expect, it } from "vitest";
import {
  decodeFreeSizes,
  encodeFreeSizes,
} from "../../../../../sidecar/src/drivers/zk/protocol/freeSizes.js";

describe("free sizes", () => {
  it("reads counts and capacities at pyzk's offsets", () => {
    const sizes = {
      users: 40,
      fingers: 80,
      records: 12_345,
      userCapacity: 3_000,
      recordCapacity: 100_000,
      recordsAvailable: 87_655,
      fingerCapacity: 3_000,
    };
    const data = encodeFreeSizes(sizes);
    expect(data.readInt32LE(32)).toBe(12_345); // byte 32: attendance record count
    expect(data.readInt32LE(64)).toBe(100_000); // byte 64: attlog capacity
    expect(decodeFreeSizes(data)).toEqual(sizes);
  });

  it("refuses a reply too short to hold the counts", () => {
    expect(() => decodeFreeSizes(Buffer.alloc(40))).toThrow(
      expect.objectContaining({ code: "PROTOCOL_UNEXPECTED_REPLY" }),
    );
  });
});
