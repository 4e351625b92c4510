import { describe, expect, it } from "vitest";
import {
  decodeLiveAttendance,
  encodeLiveAttendance,
} from "../../../../../sidecar/src/drivers/zk/protocol/liveEvent.js";

describe("decodeLiveAttendance", () => {
  const time = { year: 2026, month: 11, day: 21, hour: 8, minute: 59, second: 3 };

  it.each([32, 36, 52] as const)("decodes the %i-byte form with a string user id", (length) => {
    const event = decodeLiveAttendance(
      encodeLiveAttendance({ userId: "0111", verify: 15, state: 0, time }, length),
    );
    expect(event).toMatchObject({ userId: "0111", verify: 15, state: 0, time });
  });

  it("decodes the 12-byte numeric form", () => {
    const data = Buffer.from([0x39, 0x30, 0, 0, 1, 1, 26, 11, 21, 8, 59, 3]);
    expect(decodeLiveAttendance(data)).toMatchObject({ userId: "12345", verify: 1, state: 1, time });
  });

  it("gives a coded error for an event too short to hold a punch", () => {
    expect(() => decodeLiveAttendance(Buffer.alloc(7))).toThrow(
      expect.objectContaining({ code: "RECORD_TRUNCATED" }),
    );
  });
});
