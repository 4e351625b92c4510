import { describe, expect, it } from "vitest";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import { UniqueAppender } from "../../../sidecar/src/spool/uniqueAppender.js";
import { collect, testPunches, withTempDir } from "./spoolTestKit.js";

const uidsOf = async (spool: Spool): Promise<string[]> =>
  (await collect(spool.pending())).map((e) => e.punch.uid);

describe("UniqueAppender", () => {
  it("spools each uid once: pending ones, repeats within a call and across calls, concurrent calls", async () => {
    await withTempDir(async (dir) => {
      const first = await Spool.open(dir);
      await first.append(testPunches(0, 10));
      await first.close();

      const spool = await Spool.open(dir);
      try {
        const appender = await UniqueAppender.open(spool);
        const batch = testPunches(5, 10); // 5..9 are pending already
        await appender.append([...batch, ...batch]);
        await Promise.all([appender.append(testPunches(10, 10)), appender.append(testPunches(12, 10))]);
        const uids = await uidsOf(spool);
        expect(uids).toEqual(testPunches(0, 22).map((p) => p.uid));
        expect(appender.wasPending(testPunches(9, 1)[0]!.uid)).toBe(true);
        expect(appender.wasPending(testPunches(10, 1)[0]!.uid)).toBe(false);
      } finally {
        await spool.close();
      }
    });
  });

  it("answers only once the write holding a punch is durable, and forgets a failed write so a resend is stored", async () => {
    const stored: Punch[] = [];
    const writes: { punches: readonly Punch[]; settle: (ok: boolean) => void }[] = [];
    const fake = {
      append: (punches: readonly Punch[]) =>
        new Promise<void>((resolve, reject) => {
          writes.push({
            punches,
            settle: (ok) => {
              if (!ok) return reject(new Error("disk full"));
              stored.push(...punches);
              resolve();
            },
          });
        }),
      pending: async function* () {},
    };
    const appender = await UniqueAppender.open(fake);
    const punches = testPunches(0, 3);
    const events: string[] = [];
    const a = appender.append(punches).then(
      () => events.push("a ok"),
      () => events.push("a failed"),
    );
    // The same punches again while the first write is in flight: no second write, and no answer before it.
    const b = appender.append(punches).then(
      () => events.push("b ok"),
      () => events.push("b failed"),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(writes).toHaveLength(1);
    expect(events).toEqual([]);
    writes[0]!.settle(false);
    await Promise.all([a, b]);
    expect(events.sort()).toEqual(["a failed", "b failed"]);
    // The terminal resends: written afresh this time.
    const c = appender.append(punches);
    await new Promise((r) => setTimeout(r, 10));
    expect(writes).toHaveLength(2);
    writes[1]!.settle(true);
    await c;
    expect(stored.map((p) => p.uid)).toEqual(punches.map((p) => p.uid));
  });
});
