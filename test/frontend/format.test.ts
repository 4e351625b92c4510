import { describe, expect, it } from "vitest";
import {
  formatCappedCount,
  formatCount,
  formatDate,
  formatDateTime,
  formatDrift,
  formatDuration,
  formatPercent,
  formatTime,
  hourlyBars,
  hourOf,
  naiveMs,
  peakHour,
  plural,
  relativeTime,
  statusTheme,
} from "../../frontend/src/utils/format.js";

describe("site-local naive times", () => {
  it("parses Frappe's datetime strings, with or without seconds and microseconds", () => {
    expect(naiveMs("2026-11-21 08:05:09")).toBe(Date.UTC(2026, 10, 21, 8, 5, 9));
    expect(naiveMs("2026-11-21 08:05:09.123456")).toBe(Date.UTC(2026, 10, 21, 8, 5, 9));
    expect(naiveMs("2026-11-21T08:05")).toBe(Date.UTC(2026, 10, 21, 8, 5, 0));
    expect(naiveMs("2026-11-21")).toBe(Date.UTC(2026, 10, 21));
    for (const bad of [null, undefined, "", "yesterday", "21/11/2026 08:05"]) expect(naiveMs(bad)).toBeNull();
  });

  it("shows them as they are: never converted to the browser's time zone", () => {
    expect(formatDateTime("2026-11-21 08:05:09")).toBe("21 Nov 2026, 08:05");
    expect(formatDateTime("2026-11-21 08:05:09", "2026-12-01 00:00:00")).toBe("21 Nov, 08:05");
    expect(formatDateTime("2026-01-02")).toBe("2 Jan 2026");
    expect(formatDate("2026-11-21 23:59:59")).toBe("21 Nov 2026");
    expect(formatTime("2026-11-21 08:05:09.5")).toBe("08:05:09");
    expect(formatTime("2026-11-21")).toBe("—");
    expect(formatDateTime(null)).toBe("—");
    expect(hourOf("2026-11-21 17:59:00")).toBe(17);
    expect(hourOf("2026-11-21")).toBeNull();
  });

  it("says how long ago against the site's own now", () => {
    const now = "2026-11-21 12:00:00";
    expect(relativeTime("2026-11-21 11:59:40", now)).toBe("just now");
    expect(relativeTime("2026-11-21 11:55:00", now)).toBe("5 min ago");
    expect(relativeTime("2026-11-21 11:59:10", now)).toBe("1 min ago");
    expect(relativeTime("2026-11-21 09:00:00", now)).toBe("3 h ago");
    expect(relativeTime("2026-11-20 10:00:00", now)).toBe("yesterday");
    expect(relativeTime("2026-11-17 12:00:00", now)).toBe("4 days ago");
    expect(relativeTime("2026-11-21 12:10:00", now)).toBe("in 10 min");
    expect(relativeTime(null, now)).toBe("never");
    expect(relativeTime("2026-11-21 11:00:00", null)).toBe("21 Nov 2026, 11:00");
  });
});

describe("durations, drift, percentages, counts", () => {
  it("formats durations", () => {
    expect(formatDuration(0.42)).toBe("0.4 s");
    expect(formatDuration(12)).toBe("12 s");
    expect(formatDuration(75)).toBe("1 min 15 s");
    expect(formatDuration(120)).toBe("2 min");
    expect(formatDuration(3720)).toBe("1 h 2 min");
    expect(formatDuration(7200)).toBe("2 h");
    for (const bad of [null, undefined, -1, Number.NaN]) expect(formatDuration(bad)).toBe("—");
  });

  it("says which way a device clock is off", () => {
    expect(formatDrift(0)).toBe("in sync");
    expect(formatDrift(0.4)).toBe("in sync");
    expect(formatDrift(12)).toBe("12 s ahead");
    expect(formatDrift(-125)).toBe("2 min 5 s behind");
    expect(formatDrift(null)).toBe("—");
  });

  it("formats percentages and counts", () => {
    expect(formatPercent(41.5)).toBe("42%");
    expect(formatPercent(null)).toBe("—");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(undefined)).toBe("—");
    expect(formatCappedCount(10_001, 10_000)).toBe("10,000+");
    expect(formatCappedCount(10_000, 10_000)).toBe("10,000");
    expect(formatCappedCount(null, 10_000)).toBe("—");
    expect(plural(1, "punch", "punches")).toBe("1 punch");
    expect(plural(1200, "punch", "punches")).toBe("1,200 punches");
    expect(plural(0, "device user id")).toBe("0 device user ids");
  });

  it("colours every status the doctypes have", () => {
    expect(statusTheme("Online")).toBe("green");
    expect(statusTheme("Processed")).toBe("green");
    expect(statusTheme("Running")).toBe("blue");
    expect(statusTheme("Unmapped")).toBe("orange");
    expect(statusTheme("Partial")).toBe("orange");
    expect(statusTheme("Failed")).toBe("red");
    expect(statusTheme("Error")).toBe("red");
    expect(statusTheme("Silent")).toBe("red");
    expect(statusTheme("Offline")).toBe("gray");
    expect(statusTheme("Something new")).toBe("gray");
    expect(statusTheme(null)).toBe("gray");
  });
});

describe("the per-hour chart", () => {
  it("makes 24 bars scaled to the busiest hour and marks the current one", () => {
    const perHour = Array.from({ length: 24 }, () => 0);
    perHour[8] = 40;
    perHour[9] = 10;
    perHour[17] = 20;
    const bars = hourlyBars(perHour, 9);
    expect(bars).toHaveLength(24);
    expect(bars[8]).toEqual({ hour: 8, label: "08", count: 40, height: 100, current: false });
    expect(bars[9]).toMatchObject({ count: 10, height: 25, current: true });
    expect(bars[17]?.height).toBe(50);
    expect(bars[0]?.height).toBe(0);
    expect(peakHour(perHour)).toEqual({ hour: 8, count: 40 });
  });

  it("copes with an empty day, short or bad input", () => {
    expect(hourlyBars([]).every((b) => b.count === 0 && b.height === 0)).toBe(true);
    expect(
      hourlyBars([5, -3, Number.NaN])
        .map((b) => b.count)
        .slice(0, 3),
    ).toEqual([5, 0, 0]);
    expect(peakHour(Array(24).fill(0))).toBeNull();
  });
});
