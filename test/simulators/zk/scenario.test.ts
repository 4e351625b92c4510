import { describe, expect, it } from "vitest";
import { formatNaive, isValidParts } from "../../../sidecar/src/domain/naiveTime.js";
import { decodeAttendance } from "../../../sidecar/src/drivers/zk/protocol/attendanceRecords.js";
import { encodeAttendanceDataset } from "./formats.js";
import { scenario } from "./scenario.js";
import { ZkSimulator } from "./zkSimulator.js";

const WEEKS = { employees: 12, weeks: 4, startDate: "2024-03-04", seed: 7 } as const;

describe("scenario builder", () => {
  it("realisticWeeks is deterministic for a seed and differs for another", () => {
    const a = scenario().realisticWeeks(WEEKS).build();
    const b = scenario().realisticWeeks(WEEKS).build();
    const c = scenario()
      .realisticWeeks({ ...WEEKS, seed: 8 })
      .build();
    expect(b).toEqual(a);
    expect(c.punches).not.toEqual(a.punches);
  });

  it("realisticWeeks looks like a site: string ids kept as strings, all punch states, gaps, near-duplicates", () => {
    const s = scenario().realisticWeeks(WEEKS).build();
    const ids = s.users.map((u) => u.userId);
    expect(ids).toContain("0111");
    expect(ids).toContain("123456789012");
    expect(new Set(s.punches.map((p) => p.state))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const times = s.punches.map((p) => formatNaive(p.time));
    expect([...times].sort()).toEqual(times);
    // Only workdays: 4 weeks × 5 days.
    expect(new Set(times.map((t) => t.slice(0, 10))).size).toBe(20);
    const perUserDay = new Map<string, number[]>();
    for (const p of s.punches) {
      const key = `${p.userId} ${formatNaive(p.time).slice(0, 10)}`;
      perUserDay.set(key, [...(perUserDay.get(key) ?? []), p.state]);
    }
    const days = [...perUserDay.values()];
    expect(days.some((states) => !states.includes(0) || !states.includes(1))).toBe(true);
    const sameMinuteRepeat = s.punches.some((p, i) =>
      s.punches
        .slice(i + 1, i + 40)
        .some(
          (q) =>
            q.userId === p.userId &&
            q.state === p.state &&
            Date.UTC(q.time.year, q.time.month - 1, q.time.day, q.time.hour, q.time.minute, q.time.second) -
              Date.UTC(p.time.year, p.time.month - 1, p.time.day, p.time.hour, p.time.minute, p.time.second) <
              60_000,
        ),
    );
    expect(sameMinuteRepeat).toBe(true);
    expect(Object.isFrozen(s.punches)).toBe(true);
    expect(Object.isFrozen(s.punches[0])).toBe(true);
  });

  it("numeric scenarios have no leading zeros, and refuse ids that numeric formats would change", () => {
    const s = scenario({ idKind: "numeric" }).realisticWeeks(WEEKS).build();
    for (const u of s.users) expect(u.userId).toMatch(/^(0|[1-9]\d*)$/);
    expect(() => scenario({ idKind: "numeric" }).addUser({ userId: "0111" })).toThrow(/leading zeros/);
    expect(() => scenario({ idKind: "numeric" }).addUser({ userId: "4294967296" })).toThrow(/numeric/);
  });

  it("the simulator refuses string ids in a numeric format, with a clear error", () => {
    const s = scenario().realisticWeeks(WEEKS).build();
    expect(() => new ZkSimulator({ scenario: s, attendanceFormat: 16 })).toThrow(/numeric user ids.*"0111"/s);
    expect(() => new ZkSimulator({ scenario: s, userFormat: 28 })).toThrow(/idKind: "numeric"/);
  });

  it("bulk builds 100,000 punches quickly", () => {
    const started = performance.now();
    const s = scenario().bulk(100_000).build();
    const ms = performance.now() - started;
    expect(s.punches).toHaveLength(100_000);
    expect(s.punches.every((p) => isValidParts(p.time))).toBe(true);
    // Generous bound: this guards against an accidentally quadratic builder, not a benchmark.
    expect(ms).toBeLessThan(5_000);
  });

  it("absurd records: packed 0, far future, and an impossible Feb 31 on the wire", () => {
    const s = scenario().addUser({ userId: "0111" }).absurdRecords().build();
    const dataset = encodeAttendanceDataset(s.punches, 40);
    expect(dataset.readUInt32LE(4 + 27)).toBe(0);
    const decoded = decodeAttendance(dataset, 3, () => true).records.map((r) => r.time);
    expect(formatNaive(decoded[0]!)).toBe("2000-01-01 00:00:00");
    expect(decoded[1]!.year).toBe(2087);
    expect(decoded[2]).toEqual({ year: 2024, month: 2, day: 31, hour: 8, minute: 0, second: 0 });
    expect(isValidParts(decoded[2]!)).toBe(false);
  });

  it("addPunch validates users and times", () => {
    const b = scenario().addUser({ userId: "0111" });
    expect(() => b.addPunch({ userId: "999", time: "2024-01-01 09:00:00" })).toThrow(/unknown user/);
    expect(() => b.addPunch({ userId: "0111", time: "2024-02-30 09:00:00" })).toThrow(/valid/);
    b.addPunch({ userId: "0111", time: "2024-01-01 09:00:00", state: 1, verify: 15 });
    expect(b.build().punches[0]).toMatchObject({ uid: 1, userId: "0111", state: 1, verify: 15 });
  });
});
