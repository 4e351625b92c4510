import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { formatNaive } from "../../../../sidecar/src/domain/naiveTime.js";
import type { Punch } from "../../../../sidecar/src/domain/punch.js";
import { ZkDriver, type ZkDriverOptions } from "../../../../sidecar/src/drivers/zk/zkDriver.js";
import { Cmd } from "../../../../sidecar/src/drivers/zk/protocol/constants.js";
import { DeviceError } from "../../../../sidecar/src/errors.js";
import { type Scenario, scenario } from "../../../simulators/zk/scenario.js";
import { ZkSimulator, type ZkSimulatorOptions } from "../../../simulators/zk/zkSimulator.js";

const running: ZkSimulator[] = [];
const drivers: ZkDriver[] = [];

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function start(options: ZkSimulatorOptions): Promise<ZkSimulator> {
  const sim = new ZkSimulator(options);
  await sim.start();
  running.push(sim);
  return sim;
}

function driverFor(sim: ZkSimulator, options: Partial<ZkDriverOptions> = {}): ZkDriver {
  const transport = options.transport ?? "tcp";
  const driver = new ZkDriver({
    host: sim.address.host,
    port: transport === "udp" ? sim.address.udpPort! : sim.address.tcpPort,
    deviceId: "Gate",
    timeoutMs: 2_000,
    retryDelayMs: 10,
    ...options,
  });
  drivers.push(driver);
  return driver;
}

/** What the scenario holds, as (user id, time, verify, state), in device order. */
const expected = (s: Scenario) => s.punches.map((p) => [p.userId, formatNaive(p.time), p.verify, p.state]);
const got = (punches: Iterable<Punch>) => [...punches].map((p) => [p.user_id, p.time, p.verify, p.state]);

const stringScenario = (n = 0) =>
  scenario()
    .realisticWeeks({ employees: 12, weeks: 1, startDate: "2026-10-05", seed: 7 })
    .bulk(n, { startDate: "2026-09-01" })
    .build();

