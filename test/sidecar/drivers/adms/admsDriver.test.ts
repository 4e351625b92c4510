import { afterEach, describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import { naiveToEpochMs } from "../../../../sidecar/src/domain/naiveTime.js";
import type { Punch } from "../../../../sidecar/src/domain/punch.js";
import { AdmsDriver, type AdmsDriverOptions } from "../../../../sidecar/src/drivers/adms/admsDriver.js";
import type { AdmsServer } from "../../../../sidecar/src/drivers/adms/admsServer.js";
import { manyPunches, MemorySink, MemoryState, servers, SN } from "./support.js";

const harness = servers();
afterEach(() => harness.cleanup());

function driverFor(server: AdmsServer, options: Partial<AdmsDriverOptions> = {}): AdmsDriver {
  return new AdmsDriver({
    server,
    serialNumber: SN,
    queryTimeoutMs: 10_000,
    commandTimeoutMs: 5_000,
    settleMs: 150,
    ...options,
  });
}

/** A terminal that has pushed everything it holds, so a DATA QUERY is the only way to see old punches again. */
async function settledTerminal(punchCount = 60, terminalOptions = {}) {
  const sink = new MemorySink();
  const server = await harness.start({ sink, state: new MemoryState() });
  const punches = manyPunches(punchCount, "2026-03-02");
  const terminal = harness.terminal(server, { punches, batchSize: 25, ...terminalOptions });
  terminal.start();
  await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
  return { sink, server, terminal, punches };
}

describe("AdmsDriver through the push server", () => {
  it.each([
    ["uploads, then answers", false],
    ["answers, then uploads", true],
  ])(
    "Sync Now with a range: DATA QUERY ATTLOG, then exactly the punches in the window (terminal %s)",
    async (_, replyFirst) => {
      const { sink, server, terminal, punches } = await settledTerminal(60, {
        replyBeforeQueryUpload: replyFirst,
      });
      const appendedBefore = sink.appended;
      const window = { since: punches[10]!.time as NaiveDateTime, until: punches[29]!.time as NaiveDateTime };
      const result = await driverFor(server).readPunches({ window });
      expect([...result.punches()].map((p) => [p.user_id, p.time])).toEqual(
        punches.slice(10, 30).map((p) => [p.userId, p.time]),
      );
      expect(result.punchCount).toBe(20);
      expect(terminal.stats.commands.DATA).toBe(1);
      // The re-upload went through the normal path: stored again (harmless duplicates), acknowledged when durable.
      expect(sink.appended - appendedBefore).toBe(20);
      expect(sink.byUid.size).toBe(60);
    },
  );

  it("Test Connection asks for INFO and reports identity and counts", async () => {
    const { server } = await settledTerminal(15);
    const info = await driverFor(server).test();
    expect(info).toMatchObject({
      serialNumber: SN,
      deviceName: `SIM-${SN}`,
      firmware: "Ver 8.0.4.2",
      platform: "ZMM220_TFT",
      userCount: 3,
      punchCount: 15,
      punchCapacity: 100_000,
    });
  });

  it.each(["packed", "text"] as const)(
    "sets the terminal's clock with SET OPTION DateTime (%s)",
    async (timeFormat) => {
      const { server, terminal } = await settledTerminal(1);
      await driverFor(server, { timeFormat }).setTime("2031-01-02 03:04:05" as NaiveDateTime);
      const drift =
        naiveToEpochMs(terminal.deviceNow() as NaiveDateTime) -
        naiveToEpochMs("2031-01-02 03:04:05" as NaiveDateTime);
      expect(drift).toBeGreaterThanOrEqual(0);
      expect(drift).toBeLessThan(5_000);
      expect(terminal.stats.commands.SET).toBe(1);
    },
  );

  it("codes a command the terminal refuses, and one it never answers", async () => {
    const { server, terminal } = await settledTerminal(1);
    terminal.addFault({ kind: "commandFails", command: "INFO", returnCode: -1002 });
    await expect(driverFor(server).test()).rejects.toMatchObject({
      code: "ADMS_COMMAND_REJECTED",
      retryable: false,
    });
    terminal.addFault({ kind: "ignoreCommands", times: Infinity });
    await expect(driverFor(server, { commandTimeoutMs: 300 }).test()).rejects.toMatchObject({
      code: "ADMS_COMMAND_TIMEOUT",
      retryable: true,
    });
  });

  it("says at once when the terminal is offline or unknown, and that its clock cannot be read", async () => {
    const server = await harness.start({ sink: new MemorySink(), state: new MemoryState() });
    await expect(driverFor(server).test()).rejects.toMatchObject({
      code: "ADMS_DEVICE_OFFLINE",
      retryable: true,
    });
    await expect(driverFor(server).readPunches()).rejects.toMatchObject({ code: "ADMS_DEVICE_OFFLINE" });
    await expect(driverFor(server, { serialNumber: "NOPE" }).test()).rejects.toMatchObject({
      code: "ADMS_UNKNOWN_DEVICE",
    });
    await expect(driverFor(server).getTime()).rejects.toMatchObject({
      code: "DEVICE_UNSUPPORTED",
      retryable: false,
    });
    expect(driverFor(server).capabilities).toMatchObject({ pull: false, live: true, setTime: true });
  });

  it("fails pending commands when the server stops", async () => {
    const { server, terminal } = await settledTerminal(1);
    terminal.addFault({ kind: "ignoreCommands", times: Infinity });
    const pending = driverFor(server).test();
    await expect.poll(() => terminal.stats.commands.INFO ?? 0).toBe(1);
    await server.stop();
    await expect(pending).rejects.toMatchObject({ code: "ADMS_SERVER_STOPPED" });
  });

  it("watches live pushes after they are stored", async () => {
    const { server, terminal, sink } = await settledTerminal(1);
    const seen: Punch[] = [];
    const stop = new AbortController();
    const live = driverFor(server).live(async (p) => {
      expect(sink.byUid.has(p.uid)).toBe(true);
      seen.push(p);
      if (seen.length === 2) stop.abort();
    }, stop.signal);
    terminal.punch(
      { userId: "0111", time: "2026-03-03 09:00:00", state: 0 },
      { userId: "0111", time: "2026-03-03 18:00:00", state: 1 },
    );
    await live;
    expect(seen.map((p) => [p.user_id, p.time, p.direction])).toEqual([
      ["0111", "2026-03-03 09:00:00", "IN"],
      ["0111", "2026-03-03 18:00:00", "OUT"],
    ]);
  });
});
