import { describe, expect, it } from "vitest";
import { DeviceLocks } from "../../../sidecar/src/devices/deviceLock.js";

describe("DeviceLocks", () => {
  it("never lets two users of one device overlap, and keeps their order", async () => {
    const locks = new DeviceLocks();
    const events: string[] = [];
    const job = (name: string, ms: number) =>
      locks.withDevice("gate", async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${name}`);
      });
    await Promise.all([job("poll", 20), job("sync-now", 5), job("test", 1)]);
    expect(events).toEqual([
      "start poll",
      "end poll",
      "start sync-now",
      "end sync-now",
      "start test",
      "end test",
    ]);
    expect(locks.isBusy("gate")).toBe(false);
  });

  it("lets different devices run at the same time", async () => {
    const locks = new DeviceLocks();
    let concurrent = 0;
    let peak = 0;
    const job = (device: string) =>
      locks.withDevice(device, async () => {
        peak = Math.max(peak, ++concurrent);
        await new Promise((r) => setTimeout(r, 10));
        concurrent--;
      });
    await Promise.all([job("a"), job("b"), job("c")]);
    expect(peak).toBe(3);
  });

  it("releases the device when the work fails", async () => {
    const locks = new DeviceLocks();
    await expect(locks.withDevice("gate", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(locks.withDevice("gate", () => Promise.resolve(42))).resolves.toBe(42);
  });
});
