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

  it("pauses an idle holder when someone wants the device, and lets it back after", async () => {
    const locks = new DeviceLocks();
    const events: string[] = [];
    const held = locks.holdWhileIdle("gate", async (yieldSignal) => {
      events.push("live up");
      await new Promise<void>((resolve) => yieldSignal.addEventListener("abort", () => resolve()));
      events.push("live paused");
    });
    await new Promise((r) => setTimeout(r, 5));
    const poll = locks.withDevice("gate", async () => {
      events.push("poll");
      expect(locks.isWanted("gate")).toBe(true);
    });
    await expect(held).resolves.toBe(true);
    await poll;
    expect(events).toEqual(["live up", "live paused", "poll"]);
    expect(locks.isWanted("gate")).toBe(false);
    // Back after the poll: nobody wants the device now.
    let ran = false;
    await expect(locks.holdWhileIdle("gate", () => Promise.resolve(void (ran = true)))).resolves.toBe(true);
    expect(ran).toBe(true);
  });

  it("an idle holder queued behind a user steps aside if another user is waiting", async () => {
    const locks = new DeviceLocks();
    const order: string[] = [];
    const first = locks.withDevice("gate", async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push("poll");
    });
    const idle = locks.holdWhileIdle("gate", () => Promise.resolve(void order.push("live")));
    const second = locks.withDevice("gate", () => Promise.resolve(void order.push("test")));
    await Promise.all([first, second]);
    await expect(idle).resolves.toBe(false);
    expect(order).toEqual(["poll", "test"]);
  });
});