describe("ZkDriver against the simulator", () => {
  it.each(["split-all", "split-node", "coalesced"] as const)(
    "reads every punch of a multi-chunk log in %s packet timing",
    async (timing) => {
      const s = stringScenario(5_000);
      const sim = await start({ scenario: s, timing });
      const result = await driverFor(sim).readPunches();
      expect(result.deviceRecordCount).toBe(s.punches.length);
      expect(got(result.punches())).toEqual(expected(s));
      expect(result.rejects).toEqual([]);
    },
  );

  it("keeps '0111' and 12-character ids whole and derives direction from state", async () => {
    const s = scenario()
      .addUser({ userId: "0111", name: "Zero Lead" })
      .addUser({ userId: "123456789012", name: "Long Id" })
      .addPunch({ userId: "0111", time: "2026-11-02 09:00:00", state: 0, verify: 1 })
      .addPunch({ userId: "123456789012", time: "2026-11-02 18:00:00", state: 1, verify: 15 })
      .build();
    const sim = await start({ scenario: s });
    const punches = [...(await driverFor(sim).readPunches()).punches()];
    expect(punches.map((p) => [p.user_id, p.direction, p.device])).toEqual([
      ["0111", "IN", "Gate"],
      ["123456789012", "OUT", "Gate"],
    ]);
  });

  it.each([
    [16, "udp"],
    [16, "tcp"],
    [8, "tcp"],
    ["8-alt", "tcp"],
    [49, "tcp"],
    [40, "udp"],
  ] as const)("decodes %s-byte records over %s, sized from the data", async (format, transport) => {
    const numeric = format === 16 || format === 8 || format === "8-alt";
    const s = scenario({ idKind: numeric ? "numeric" : "string" })
      .realisticWeeks({ employees: 10, weeks: 2, startDate: "2026-10-05", seed: 3 })
      .build();
    const sim = await start({ scenario: s, attendanceFormat: format });
    const result = await driverFor(sim, { transport }).readPunches();
    expect(got(result.punches())).toEqual(expected(s));
  });

  it("filters by an inclusive window after the full read", async () => {
    const s = stringScenario();
    const sim = await start({ scenario: s });
    const window = { since: formatNaive(s.punches[10]!.time), until: formatNaive(s.punches[20]!.time) };
    const punches = [...(await driverFor(sim).readPunches({ window })).punches()];
    expect(punches.length).toBeGreaterThanOrEqual(11);
    expect(punches.every((p) => p.time >= window.since && p.time <= window.until)).toBe(true);
  });

  describe("comm key", () => {
    const s = scenario().realisticWeeks({ employees: 3, weeks: 1, startDate: "2026-10-05", seed: 1 }).build();

    it.each(["tcp", "udp"] as const)("authenticates with the right key over %s", async (transport) => {
      const sim = await start({ scenario: s, commKey: 123456 });
      const result = await driverFor(sim, { commKey: 123456, transport }).readPunches();
      expect(result.punchCount).toBe(s.punches.length);
    });

    it("fails clearly, without retrying, on a wrong or missing key", async () => {
      const sim = await start({ scenario: s, commKey: 123456 });
      await expect(driverFor(sim, { commKey: 654321 }).readPunches()).rejects.toMatchObject({
        code: "DEVICE_AUTH_FAILED",
        retryable: false,
      });
      await expect(driverFor(sim).readPunches()).rejects.toMatchObject({
        code: "DEVICE_AUTH_FAILED",
        message: expect.stringMatching(/comm key/),
      });
      // One AUTH attempt for the wrong key, none for the missing one: no retry storm against a locking device.
      expect(sim.stats().commands[Cmd.AUTH]).toBe(1);
    });
  });

  describe("faults", () => {
    it("re-reads whole on a fresh connection when the link drops mid-chunk, and returns every punch", async () => {
      const s = stringScenario(3_000);
      const sim = await start({ scenario: s, faults: [{ kind: "dropMidChunk", times: 2 }] });
      const result = await driverFor(sim).readPunches();
      expect(got(result.punches())).toEqual(expected(s));
      expect(sim.stats().connections).toBe(3);
    });

    it("fails with a retryable error, never a partial result, when every attempt drops", async () => {
      const sim = await start({
        scenario: stringScenario(3_000),
        faults: [{ kind: "dropMidChunk", times: Infinity }],
      });
      await expect(driverFor(sim, { readAttempts: 2 }).readPunches()).rejects.toMatchObject({
        retryable: true,
      });
    });

    it("retries a chunk whose checksum is corrupt", async () => {
      const s = stringScenario(3_000);
      const sim = await start({ scenario: s, faults: [{ kind: "badChecksum", target: "chunk", times: 1 }] });
      expect(got((await driverFor(sim).readPunches()).punches())).toEqual(expected(s));
    });

    it("times out on a stalled device instead of hanging", async () => {
      const sim = await start({
        scenario: stringScenario(3_000),
        faults: [{ kind: "stall", command: Cmd.DATA_RDY, times: Infinity }],
      });
      await expect(
        driverFor(sim, { timeoutMs: 300, chunkAttempts: 1, readAttempts: 1 }).readPunches(),
      ).rejects.toMatchObject({
        code: "DEVICE_TIMEOUT",
        retryable: true,
      });
    });

    it("survives garbage on the wire with a coded error, then reads on retry", async () => {
      const s = stringScenario();
      const sim = await start({
        scenario: s,
        faults: [{ kind: "garbage", command: Cmd.GET_FREE_SIZES, times: 1 }],
      });
      expect(got((await driverFor(sim).readPunches()).punches())).toEqual(expected(s));
      const always = await start({
        scenario: s,
        faults: [{ kind: "garbage", command: Cmd.GET_FREE_SIZES, times: Infinity }],
      });
      await expect(driverFor(always, { readAttempts: 1 }).readPunches()).rejects.toMatchObject({
        code: expect.stringMatching(/^PROTOCOL_/),
      });
    });

    it("reports a device that resets us as busy and one that closes at once as closed", async () => {
      const s = stringScenario();
      const busy = await start({ scenario: s, faults: [{ kind: "busy", times: Infinity }] });
      await expect(driverFor(busy, { readAttempts: 1 }).readPunches()).rejects.toMatchObject({
        code: "DEVICE_BUSY",
        retryable: true,
      });
      const refusing = await start({ scenario: s, faults: [{ kind: "refuse", times: Infinity }] });
      await expect(driverFor(refusing, { readAttempts: 1 }).readPunches()).rejects.toMatchObject({
        retryable: true,
      });
    });

    it("names a dataset that fits no known record size", async () => {
      const sim = await start({
        scenario: stringScenario(),
        faults: [{ kind: "wrongRecordSize", times: Infinity }],
      });
      await expect(driverFor(sim).readPunches()).rejects.toMatchObject({
        code: "ZK_UNKNOWN_RECORD_SIZE",
        retryable: false,
      });
    });

    it("treats a dataset missing records as a retryable failure, never a partial success", async () => {
      const s = stringScenario();
      const once = await start({ scenario: s, faults: [{ kind: "truncatedDataset", times: 1 }] });
      expect(got((await driverFor(once).readPunches()).punches())).toEqual(expected(s));
      const always = await start({ scenario: s, faults: [{ kind: "truncatedDataset", times: Infinity }] });
      await expect(driverFor(always, { readAttempts: 2 }).readPunches()).rejects.toMatchObject({
        retryable: true,
      });
    });

    it("disables the device while reading, so a punch cannot slip between the count and the data", async () => {
      const s = stringScenario(2_000);
      const sim = await start({ scenario: s, faults: [{ kind: "punchDuringRead", times: Infinity }] });
      const result = await driverFor(sim).readPunches();
      expect([...result.punches()]).toHaveLength(result.deviceRecordCount);
      expect(sim.enabled).toBe(true);
    });

    it("refuses a closed port, and names a peer that is not a ZK device", async () => {
      const sim = await start({ scenario: stringScenario() });
      const port = sim.address.tcpPort;
      await sim.stop();
      await expect(
        new ZkDriver({ host: "127.0.0.1", port, readAttempts: 1 }).readPunches(),
      ).rejects.toMatchObject({ code: "DEVICE_REFUSED" });
      const web = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
      await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
      try {
        const webPort = (web.address() as net.AddressInfo).port;
        await expect(
          new ZkDriver({ host: "127.0.0.1", port: webPort, readAttempts: 1 }).readPunches(),
        ).rejects.toMatchObject({
          code: "PROTOCOL_BAD_FRAME",
        });
      } finally {
        web.close();
      }
    });
  });

  it("keeps absurd records aside with a code and the raw bytes, and still checks the count", async () => {
    const s = scenario()
      .realisticWeeks({ employees: 3, weeks: 1, startDate: "2026-10-05", seed: 2 })
      .absurdRecords()
      .build();
    const sim = await start({ scenario: s });
    const result = await driverFor(sim).readPunches();
    expect(result.punchCount + result.rejects.length).toBe(s.punches.length);
    expect(result.rejects.map((r) => r.code).sort()).toEqual([
      "RECORD_IMPLAUSIBLE_TIME",
      "RECORD_IMPLAUSIBLE_TIME",
      "RECORD_INVALID_TIME",
    ]);
    expect(result.rejects.every((r) => /^[0-9a-f]{80}$/.test(r.raw))).toBe(true);
  });

  it("reads identity, counts, capacity and clock, and sets the clock", async () => {
    const s = scenario()
      .identity({ serialNumber: "CQZ7234560123", firmware: "Ver 6.60 Apr 28 2015", platform: "ZMM220_TFT" })
      .capacities({ records: 100_000 })
      .realisticWeeks({ employees: 4, weeks: 1, startDate: "2026-10-05", seed: 5 })
      .build();
    const sim = await start({ scenario: s });
    const driver = driverFor(sim, { deviceId: null });
    const info = await driver.test();
    expect(info).toMatchObject({
      serialNumber: "CQZ7234560123",
      firmware: "Ver 6.60 Apr 28 2015",
      platform: "ZMM220_TFT",
      punchCount: s.punches.length,
      punchCapacity: 100_000,
    });
    expect(driver.deviceId).toBe("CQZ7234560123");
    await driver.setTime("2031-01-02 03:04:05" as never);
    expect(await driver.getTime()).toMatch(/^2031-01-02 03:04:0[5-9]$/);
  });

  it("never clears the log unless asked; clears it, disabled, once the log it verified is what it holds", async () => {
    const s = stringScenario();
    const sim = await start({ scenario: s });
    const driver = driverFor(sim);
    const read = await driver.readPunches();
    expect(sim.punches).toHaveLength(s.punches.length);
    const confirmed = new Set([...read.punches()].map((p) => p.uid));
    let enabledDuringVerify: boolean | null = null;
    const result = await driver.clearLog({
      verify: (onDevice) => {
        enabledDuringVerify = sim.enabled;
        for (const p of onDevice.punches()) if (!confirmed.has(p.uid)) throw new Error("unconfirmed");
      },
    });
    expect(enabledDuringVerify).toBe(false);
    expect(result).toEqual({ cleared: s.punches.length, remaining: 0 });
    expect(sim.punches).toHaveLength(0);
    expect(sim.enabled).toBe(true);
  });

  it("does not clear when verify refuses, and enables the device again", async () => {
    const sim = await start({ scenario: stringScenario() });
    const driver = driverFor(sim);
    const before = sim.punches.length;
    await expect(
      driver.clearLog({
        verify: () => {
          throw new DeviceError("CLEAR_LOG_CHANGED", "refused");
        },
      }),
    ).rejects.toMatchObject({ code: "CLEAR_LOG_CHANGED" });
    expect(sim.punches).toHaveLength(before);
    expect(sim.enabled).toBe(true);
  });

  it("does not clear when a record lands after the verified read (count moved)", async () => {
    const s = stringScenario();
    const sim = await start({ scenario: s });
    const driver = driverFor(sim);
    const user = s.users[0]!;
    // Firmware that keeps recording while "disabled" (or re-enables on its own): the count check catches it.
    await expect(
      driver.clearLog({ verify: () => void sim.pushLivePunch({ userId: user.userId, uid: user.uid }) }),
    ).rejects.toMatchObject({ code: "CLEAR_LOG_CHANGED" });
    expect(sim.punches).toHaveLength(s.punches.length + 1);
    expect(sim.enabled).toBe(true);
  });

  it("streams live punches and acknowledges each one after it was handled", async () => {
    const s = scenario().addUser({ userId: "0111", name: "A" }).build();
    const sim = await start({ scenario: s });
    const driver = driverFor(sim);
    const seen: Punch[] = [];
    const stop = new AbortController();
    const live = driver.live(async (p) => {
      seen.push(p);
      if (seen.length === 2) stop.abort();
    }, stop.signal);
    await expect.poll(() => sim.eventSubscribers()).toBe(1);
    sim.pushLivePunch({ userId: "0111", time: "2026-11-21 09:00:00", state: 0 });
    sim.pushLivePunch({ userId: "0111", time: "2026-11-21 18:00:00", state: 1 });
    await live;
    expect(seen.map((p) => [p.user_id, p.time, p.direction])).toEqual([
      ["0111", "2026-11-21 09:00:00", "IN"],
      ["0111", "2026-11-21 18:00:00", "OUT"],
    ]);
    await expect.poll(() => sim.stats().eventsAcked).toBe(2);
  });
});
