import { describe, expect, it } from "vitest";
import { directionFor, directionRuleProblems } from "../../../sidecar/src/domain/direction.js";

describe("directionFor", () => {
  it("maps the default states: 0 and 4 in, 1 and 5 out, others (breaks, 255) unknown", () => {
    expect([0, 4].map((s) => directionFor(s))).toEqual(["IN", "IN"]);
    expect([1, 5].map((s) => directionFor(s))).toEqual(["OUT", "OUT"]);
    expect([2, 3, 255, null].map((s) => directionFor(s))).toEqual([null, null, null, null]);
  });

  it("follows configured rules", () => {
    const rules = { in: [3], out: [2] };
    expect([directionFor(3, rules), directionFor(2, rules), directionFor(0, rules)]).toEqual([
      "IN",
      "OUT",
      null,
    ]);
  });

  it("reports a state listed both ways", () => {
    expect(directionRuleProblems({ in: [0, 1], out: [1] })).toEqual([
      "punch states 1 are listed as both IN and OUT",
    ]);
    expect(directionRuleProblems({ in: [0], out: [1] })).toEqual([]);
  });
});
