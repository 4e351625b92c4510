import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceLocks } from "../../../sidecar/src/devices/deviceLock.js";
import { DevicePoller, type PunchSink } from "../../../sidecar/src/devices/devicePoller.js";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import { ZkDriver } from "../../../sidecar/src/drivers/zk/zkDriver.js";
import type { SidecarError } from "../../../sidecar/src/errors.js";
import { StateStore } from "../../../sidecar/src/spool/stateStore.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(
  options: { faults?: ConstructorParameters<typeof ZkSimulator>[0]["faults"]; bulk?: number } = {},
) {
  const sim = new ZkSimulator({
    scenario: scenario()
      .realisticWeeks({ employees: 5, weeks: 1, startDate: "2026-10-05", seed: 9 })
      .bulk(options.bulk ?? 0, { startDate: "2026-09-01" })
      .build(),
    faults: options.faults,
  });
  await sim.start();
  cleanup.push(() => sim.stop());
  const state = await StateStore.open(await mkdtemp(path.join(tmpdir(), "bsync-poller-")));
  cleanup.push(() => state.close());
  const received: Punch[] = [];
  const batchSizes: number[] = [];
  const sink: PunchSink & { failNext: boolean } = {
    failNext: false,
    append(punches) {
      if (this.failNext) {
        this.failNext = false;
        return Promise.reject(new Error("disk full"));
      }
      received.push(...punches);
      batchSizes.push(punches.length);
      return Promise.resolve();
    },
  };
  const makePoller = () =>
    new DevicePoller({
      deviceKey: "Gate",
      driver: new ZkDriver({
        host: "127.0.0.1",
        port: sim.address.tcpPort,
        deviceId: "Gate",
        timeoutMs: 500,
        readAttempts: 1,
      }),
      locks: new DeviceLocks(),
      sink,
      cursors: state,
      intervalMs: 20,
      backoff: { initialMs: 10, maxMs: 40, factor: 2 },
    });
  return { sim, state, sink, received, batchSizes, makePoller };
}

describe("DevicePoller", () => {
  it("hands on each punch once across polls and restarts (the cursor is durable)", async () => {
    const { sim, received, makePoller } = await setup();
    const first = await makePoller().pollOnce();
    expect(first.fresh).toBe(sim.punches.length);
    sim.pushLivePunch({ userId: sim.users[0]!.userId, state: 1 });
    // A new poller over the same state: what a sidecar restart looks like.
    const second = await makePoller().pollOnce();
    expect(second.fresh).toBe(1);
    expect((await makePoller().pollOnce()).fresh).toBe(0);
    expect(new Set(received.map((p) => p.uid)).size).toBe(received.length);
    expect(received).toHaveLength(sim.punches.length);
  });

  it("streams a large log to the sink in batches of at most 1,000, in device order", async () => {
    const { sim, received, batchSizes, makePoller } = await setup({ bulk: 2_500 });
    await makePoller().pollOnce();
    expect(batchSizes.every((n) => n <= 1000)).toBe(true);
    expect(batchSizes.length).toBe(Math.ceil(sim.punches.length / 1000));
    expect(received.map((p) => p.user_id)).toEqual(sim.punches.map((p) => p.userId));
  });

  it("does not move the cursor when the punches could not be made durable", async () => {
    const { sim, sink, received, makePoller } = await setup();
    sink.failNext = true;
    await expect(makePoller().pollOnce()).rejects.toThrow("disk full");
    expect((await makePoller().pollOnce()).fresh).toBe(sim.punches.length);
    expect(received).toHaveLength(sim.punches.length);
  });

  it("keeps polling through failures, backing off, and recovers", async () => {
    const { sim, received, makePoller } = await setup({ faults: [{ kind: "refuse", times: 3 }] });
    const poller = makePoller();
    const stop = new AbortController();
    const errors: SidecarError[] = [];
    const run = poller.run(
      stop.signal,
      (result) => result.fresh > 0 && stop.abort(),
      (error) => errors.push(error),
    );
    await run;
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((e) => e.retryable)).toBe(true);
    expect(received).toHaveLength(sim.punches.length);
    expect(poller.consecutiveFailures).toBe(0);
  });
});

describe("DevicePoller with a driver that keeps its own cursor (Hikvision serialNo)", () => {
  it("hands on everything the driver returns and commits the driver's cursor only after the sink", async () => {
    const { HikSimulator } = await import("../../simulators/hikvision/hikSimulator.js");
    const { hikEvents } = await import("../../simulators/hikvision/hikEvents.js");
    const { HikvisionDriver } = await import("../../../sidecar/src/drivers/hikvision/hikvisionDriver.js");
    const sim = new HikSimulator({
      username: "admin",
      password: "Passw0rd!",
      events: hikEvents(40, { startUtcMs: Date.UTC(2026, 9, 5, 3, 0) }),
    });
    await sim.start();
    cleanup.push(() => sim.stop());
    const state = await StateStore.open(await mkdtemp(path.join(tmpdir(), "bsync-hik-poller-")));
    cleanup.push(() => state.close());
    const received: Punch[] = [];
    let failNext = false;
    const sink: PunchSink = {
      append(punches) {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error("disk full"));
        }
        received.push(...punches);
        return Promise.resolve();
      },
    };
    const poller = () =>
      new DevicePoller({
        deviceKey: "Lobby",
        driver: new HikvisionDriver({
          host: "127.0.0.1",
          port: sim.address.port,
          username: "admin",
          password: "Passw0rd!",
          timeZone: "Asia/Kolkata",
          deviceId: "Lobby",
          cursors: state,
          cursorKey: "hik:Lobby",
        }),
        locks: new DeviceLocks(),
        sink,
        cursors: state,
        intervalMs: 1_000,
      });
    failNext = true;
    await expect(poller().pollOnce()).rejects.toThrow("disk full");
    const first = await poller().pollOnce();
    expect(first.fresh).toBe(received.length);
    expect(first.fresh).toBeGreaterThan(0);
    sim.record(
      ...hikEvents(3, { firstSerial: 41, startUtcMs: Date.UTC(2026, 9, 6, 3, 0) }).filter(
        (e) => e.minor !== 21,
      ),
    );
    const second = await poller().pollOnce();
    expect(second.fresh).toBe(3);
    expect(new Set(received.map((p) => p.uid)).size).toBe(received.length);
  });
});
