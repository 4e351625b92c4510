import { afterEach, describe, expect, it } from "vitest";
import type { Punch } from "../../../../sidecar/src/domain/punch.js";
import { HikvisionDriver } from "../../../../sidecar/src/drivers/hikvision/hikvisionDriver.js";
import { recordingLogger } from "../../../fakes/recordingLogger.js";
import { hikEvents } from "../../../simulators/hikvision/hikEvents.js";
import { HikSimulator, type HikSimulatorOptions } from "../../../simulators/hikvision/hikSimulator.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function world(options: Partial<HikSimulatorOptions> & { driverPassword?: string } = {}) {
  const sim = new HikSimulator({
    username: "admin",
    password: "Passw0rd!",
    events: hikEvents(20),
    heartbeatMs: 50,
    ...options,
  });
  await sim.start();
  cleanup.push(() => sim.stop());
  const log = recordingLogger();
  const driver = new HikvisionDriver({
    host: "127.0.0.1",
    port: sim.address.port,
    username: "admin",
    password: options.driverPassword ?? "Passw0rd!",
    timeZone: "Asia/Kolkata",
    deviceId: "Lobby",
    timeoutMs: 2_000,
    streamIdleMs: 400,
    logger: log,
  });
  const punches: Punch[] = [];
  let ready = 0;
  const stop = new AbortController();
  cleanup.push(() => stop.abort());
  const live = () =>
    driver.live(
      (p) => {
        punches.push(p);
        return Promise.resolve();
      },
      stop.signal,
      { onReady: () => ready++ },
    );
  return { sim, driver, punches, live, stop, log, ready: () => ready };
}

describe.each(["json", "xml"] as const)("Hikvision alertStream (%s parts)", (streamFormat) => {
  it.each([true, false])(
    "turns each successful authentication into a punch as it happens (Content-Length: %s); failures and door events are not punches",
    async (streamContentLength) => {
      const w = await world({ streamFormat, streamContentLength });
      const live = w.live();
      await expect.poll(() => w.ready()).toBe(1);
      expect(w.sim.streamSubscribers).toBe(1);
      const a = w.sim.punchNow({ employeeNoString: "0007", attendanceStatus: "checkIn" });
      w.sim.punchNow({ employeeNoString: "0008", minor: 9 }); // a refused card
      w.sim.punchNow({ employeeNoString: "", minor: 21 }); // the door opened
      const b = w.sim.punchNow({ employeeNoString: "0009", minor: 38, attendanceStatus: "checkOut" });
      await expect.poll(() => w.punches.length).toBe(2);
      expect(w.punches.map((p) => [p.user_id, p.verify, p.direction])).toEqual([
        ["0007", 75, "IN"],
        ["0009", 38, "OUT"],
      ]);
      expect(w.punches.map((p) => p.time)).toEqual(
        [a.time, b.time].map((t) => t.slice(0, 19).replace("T", " ")),
      );
      // Heartbeats keep the stream alive past the idle timeout.
      await new Promise((r) => setTimeout(r, 600));
      expect(w.sim.streamSubscribers).toBe(1);
      w.stop.abort();
      await expect(live).resolves.toBeUndefined();
      await expect.poll(() => w.sim.streamSubscribers).toBe(0);
    },
  );

  it("the same punch through the stream and the pull has the same uid", async () => {
    const w = await world({ streamFormat });
    const live = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    w.sim.punchNow({ employeeNoString: "0042" });
    await expect.poll(() => w.punches.length).toBe(1);
    const pulled = [...(await w.driver.readPunches()).punches()];
    expect(pulled.at(-1)?.uid).toBe(w.punches[0]!.uid);
    w.stop.abort();
    await live;
  });
});

describe("Hikvision alertStream faults", () => {
  it("a drop mid-event ends the stream with DEVICE_CLOSED (the event is left for the pull)", async () => {
    const w = await world();
    const live = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    w.sim.addFault({ kind: "streamDropMidEvent" });
    w.sim.punchNow({ employeeNoString: "0001" });
    await expect(live).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    expect(w.punches).toEqual([]);
  });

  it("garbage before an event is skipped with a coded warning; the event after it arrives", async () => {
    const w = await world();
    const live = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    w.sim.addFault({ kind: "streamGarbage", style: "bytes" });
    w.sim.punchNow({ employeeNoString: "0001" });
    w.sim.addFault({ kind: "streamGarbage", style: "part" });
    w.sim.punchNow({ employeeNoString: "0002" });
    await expect.poll(() => w.punches.map((p) => p.user_id)).toEqual(["0001", "0002"]);
    const warnings = w.log.lines.filter((l) => l.message.startsWith("skipped an unreadable"));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.every((l) => (l.fields as { code?: string }).code === "HIK_BAD_RESPONSE")).toBe(true);
    w.stop.abort();
    await live;
  });

  it("a reboot or a stream the device ends is DEVICE_CLOSED; silence past the idle time is DEVICE_TIMEOUT", async () => {
    const w = await world();
    const first = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    w.sim.endStreams();
    await expect(first).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    const second = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    const secondEnds = expect(second).rejects.toMatchObject({ code: "DEVICE_CLOSED" });
    await w.sim.reboot(50);
    await secondEnds;
    // Serials continue after the reboot: a punch now is the next serial, and the stream serves it.
    const third = w.live();
    await expect.poll(() => w.sim.streamSubscribers).toBe(1);
    const after = w.sim.punchNow({ employeeNoString: "0003" });
    expect(after.serialNo).toBe(21);
    await expect.poll(() => w.punches.length).toBe(1);
    w.stop.abort();
    await third;

    const quiet = await world({ heartbeatMs: 60_000 });
    await expect(quiet.live()).rejects.toMatchObject({ code: "DEVICE_TIMEOUT" });
  });

  it("a wrong password is refused once, coded, not retried", async () => {
    const w = await world({ driverPassword: "other" });
    await expect(w.live()).rejects.toMatchObject({ code: "DEVICE_AUTH_FAILED" });
    expect(w.sim.stats.authFailures).toBe(1);
  });
});
