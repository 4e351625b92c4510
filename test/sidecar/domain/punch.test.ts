import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../sidecar/src/domain/naiveTime.js";
import { makePunch, punchUid } from "../../../sidecar/src/domain/punch.js";

interface UidCase {
  device: string;
  user_id: string;
  time: NaiveDateTime;
  uid: string;
}
const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/punch-uids.json", import.meta.url), "utf8"),
) as { cases: UidCase[] };

describe("punchUid", () => {
  it.each(fixture.cases)("matches the shared fixture for $device | $user_id | $time", (c) => {
    expect(punchUid(c.device, c.user_id, c.time)).toBe(c.uid);
  });

  it("tells '0111' and '111' apart: user ids are strings end to end", () => {
    const t = "2026-11-02 08:59:07" as NaiveDateTime;
    expect(punchUid("Gate", "0111", t)).not.toBe(punchUid("Gate", "111", t));
  });

  it("is at most 64 hex characters", () => {
    expect(punchUid("a".repeat(200), "b".repeat(24), "2026-01-01 00:00:00" as NaiveDateTime)).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });
});

describe("makePunch", () => {
  it("keeps the user id verbatim and sets the direction from the state", () => {
    const punch = makePunch({
      device: "Gate",
      userId: "0111",
      time: "2026-11-02 08:59:07" as NaiveDateTime,
      state: 1,
      verify: 15,
      raw: "ab",
    });
    expect(punch).toMatchObject({ user_id: "0111", direction: "OUT", state: 1, verify: 15, raw: "ab" });
    expect(punch.uid).toBe(punchUid("Gate", "0111", punch.time));
  });
});
