import { describe, expect, it } from "vitest";
import {
  commandLabel,
  countsSummary,
  isFinished,
  progressMessage,
  progressPercent,
  syncRangeParams,
  testResultRows,
} from "../../frontend/src/utils/commands.js";

describe("following a command", () => {
  it("turns the sidecar's counters into a percentage that ends at 100", () => {
    expect(progressPercent({ status: "Queued", progress_done: 0, progress_total: 0 })).toBe(0);
    expect(progressPercent({ status: "Running", progress_done: 48_000, progress_total: 96_000 })).toBe(50);
    expect(progressPercent({ status: "Running", progress_done: 95_999, progress_total: 96_000 })).toBe(99);
    expect(progressPercent({ status: "Running", progress_done: 200, progress_total: 100 })).toBe(100);
    // Done is 100 even when the sidecar never reported a total (test_connection, a tiny log).
    expect(progressPercent({ status: "Done", progress_done: 0, progress_total: 0 })).toBe(100);
    expect(progressPercent({ status: "Failed", progress_done: 10, progress_total: 40 })).toBe(25);
  });

  it("knows when it is over", () => {
    expect(["Done", "Failed", "Expired"].every(isFinished)).toBe(true);
    expect(["Queued", "Claimed", "Running", "", null, undefined].some(isFinished)).toBe(false);
  });

  it("explains each state", () => {
    const base = { name: "CMD-1", command_type: "pull" };
    expect(progressMessage({ ...base, status: "Queued" })).toContain("Waiting for the sidecar");
    expect(progressMessage({ ...base, status: "Running", progress_message: "read 40%" })).toBe("read 40%");
    expect(progressMessage({ ...base, status: "Running" })).toBe("Reading…");
    expect(progressMessage({ ...base, status: "Failed", error: "DEVICE_TIMEOUT: no answer" })).toBe(
      "DEVICE_TIMEOUT: no answer",
    );
    expect(progressMessage({ ...base, status: "Expired" })).toContain("did not finish");
    expect(commandLabel("pull_range")).toBe("Sync date range");
    expect(commandLabel("something_else")).toBe("something_else");
  });

  it("summarises a pull's sync log", () => {
    expect(
      countsSummary({
        read_count: 120,
        new_count: 117,
        duplicate_count: 2,
        unmapped_count: 1,
        error_count: 0,
      }),
    ).toBe("Read 120 · new 117 · duplicates 2 · unmapped 1 · errors 0");
    expect(countsSummary(null)).toBe("");
  });

  it("shows what a test connection reported, skipping what the driver did not", () => {
    const rows = testResultRows({
      serial_number: "BJ2C183560123",
      firmware: "Ver 6.60",
      platform: null,
      users: 214,
      punches: 41_532,
      capacity: 100_000,
      clock_drift_seconds: -125,
      memory_used_percent: 41.53,
    });
    expect(rows).toEqual([
      { label: "Serial number", value: "BJ2C183560123" },
      { label: "Firmware", value: "Ver 6.60" },
      { label: "Users", value: "214" },
      { label: "Punches stored", value: "41532 of 100000" },
      { label: "Clock drift", value: "125 s behind" },
      { label: "Memory used", value: "42%" },
    ]);
    expect(testResultRows({ punches: 10 })).toEqual([{ label: "Punches stored", value: "10" }]);
    expect(testResultRows(null)).toEqual([]);
  });
});

describe("Sync Now's date range", () => {
  it("is optional, and whole days in the site's time zone", () => {
    expect(syncRangeParams({})).toEqual({});
    expect(syncRangeParams({ from: " ", to: "" })).toEqual({});
    expect(syncRangeParams({ from: "2026-11-19" })).toEqual({ from_time: "2026-11-19" });
    expect(syncRangeParams({ from: "2026-11-19", to: "2026-11-20" })).toEqual({
      from_time: "2026-11-19",
      to_time: "2026-11-20",
    });
    expect(syncRangeParams({ from: "2026-11-20", to: "2026-11-20" })).toEqual({
      from_time: "2026-11-20",
      to_time: "2026-11-20",
    });
  });

  it("refuses what the site would refuse", () => {
    expect(syncRangeParams({ from: "2026-11-21", to: "2026-11-20" })).toEqual({ error: "From is after To" });
    expect(syncRangeParams({ from: "21/11/2026" })).toEqual({ error: "From is not a date" });
    expect(syncRangeParams({ to: "2026-13-45" })).toEqual({ error: "To is not a date" });
  });
});
