import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../../sidecar/src/util/backoff.js";

describe("backoffDelay", () => {
  const policy = { initialMs: 1000, maxMs: 60_000, factor: 2 };

  it("doubles per attempt and stays within [step/2, step]", () => {
    expect([1, 2, 3].map((a) => backoffDelay(a, policy, () => 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => backoffDelay(a, policy, () => 1))).toEqual([1000, 2000, 4000]);
  });

  it("is capped", () => {
    expect(backoffDelay(30, policy, () => 1)).toBe(60_000);
  });

  it("spreads retries of devices that failed together", () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
