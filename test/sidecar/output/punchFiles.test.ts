import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../sidecar/src/domain/naiveTime.js";
import { makePunch } from "../../../sidecar/src/domain/punch.js";
import { parseCsv } from "../../../sidecar/src/output/csv.js";
import { checkinImportCsv, punchesCsv } from "../../../sidecar/src/output/punchFiles.js";

const p = (userId: string, time: string, state: number) =>
  makePunch({ device: "Gate, North", userId, time: time as NaiveDateTime, state, verify: 1, raw: "00" });

describe("punch files", () => {
  it("writes one CSV row per punch with the id verbatim and awkward text quoted", () => {
    const rows = parseCsv(
      punchesCsv([p("0111", "2026-11-02 09:00:00", 0), p("42", "2026-11-02 18:00:00", 255)]),
    );
    expect(rows[0]).toEqual(["device", "user_id", "time", "direction", "state", "verify", "uid"]);
    expect(rows[1]!.slice(0, 6)).toEqual(["Gate, North", "0111", "2026-11-02 09:00:00", "IN", "0", "1"]);
    expect(rows[2]![3]).toBe("");
  });

  it("writes ERPNext's Employee Checkin import columns in the site's zone, and sets unmapped ids aside", () => {
    const map = new Map([["0111", "HR-EMP-00001"]]);
    const result = checkinImportCsv(
      [p("0111", "2026-11-02 09:00:00", 1), p("999", "2026-11-02 09:01:00", 0)],
      map,
      {
        deviceZone: () => "Asia/Kolkata",
        siteZone: "Asia/Dubai",
      },
    );
    expect(parseCsv(result.csv)).toEqual([
      ["Employee", "Time", "Log Type", "Location / Device ID", "Skip Auto Attendance"],
      ["HR-EMP-00001", "2026-11-02 07:30:00", "OUT", "Gate, North", "0"],
    ]);
    expect(result.unmapped.map((u) => u.user_id)).toEqual(["999"]);
  });
});
