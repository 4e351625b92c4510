import { describe, expect, it } from "vitest";
import { Slots } from "../../../sidecar/src/util/slots.js";

describe("Slots", () => {
  it("runs at most `size` pieces of work at once, the rest in the order they came, and frees a slot on failure", async () => {
    const slots = new Slots(2);
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const runs = gates.map((gate, i) =>
      slots.run(async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        order.push(i);
        await gate.promise;
        inFlight -= 1;
        if (i === 1) throw new Error("boom");
        return i;
      }),
    );
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    gates[1]!.resolve();
    await expect(runs[1]).rejects.toThrow("boom");
    expect(order).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all([runs[0], runs[2], runs[3], runs[4]])).toEqual([0, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });
});
