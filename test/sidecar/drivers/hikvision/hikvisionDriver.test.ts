import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../../../../sidecar/src/spool/stateStore.js";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import {
  HikvisionDriver,
  type HikvisionDriverOptions,
} from "../../../../sidecar/src/drivers/hikvision/hikvisionDriver.js";
import { hikEvents, isoWithOffset, successful } from "../../../simulators/hikvision/hikEvents.js";
import {
  type HikEvent,
  HikSimulator,
  type HikSimulatorOptions,
} from "../../../simulators/hikvision/hikSimulator.js";
import { CONNECTION_QUIRKS } from "../../../simulators/shared/loopbackHttpServer.js";
import { recordingLogger } from "../../../fakes/recordingLogger.js";

const running: HikSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function driverFor(sim: HikSimulator, options: Partial<HikvisionDriverOptions> = {}): HikvisionDriver {
  return new HikvisionDriver({
    host: "127.0.0.1",
    port: sim.address.port,
    username: "admin",
    password: "Passw0rd!",
    timeZone: "Asia/Kolkata",
    deviceId: "Lobby",
    timeoutMs: 2_000,
    retryDelayMs: 5,
    ...options,
  });
}

class MemoryCursors {
  readonly values = new Map<string, number>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  async set(key: string, value: number): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

const asPunches = (events: readonly HikEvent[]) =>
  successful(events).map((e) => [e.employeeNoString, e.serialNo]);
const got = (punches: Iterable<{ user_id: string; raw: string }>) =>
  [...punches].map((p) => [p.user_id, (JSON.parse(p.raw) as { serialNo: number }).serialNo]);

// Every test runs against each way device web servers treat connections (field-test finding: servers that hang
// up after each answer without a Connection header reset a client that reuses sockets).
describe.each(CONNECTION_QUIRKS)("HikvisionDriver against the ISAPI simulator (%s server)", (connection) => {
  async function start(
    options: Partial<HikSimulatorOptions> & { events: readonly HikEvent[] },
  ): Promise<HikSimulator> {
    const sim = new HikSimulator({ username: "admin", password: "Passw0rd!", connection, ...options });
    await sim.start();
    running.push(sim);
    return sim;
  }

  it("pages a long search with one searchID, capped pages, and returns only successful authentications", async () => {
    const events = hikEvents(230);
    const sim = await start({ events, maxResultsCap: 30 });
    const result = await driverFor(sim, { pageSize: 50 }).readPunches();
    expect(got(result.punches())).toEqual(asPunches(events));
    expect(result.rejects).toEqual([]);
    const searchIds = new Set(sim.stats.conditions.map((c) => c.searchID));
    expect(searchIds.size).toBe(1);
    expect(sim.stats.conditions.map((c) => c.searchResultPosition)).toEqual(
      Array.from({ length: 8 }, (_, i) => i * 30),
    );
    expect(sim.stats.conditions.every((c) => c.major === 5 && c.minor === 0)).toBe(true);
    const first = [...result.punches()][0]!;
    expect(first).toMatchObject({
      device: "Lobby",
      user_id: "0001",
      time: "2026-03-02 08:00:00",
      verify: 75,
      direction: "IN",
    });
    // A second search uses a new searchID (a reused one can return the old search's results).
    await driverFor(sim).readPunches({ window: { since: "2026-03-02 08:00:00" as NaiveDateTime } });
    expect(new Set(sim.stats.conditions.map((c) => c.searchID)).size).toBe(2);
  });

  it("reads 1,000 events with no retry: one connection per request, whatever the server does with it", async () => {
    const events = hikEvents(1_000);
    const sim = await start({ events, maxResultsCap: 30 });
    const logger = recordingLogger();
    const result = await driverFor(sim, { logger }).readPunches();
    expect(got(result.punches())).toEqual(asPunches(events));
    expect(logger.lines.filter((l) => l.level === "warn")).toEqual([]);
    const requests = Object.values(sim.stats.requests).reduce((a, b) => a + b, 0);
    expect(requests).toBeGreaterThan(34);
    expect(sim.connections).toBe(requests);
  });

  it("advances by what each page held when pages come back short mid-stream", async () => {
    const events = hikEvents(100);
    const sim = await start({ events, faults: [{ kind: "shortPages", size: 7, times: 3 }] });
    const result = await driverFor(sim).readPunches();
    expect(got(result.punches())).toEqual(asPunches(events));
    expect(sim.stats.conditions.slice(0, 4).map((c) => c.searchResultPosition)).toEqual([0, 7, 14, 21]);
  });

  it("asks again after MORE with no events, and stops with a coded reject if it repeats", async () => {
    const events = hikEvents(90);
    const once = await start({ events, faults: [{ kind: "moreWithZero", times: 1 }] });
    expect(got((await driverFor(once).readPunches()).punches())).toEqual(asPunches(events));
    const twice = await start({ events, faults: [{ kind: "moreWithZero", times: 2 }] });
    const result = await driverFor(twice).readPunches();
    expect(result.rejects.map((r) => r.code)).toEqual(["HIK_PAGING_STUCK"]);
    expect(result.punchCount).toBe(0);
  });

  it("retries a malformed answer, an answer to another search and a 500; gives up coded when it persists", async () => {
    const events = hikEvents(40);
    const flaky = await start({
      events,
      faults: [{ kind: "malformed" }, { kind: "wrongSearchId" }, { kind: "serverError" }],
    });
    expect(got((await driverFor(flaky).readPunches()).punches())).toEqual(asPunches(events));
    const broken = await start({ events, faults: [{ kind: "malformed", times: Infinity }] });
    await expect(driverFor(broken, { requestAttempts: 2 }).readPunches()).rejects.toMatchObject({
      code: "HIK_BAD_RESPONSE",
      retryable: true,
    });
  });

  it("times out on a device that never answers", async () => {
    const sim = await start({ events: hikEvents(5), faults: [{ kind: "hang", times: Infinity }] });
    await expect(driverFor(sim, { timeoutMs: 200, requestAttempts: 1 }).readPunches()).rejects.toMatchObject({
      code: "DEVICE_TIMEOUT",
      retryable: true,
    });
  });

  it("stops at the first 401 for a wrong password and makes no further attempt", async () => {
    const sim = await start({ events: hikEvents(5) });
    const logger = recordingLogger();
    const driver = driverFor(sim, { password: "wrong", logger });
    await expect(driver.readPunches()).rejects.toMatchObject({
      code: "DEVICE_AUTH_FAILED",
      retryable: false,
      message: expect.stringMatching(/rejected user "admin".*Stopped trying/),
    });
    expect(sim.stats.authFailures).toBe(1);
    expect(logger.lines.filter((l) => /retrying/.test(l.message))).toEqual([]);
    const requests = { ...sim.stats.requests };
    await expect(driver.readPunches()).rejects.toMatchObject({ code: "DEVICE_AUTH_FAILED" });
    await expect(driver.test()).rejects.toMatchObject({ code: "DEVICE_AUTH_FAILED" });
    expect(sim.stats.requests).toEqual(requests);
    expect(sim.isLocked).toBe(false);
    driver.resetAuth();
    await expect(driver.getTime()).rejects.toMatchObject({ code: "DEVICE_AUTH_FAILED" });
    expect(sim.stats.authFailures).toBe(2);
  });

  it("says so when the device has locked the account", async () => {
    const sim = await start({ events: hikEvents(5), lockAfter: 1 });
    await driverFor(sim, { password: "wrong" })
      .getTime()
      .catch(() => undefined);
    expect(sim.isLocked).toBe(true);
    await expect(driverFor(sim).getTime()).rejects.toMatchObject({
      code: "DEVICE_AUTH_FAILED",
      message: expect.stringMatching(/locked.*unlocks in 1800 s/),
    });
  });

  it("answers a stale nonce without counting it as a failure", async () => {
    const events = hikEvents(70);
    const sim = await start({ events, faults: [{ kind: "staleNonce", times: 2 }] });
    expect(got((await driverFor(sim).readPunches()).punches())).toEqual(asPunches(events));
    expect(sim.stats.authFailures).toBe(0);
  });

  describe("time zones", () => {
    const utc = Date.UTC(2026, 2, 2, 3, 30, 12); // 09:00:12 in India, 07:30:12 in Dubai
    const events: HikEvent[] = [
      { serialNo: 1, minor: 75, time: isoWithOffset(utc, 330), employeeNoString: "0111" },
      { serialNo: 2, minor: 75, time: isoWithOffset(utc + 60_000, 0, true), employeeNoString: "0111" },
      { serialNo: 3, minor: 1, time: "2026-03-02T09:02:12", employeeNoString: "0111" },
    ];

    it("converts offsets to the configured zone's wall clock", async () => {
      const sim = await start({ events });
      const india = [...(await driverFor(sim).readPunches()).punches()].map((p) => p.time);
      expect(india).toEqual(["2026-03-02 09:00:12", "2026-03-02 09:01:12", "2026-03-02 09:02:12"]);
      const dubai = [...(await driverFor(sim, { timeZone: "Asia/Dubai" }).readPunches()).punches()].map(
        (p) => p.time,
      );
      expect(dubai).toEqual(["2026-03-02 07:30:12", "2026-03-02 07:31:12", "2026-03-02 09:02:12"]);
    });

    it("queries a window with explicit offsets: the configured zone's, else the device's inverted-sign zone", async () => {
      const sim = await start({ events, timeZone: "CST-5:30:00" });
      const window = {
        since: "2026-03-02 09:00:00" as NaiveDateTime,
        until: "2026-03-02 09:01:30" as NaiveDateTime,
      };
      const result = await driverFor(sim, { timeZone: null }).readPunches({ window });
      expect(sim.stats.conditions.at(-1)).toMatchObject({
        startTime: "2026-03-02T09:00:00+05:30",
        endTime: "2026-03-02T09:01:30+05:30",
      });
      // Without a configured zone, times are the device's as written: the Z one stays 03:31:12.
      expect([...result.punches()].map((p) => p.time)).toEqual(["2026-03-02 09:00:12"]);
      const la = await start({ events, timeZone: "CST+8:00:00" });
      await driverFor(la, { timeZone: "America/Los_Angeles" }).readPunches({
        window: { since: "2026-07-01 00:00:00" as NaiveDateTime },
      });
      expect(la.stats.conditions.at(-1)?.startTime).toBe("2026-07-01T00:00:00-07:00");
    });
  });

  describe("serialNo cursor", () => {
    it("reads only new events after commit, and reports gaps as coded rejects", async () => {
      const events = hikEvents(50);
      const sim = await start({ events });
      const cursors = new MemoryCursors();
      const driver = driverFor(sim, { cursors });
      const first = await driver.readPunches();
      expect(first.incremental).toBe(false);
      expect(got(first.punches())).toEqual(asPunches(events));
      // Not committed yet: the next read returns the same events again.
      expect((await driver.readPunches()).punchCount).toBe(first.punchCount);
      await first.commit();
      expect(cursors.get("hikvision:serial:Lobby")).toBe(50);
      const more = hikEvents(20, { firstSerial: 51, startUtcMs: Date.UTC(2026, 2, 3, 2, 30) });
      const afterGap = hikEvents(10, { firstSerial: 80, startUtcMs: Date.UTC(2026, 2, 4, 2, 30) });
      sim.record(...more, ...afterGap);
      const second = await driver.readPunches();
      expect(second.incremental).toBe(true);
      expect(sim.stats.conditions.at(-1)).toMatchObject({ beginSerialNo: 51, endSerialNo: 2 ** 31 - 1 });
      expect(got(second.punches())).toEqual(asPunches([...more, ...afterGap]));
      expect(second.rejects.map((r) => [r.code, JSON.parse(r.raw) as unknown])).toEqual([
        ["HIK_SERIAL_GAP", { afterSerialNo: 70, nextSerialNo: 80, missing: 9 }],
      ]);
      await second.commit();
      expect(cursors.get("hikvision:serial:Lobby")).toBe(89);
      const third = await driver.readPunches();
      expect(third.punchCount).toBe(0);
      expect(third.rejects).toEqual([]);
    });

    it("keeps the cursor on disk: after a restart only events not yet committed are read", async () => {
      const dir = await mkdtemp(join(tmpdir(), "hik-cursor-"));
      try {
        const events = hikEvents(40);
        const sim = await start({ events });
        let state = await StateStore.open(dir);
        await (await driverFor(sim, { cursors: state }).readPunches()).commit();
        const more = hikEvents(15, { firstSerial: 41, startUtcMs: Date.UTC(2026, 2, 3, 2, 30) });
        sim.record(...more);
        // Read but killed before its punches were durable: not committed.
        await driverFor(sim, { cursors: state }).readPunches();
        await state.close();
        state = await StateStore.open(dir);
        const afterRestart = await driverFor(sim, { cursors: state }).readPunches();
        expect(got(afterRestart.punches())).toEqual(asPunches(more));
        await afterRestart.commit();
        await state.close();
        state = await StateStore.open(dir);
        expect(state.get("hikvision:serial:Lobby")).toBe(55);
        await state.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("filters old events when the firmware ignores serial bounds", async () => {
      const events = hikEvents(40);
      const sim = await start({ events });
      const cursors = new MemoryCursors();
      cursors.values.set("hikvision:serial:Lobby", 30);
      sim.addFault({ kind: "ignoreSerialBounds" });
      const result = await driverFor(sim, { cursors }).readPunches();
      expect(got(result.punches())).toEqual(asPunches(events.slice(30)));
    });

    it("notices a cleared log (serials went backwards) and reads it again from the start", async () => {
      const sim = await start({ events: hikEvents(60) });
      const cursors = new MemoryCursors();
      const driver = driverFor(sim, { cursors });
      await (await driver.readPunches()).commit();
      const fresh = hikEvents(12, { startUtcMs: Date.UTC(2026, 2, 5, 2, 30) });
      sim.replaceLog(fresh);
      const result = await driver.readPunches();
      expect(result.rejects.map((r) => r.code)).toEqual(["HIK_SERIAL_GAP"]);
      expect(result.rejects[0]!.message).toMatch(/went back from 60 to 12/);
      expect(got(result.punches())).toEqual(asPunches(fresh));
      await result.commit();
      expect(cursors.get("hikvision:serial:Lobby")).toBe(12);
    });
  });

  it("keeps authentications without a person or with a bad time as coded rejects; numeric employeeNo becomes text", async () => {
    const events: HikEvent[] = [
      { serialNo: 1, minor: 75, time: "2026-03-02T09:00:00+05:30", employeeNoString: "" },
      { serialNo: 2, minor: 1, time: "not a time", employeeNoString: "7" },
      { serialNo: 3, minor: 38, time: "2026-03-02T09:00:02+05:30", employeeNo: 42 },
      { serialNo: 4, minor: 38, time: "2000-01-01T00:00:02+05:30", employeeNoString: "9" },
    ];
    const sim = await start({ events });
    const result = await driverFor(sim).readPunches();
    expect(result.rejects.map((r) => r.code)).toEqual([
      "RECORD_NO_USER_ID",
      "RECORD_INVALID_TIME",
      "RECORD_IMPLAUSIBLE_TIME",
    ]);
    expect([...result.punches()].map((p) => p.user_id)).toEqual(["42"]);
  });

  it("Test Connection: identity, counts and clock; reads and sets the clock", async () => {
    const events = hikEvents(20);
    const sim = await start({ events, serialNumber: "DS-K1T671M-SIM-1" });
    const driver = driverFor(sim, { deviceId: null });
    const info = await driver.test();
    expect(info).toMatchObject({
      serialNumber: "DS-K1T671M-SIM-1",
      firmware: "V3.2.30 build 221104",
      platform: "DS-K1T671M",
      deviceName: "Lobby Terminal",
      punchCount: 20,
    });
    expect(info.clock).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(driver.deviceId).toBe("DS-K1T671M-SIM-1");
    await driver.setTime("2031-01-02 03:04:05" as NaiveDateTime);
    expect(sim.stats.timesSet).toEqual(["2031-01-02T03:04:05+05:30"]);
    expect(sim.timeZone).toBe("CST-5:30:00");
    expect(await driver.getTime()).toMatch(/^2031-01-02 03:04:0[5-9]$/);
  });
});
