import { describe, expect, it } from "vitest";
import { parseNaive, parseNaiveBound } from "../../../sidecar/src/domain/naiveTime.js";

describe("naive date-times", () => {
  it("accepts the device format and ISO's T separator", () => {
    expect(parseNaive("2026-11-21 08:05:09")).toBe("2026-11-21 08:05:09");
    expect(parseNaive("2026-11-21T08:05:09")).toBe("2026-11-21 08:05:09");
  });

  it("refuses impossible dates instead of rolling them over", () => {
    expect(parseNaive("2026-02-29 00:00:00")).toBeNull();
    expect(parseNaive("2024-02-29 00:00:00")).toBe("2024-02-29 00:00:00");
    expect(parseNaive("2026-11-21 24:00:00")).toBeNull();
    expect(parseNaive("21/11/2026 08:00")).toBeNull();
  });

  it("reads a bare date as the start of that day", () => {
    expect(parseNaiveBound("2026-11-01")).toBe("2026-11-01 00:00:00");
    expect(parseNaiveBound("yesterday")).toBeNull();
  });
});
