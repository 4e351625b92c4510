import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceLocks } from "../../../sidecar/src/devices/deviceLock.js";
import { DevicePoller, type PunchSink } from "../../../sidecar/src/devices/devicePoller.js";
import { LiveChannel, type LiveState } from "../../../sidecar/src/devices/liveChannel.js";
import { formatNaive } from "../../../sidecar/src/domain/naiveTime.js";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import { EtimetrackDriver } from "../../../sidecar/src/drivers/essl/etimetrackDriver.js";
import { ZkDriver } from "../../../sidecar/src/drivers/zk/zkDriver.js";
import { StateStore } from "../../../sidecar/src/spool/stateStore.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A ZK terminal that takes one connection at a time, one driver shared by the poll and the live channel. */
async function setup() {
  const sim = new ZkSimulator({
    scenario: scenario()
      .realisticWeeks({ employees: 4, weeks: 1, startDate: "2026-10-05", seed: 21 })
      .build(),
    maxSessions: 1,
  });
  await sim.start();
  cleanup.push(() => sim.stop());
  const state = await StateStore.open(await mkdtemp(path.join(tmpdir(), "bsync-live-")));
  cleanup.push(() => state.close());
  const stored: Punch[] = [];
  let spooled = 0;
  const sink: PunchSink = {
    append(punches) {
      stored.push(...punches);
      return Promise.resolve();
    },
  };
  const driver = new ZkDriver({
    host: "127.0.0.1",
    port: sim.address.tcpPort,
    deviceId: "Gate",
    timeoutMs: 1_000,
    retryDelayMs: 20,
  });
  const locks = new DeviceLocks();
  const states: LiveState[] = [];
  const live = new LiveChannel({
    onState: (state) => states.push(state),
    deviceKey: "Gate",
    driver,
    locks,
    sink,
    onSpooled: () => spooled++,
    backoff: { initialMs: 50, maxMs: 200, factor: 2 },
    keepAliveMs: 200,
  });
  cleanup.push(() => live.stop());
  const poller = new DevicePoller({ deviceKey: "Gate", driver, locks, sink, cursors: state, intervalMs: 1 });
  const user = sim.users[0]!;
  let minute = 0;
  /** A punch on the terminal now (each at its own time, so each is its own uid). */
  const punch = () => {
    minute++;
    const p = sim.pushLivePunch({
      userId: user.userId,
      time: `2026-11-02 09:${String(minute).padStart(2, "0")}:00`,
    });
    return `${user.userId}|${formatNaive(p!.time)}`;
  };
  const keys = () => stored.map((p) => `${p.user_id}|${p.time}`);
  const up = () => expect.poll(() => live.state.state, { timeout: 5_000 }).toBe("up");
  /** Every state it went through, as "state" or "state CODE". */
  const history = () => states.map((s) => (s.error ? `${s.state} ${s.error.split(":")[0]}` : s.state));
  return { sim, live, poller, punch, keys, stored, spooled: () => spooled, up, history, states };
}

describe("LiveChannel on a ZK terminal", () => {
  it("stores each live punch at once, and a poll pauses the channel, reads under the lock, and resumes it", async () => {
    const w = await setup();
    expect(w.live.state).toMatchObject({ state: "down", error: expect.stringMatching(/^DEVICE_CLOSED: /) });
    w.live.start();
    await w.up();
    await expect.poll(() => w.sim.eventSubscribers()).toBe(1);
    const first = w.punch();
    await expect.poll(() => w.keys()).toEqual([first]);
    expect(w.spooled()).toBe(1);

    // The terminal takes one connection: the poll gets it only because the channel steps aside.
    const poll = await w.poller.pollOnce();
    expect(poll.read).toBe(w.sim.punches.length);
    expect(w.keys().filter((k) => k === first)).toHaveLength(2); // the poll's copy: the same uid
    await expect.poll(() => w.sim.eventSubscribers(), { timeout: 5_000 }).toBe(1);
    const second = w.punch();
    await expect.poll(() => w.keys().includes(second)).toBe(true);
    expect(w.live.state.state).toBe("up");
    expect(new Set(w.stored.map((p) => p.uid)).size).toBe(w.sim.punches.length);
  });

  it("a punch made during the read is found by the read or by the channel", async () => {
    const w = await setup();
    w.live.start();
    await w.up();
    w.sim.addFault({ kind: "punchDuringRead" });
    await w.poller.pollOnce();
    await expect.poll(() => w.sim.eventSubscribers(), { timeout: 5_000 }).toBe(1);
    // Whatever the device holds is stored; the poll after proves it.
    await w.poller.pollOnce();
    const uids = new Set(w.stored.map((p) => p.uid));
    expect(uids.size).toBe(w.sim.punches.length);
  });

  it("a drop mid-event takes the channel down, it reconnects, and the next poll finds the lost punch", async () => {
    const w = await setup();
    w.live.start();
    await w.up();
    const upSince = w.live.state.since;
    w.sim.addFault({ kind: "dropMidEvent" });
    const lost = w.punch();
    await expect.poll(() => w.history()).toEqual(["up", "down DEVICE_CLOSED", "up"]);
    expect(w.states[1]!.since >= upSince).toBe(true);
    await w.up();
    expect(w.keys()).not.toContain(lost);
    const after = w.punch();
    await expect.poll(() => w.keys().includes(after)).toBe(true);
    await w.poller.pollOnce();
    expect(w.keys()).toContain(lost);
    expect(new Set(w.stored.map((p) => p.uid)).size).toBe(w.sim.punches.length);
  });

  it("survives a terminal reboot: down while it is off, up again after, punches made meanwhile found by the poll", async () => {
    const w = await setup();
    w.live.start();
    await w.up();
    const rebooting = w.sim.reboot(300);
    await expect.poll(() => w.live.state.state).toBe("down");
    expect(w.live.state.error).toMatch(/^DEVICE_(CLOSED|UNREACHABLE|REFUSED): /);
    await rebooting;
    const whileDown = w.punch(); // made as it comes back, before the channel re-registers (or after)
    await w.up();
    await expect.poll(() => w.sim.eventSubscribers(), { timeout: 5_000 }).toBe(1);
    const after = w.punch();
    await expect.poll(() => w.keys().includes(after)).toBe(true);
    await w.poller.pollOnce();
    expect(w.keys()).toContain(whileDown);
    expect(new Set(w.stored.map((p) => p.uid)).size).toBe(w.sim.punches.length);
  });

  it("stop closes the connection", async () => {
    const w = await setup();
    w.live.start();
    await w.up();
    await w.live.stop();
    await expect.poll(() => w.sim.eventSubscribers()).toBe(0);
  });

  it("is off for a family without a live channel", () => {
    const driver = new EtimetrackDriver({
      url: "http://127.0.0.1:1/iclock/WebAPIService.asmx",
      userName: "u",
      password: "p",
      serialNumber: "X",
    });
    const live = new LiveChannel({
      deviceKey: "eSSL",
      driver,
      locks: new DeviceLocks(),
      sink: { append: () => Promise.resolve() },
    });
    live.start();
    expect(live.state).toMatchObject({ state: "off", error: null });
  });
});
