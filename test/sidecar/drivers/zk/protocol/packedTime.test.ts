import { describe, expect, it } from "vitest";
import {
  decodeHexTime,
  decodePackedTime,
  encodePackedTime,
} from "../../../../../sidecar/src/drivers/zk/protocol/packedTime.js";

describe("packed time", () => {
  it("decodes the zk-protocol example record time 0x2368B36B", () => {
    const t = decodePackedTime(0x2368b36b);
    expect(t.year).toBeGreaterThanOrEqual(2000);
    expect(encodePackedTime(t)).toBe(0x2368b36b);
  });

  it("round-trips every field", () => {
    const t = { year: 2026, month: 11, day: 21, hour: 17, minute: 41, second: 5 };
    expect(decodePackedTime(encodePackedTime(t))).toEqual(t);
  });

  it("decodes zero as 2000-01-01 00:00:00 (what a reset clock or garbage looks like)", () => {
    expect(decodePackedTime(0)).toEqual({ year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
  });

  it("can produce impossible dates such as Feb 31, which callers must validate", () => {
    const t = decodePackedTime(
      encodePackedTime({ year: 2024, month: 2, day: 31, hour: 0, minute: 0, second: 0 }),
    );
    expect(t).toMatchObject({ month: 2, day: 31 });
  });

  it("decodes realtime 6-byte times (zk-protocol example 12 06 19 11 29 05 = 2018-06-25 17:41:05)", () => {
    expect(decodeHexTime(Buffer.from([0x12, 0x06, 0x19, 0x11, 0x29, 0x05]))).toEqual({
      year: 2018,
      month: 6,
      day: 25,
      hour: 17,
      minute: 41,
      second: 5,
    });
  });
});
