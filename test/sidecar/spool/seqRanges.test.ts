import { describe, expect, it } from "vitest";
import { SeqRanges } from "../../../sidecar/src/spool/seqRanges.js";

/** A tiny deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("SeqRanges", () => {
  it("merges touching and overlapping ranges and counts members", () => {
    const set = new SeqRanges();
    expect(set.add(1, 3)).toBe(3);
    expect(set.add(5, 6)).toBe(2);
    expect(set.ranges()).toEqual([
      [1, 3],
      [5, 6],
    ]);
    expect(set.add(4)).toBe(1);
    expect(set.ranges()).toEqual([[1, 6]]);
    expect(set.add(2, 8)).toBe(2);
    expect(set.size).toBe(8);
    expect(set.delete(3, 4)).toBe(2);
    expect(set.ranges()).toEqual([
      [1, 2],
      [5, 8],
    ]);
    expect(set.countWithin(2, 6)).toBe(3);
    expect(set.has(4)).toBe(false);
    expect(set.has(5)).toBe(true);
    expect(set.first).toBe(1);
    expect(set.last).toBe(8);
  });

  it("behaves like a Set of numbers under random adds and deletes", () => {
    const random = prng(42);
    const set = new SeqRanges();
    const model = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      const start = 1 + Math.floor(random() * 400);
      const end = start + Math.floor(random() * 12);
      if (random() < 0.65) {
        let fresh = 0;
        for (let s = start; s <= end; s++) {
          if (!model.has(s)) {
            model.add(s);
            fresh++;
          }
        }
        expect(set.add(start, end)).toBe(fresh);
      } else {
        let gone = 0;
        for (let s = start; s <= end; s++) if (model.delete(s)) gone++;
        expect(set.delete(start, end)).toBe(gone);
      }
      expect(set.size).toBe(model.size);
    }
    const probe = new SeqRanges();
    probe.add(50, 350);
    let shared = 0;
    for (let s = 1; s <= 420; s++) {
      expect(set.has(s)).toBe(model.has(s));
      if (s >= 50 && s <= 350 && model.has(s)) shared++;
    }
    expect(set.countShared(probe)).toBe(shared);
    const ranges = set.ranges();
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
  });
});
