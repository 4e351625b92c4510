import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../sidecar/src/domain/naiveTime.js";
import {
  convertWallTime,
  isValidTimeZone,
  utcMsToWall,
  wallToUtcMs,
} from "../../../sidecar/src/domain/timeZone.js";

const wall = (s: string) => s as NaiveDateTime;

describe("time zones", () => {
  it("converts a device in Kolkata to a site in Dubai", () => {
    expect(convertWallTime(wall("2026-11-02 09:00:00"), "Asia/Kolkata", "Asia/Dubai")).toBe(
      "2026-11-02 07:30:00",
    );
  });

  it("crosses the date line", () => {
    expect(convertWallTime(wall("2026-01-01 01:00:00"), "Pacific/Auckland", "America/Los_Angeles")).toBe(
      "2025-12-31 04:00:00",
    );
  });

  it("resolves an autumn wall time that happens twice to its first occurrence (clocks go back)", () => {
    // Europe/London 2026-10-25: 01:30 happens at 00:30Z (BST) and again at 01:30Z (GMT).
    expect(new Date(wallToUtcMs(wall("2026-10-25 01:30:00"), "Europe/London")).toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
  });

  it("moves a spring wall time that never happened forward by the gap (clocks go forward)", () => {
    // Europe/London 2026-03-29: 01:00 → 02:00; 01:30 does not exist on the wall.
    const utc = wallToUtcMs(wall("2026-03-29 01:30:00"), "Europe/London");
    expect(new Date(utc).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(utcMsToWall(utc, "Europe/London")).toBe("2026-03-29 02:30:00");
  });

  it("handles zones with half-hour and 45-minute offsets", () => {
    expect(convertWallTime(wall("2026-06-01 12:00:00"), "Asia/Kathmandu", "UTC")).toBe("2026-06-01 06:15:00");
  });

  it("validates IANA names", () => {
    expect(isValidTimeZone("Asia/Kolkata")).toBe(true);
    expect(isValidTimeZone("IST+5:30")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });
});
