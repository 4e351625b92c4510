import { describe, expect, it } from "vitest";
import { EMPTY_CURSOR, selectAfterCursor } from "../../../sidecar/src/devices/pullCursor.js";
import type { NaiveDateTime } from "../../../sidecar/src/domain/naiveTime.js";
import { makePunch, type Punch } from "../../../sidecar/src/domain/punch.js";

const punch = (i: number): Punch =>
  makePunch({
    device: "D",
    userId: String(i % 7),
    time: `2026-11-01 08:${String(i % 60).padStart(2, "0")}:00` as NaiveDateTime,
    state: 0,
    verify: 1,
    raw: "",
  });
const log = (from: number, to: number): Punch[] =>
  Array.from({ length: to - from }, (_, k) => punch(from + k));

describe("selectAfterCursor", () => {
  it("takes everything on the first read", () => {
    const s = selectAfterCursor(log(0, 5), EMPTY_CURSOR);
    expect(s.fresh).toHaveLength(5);
    expect(s.next).toEqual({ count: 5, anchorUid: punch(4).uid });
  });

  it("takes only what was appended since, and nothing when nothing was", () => {
    const first = selectAfterCursor(log(0, 5), EMPTY_CURSOR);
    const second = selectAfterCursor(log(0, 8), first.next);
    expect(second).toMatchObject({ outcome: "continued" });
    expect(second.fresh.map((p) => p.uid)).toEqual(log(5, 8).map((p) => p.uid));
    expect(selectAfterCursor(log(0, 8), second.next).fresh).toEqual([]);
  });

  it("realigns when the device dropped its oldest records (cyclic delete)", () => {
    const cursor = selectAfterCursor(log(0, 10), EMPTY_CURSOR).next;
    const s = selectAfterCursor(log(4, 13), cursor);
    expect(s.outcome).toBe("realigned");
    expect(s.fresh.map((p) => p.uid)).toEqual(log(10, 13).map((p) => p.uid));
  });

  it("starts over when the log was cleared, rather than skip punches", () => {
    const cursor = selectAfterCursor(log(0, 10), EMPTY_CURSOR).next;
    const s = selectAfterCursor(log(20, 23), cursor);
    expect(s.outcome).toBe("restarted");
    expect(s.fresh).toHaveLength(3);
  });
});
