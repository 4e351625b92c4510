import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore } from "../../../../sidecar/src/spool/stateStore.js";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import { DIALECTS } from "../../../../sidecar/src/drivers/essl/dateDialect.js";
import {
  EbioserverDriver,
  type EbioserverDriverOptions,
} from "../../../../sidecar/src/drivers/essl/ebioserverDriver.js";
import {
  EtimetrackDriver,
  type EtimetrackDriverOptions,
} from "../../../../sidecar/src/drivers/essl/etimetrackDriver.js";
import { esslRecords } from "../../../simulators/essl/esslRecords.js";
import {
  type EsslRecord,
  EsslSimulator,
  type EsslSimulatorOptions,
} from "../../../simulators/essl/esslSimulator.js";
import { CONNECTION_QUIRKS } from "../../../simulators/shared/loopbackHttpServer.js";
import { recordingLogger } from "../../../fakes/recordingLogger.js";

const running: EsslSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function etime(sim: EsslSimulator, options: Partial<EtimetrackDriverOptions> = {}): EtimetrackDriver {
  return new EtimetrackDriver({
    url: sim.url,
    serialNumber: "BRM9222360384",
    userName: "apiuser",
    password: "secret",
    timeZone: "Asia/Kolkata",
    deviceId: "Office",
    timeoutMs: 2_000,
    retryDelayMs: 5,
    ...options,
  });
}

class MemoryState {
  readonly values = new Map<string, string | readonly string[]>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  async set(key: string, value: string | readonly string[]): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

const records = (count: number, serialNumber = "BRM9222360384", start = Date.UTC(2026, 2, 2, 0, 5)) =>
  esslRecords(count, { serialNumber }, start);

const window = (since: string, until: string) => ({
  window: { since: since as NaiveDateTime, until: until as NaiveDateTime },
});
const keys = (punches: Iterable<{ user_id: string; time: string }>) =>
  [...punches].map((p) => `${p.user_id}|${p.time}`);
const expected = (rs: readonly EsslRecord[], since: string, until: string) =>
  rs.filter((r) => r.time >= since && r.time <= until).map((r) => `${r.employeeCode}|${r.time}`);

// Every test runs against each way device web servers treat connections (field-test finding: servers that hang
// up after each answer without a Connection header reset a client that reuses sockets).
describe.each(CONNECTION_QUIRKS)("eSSL drivers (%s server)", (connection) => {
  async function start(
    options: Partial<EsslSimulatorOptions> & { records: readonly EsslRecord[] },
  ): Promise<EsslSimulator> {
    const sim = new EsslSimulator({ userName: "apiuser", password: "secret", connection, ...options });
    await sim.start();
    running.push(sim);
    return sim;
  }

  describe("EtimetrackDriver against the eTimeTrackLite simulator", () => {
    it("reads a range in day windows that overlap, each punch once, direction from in/out", async () => {
      const rs = records(300);
      const sim = await start({ records: rs });
      const result = await etime(sim, { overlapMinutes: 120 }).readPunches(
        window("2026-03-02 00:00:00", "2026-03-08 23:59:59"),
      );
      expect(keys(result.punches())).toEqual(expected(rs, "2026-03-02 00:00:00", "2026-03-08 23:59:59"));
      expect(sim.stats.transactionCalls).toHaveLength(7);
      expect(sim.stats.transactionCalls[1]).toMatchObject({
        from: "2026-03-02 22:00:00",
        to: "2026-03-03 23:59:59",
      });
      const punches = [...result.punches()];
      expect(punches.filter((p) => p.user_id === "CBC-107")).not.toHaveLength(0);
      expect(punches.map((p) => p.direction).slice(0, 3)).toEqual(["IN", "OUT", null]);
      expect(new Set(punches.map((p) => p.uid)).size).toBe(punches.length);
      expect(punches.every((p) => p.device === "Office")).toBe(true);
    });

    it("queries small windows where a wide one would time out", async () => {
      const rs = records(100);
      const sim = await start({ records: rs, maxWindowHours: 30 });
      const range = window("2026-03-02 00:00:00", "2026-03-04 23:59:59");
      await expect(
        etime(sim, { windowHours: 72, requestAttempts: 1, timeoutMs: 300 }).readPunches(range),
      ).rejects.toMatchObject({
        code: "DEVICE_TIMEOUT",
      });
      expect(keys((await etime(sim).readPunches(range)).punches())).toEqual(
        expected(rs, "2026-03-02 00:00:00", "2026-03-04 23:59:59"),
      );
    });

    it("probes the installation's dialect once, keeps it, and reuses it", async () => {
      const rs = records(60);
      const sim = await start({ records: rs, accepts: [{ fromName: "FromDate", pattern: "dd/MM/yyyy" }] });
      const state = new MemoryState();
      const driver = etime(sim, { state });
      const result = await driver.readPunches(window("2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(keys(result.punches())).toEqual(expected(rs, "2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(driver.currentDialect).toEqual(DIALECTS[7]);
      expect([...state.values.values()]).toContain("FromDate|dd/MM/yyyy HH:mm:ss");
      const probes = sim.stats.transactionCalls.length;
      expect(probes).toBe(8);
      const again = etime(sim, { state });
      await again.readPunches(window("2026-03-03 00:00:00", "2026-03-03 23:59:59"));
      expect(sim.stats.transactionCalls.slice(probes)).toEqual([
        {
          from: "03/03/2026 00:00:00",
          to: "03/03/2026 23:59:59",
          names: "FromDate",
          serial: "BRM9222360384",
        },
      ]);
    });

    it("does not take a dialect whose dates the server reads month-first (records land outside the window)", async () => {
      const rs = [...records(40), ...records(40, "BRM9222360384", Date.UTC(2026, 4, 3, 0, 5))]; // 2 March and 3 May
      const sim = await start({
        records: rs,
        accepts: [
          { fromName: "FromDate", pattern: "dd-MM-yyyy", monthFirst: true },
          { fromName: "FromDate", pattern: "dd/MM/yyyy" },
        ],
      });
      const driver = etime(sim);
      // 05-03-2026 read month-first is 3 May, which has records: that dialect is refused, not kept.
      const result = await driver.readPunches(window("2026-03-05 00:00:00", "2026-03-05 23:59:59"));
      expect(keys(result.punches())).toEqual([]);
      expect(driver.currentDialect).toBeNull();
      const march2 = await driver.readPunches(window("2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(keys(march2.punches())).toEqual(expected(rs, "2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(driver.currentDialect).toEqual(DIALECTS[7]);
    });

    it("does not settle for a dialect that only ever answers Logs Count:0", async () => {
      const rs = records(40);
      const sim = await start({
        records: rs,
        accepts: [{ fromName: "FromDate", pattern: "yyyy/MM/dd" }],
        unknownDialect: "empty",
      });
      const driver = etime(sim);
      const result = await driver.readPunches(window("2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(keys(result.punches())).toEqual(expected(rs, "2026-03-02 00:00:00", "2026-03-02 23:59:59"));
      expect(driver.currentDialect).toEqual(DIALECTS[3]);
    });

    it("reads 700 logs over many windows with no retry, one connection per call", async () => {
      const rs = records(700);
      const sim = await start({ records: rs });
      const logger = recordingLogger();
      const range = window("2026-03-02 00:00:00", "2026-03-09 23:59:59");
      const result = await etime(sim, { logger, dialect: DIALECTS[0], windowHours: 6 }).readPunches(range);
      const want = expected(rs, "2026-03-02 00:00:00", "2026-03-09 23:59:59");
      expect(keys(result.punches())).toEqual(want);
      expect(want.length).toBeGreaterThan(100);
      expect(logger.lines.filter((l) => l.level === "warn")).toEqual([]);
      expect(sim.stats.calls).toBeGreaterThan(20);
      expect(sim.connections).toBe(sim.stats.calls);
    });

    it("treats 'Unathorised User' (HTTP 200) as an auth failure and stops at once", async () => {
      const sim = await start({ records: records(5) });
      await expect(
        etime(sim, { password: "wrong" }).readPunches(window("2026-03-02 00:00:00", "2026-03-02 23:59:59")),
      ).rejects.toMatchObject({
        code: "DEVICE_AUTH_FAILED",
        retryable: false,
        message: expect.stringMatching(/Unathorised User/),
      });
      expect(sim.stats.transactionCalls).toHaveLength(1);
      await expect(etime(sim, { serialNumber: "NOPE" }).test()).rejects.toMatchObject({
        code: "ESSL_REJECTED",
        retryable: false,
      });
    });

    it("retries malformed and truncated answers; codes faults, persistent truncation and a wrong URL", async () => {
      const rs = records(50);
      const range = window("2026-03-02 00:00:00", "2026-03-02 23:59:59");
      const flaky = await start({ records: rs, faults: [{ kind: "malformed" }, { kind: "truncated" }] });
      expect(keys((await etime(flaky, { dialect: DIALECTS[0] }).readPunches(range)).punches())).toEqual(
        expected(rs, "2026-03-02 00:00:00", "2026-03-02 23:59:59"),
      );
      const faulty = await start({ records: rs, faults: [{ kind: "soapFault" }] });
      await expect(etime(faulty, { dialect: DIALECTS[0] }).readPunches(range)).rejects.toMatchObject({
        code: "ESSL_SOAP_FAULT",
        retryable: true,
      });
      const cut = await start({ records: rs, faults: [{ kind: "truncated", times: Infinity }] });
      await expect(etime(cut, { dialect: DIALECTS[0] }).readPunches(range)).rejects.toMatchObject({
        code: "ESSL_BAD_RESPONSE",
      });
      await expect(
        etime(cut, { url: `${cut.url}/wrong/path.asmx` }).readPunches(range),
      ).rejects.toMatchObject({
        code: "ESSL_REJECTED",
      });
      const hung = await start({ records: rs, faults: [{ kind: "hang", times: Infinity }] });
      await expect(
        etime(hung, { timeoutMs: 200, requestAttempts: 2 }).readPunches(range),
      ).rejects.toMatchObject({
        code: "DEVICE_TIMEOUT",
      });
    });

    it("reads data from the result element, numeric entities and LF lines", async () => {
      const rs: EsslRecord[] = [
        {
          serialNumber: "BRM9222360384",
          employeeCode: "A&B<7>",
          time: "2026-03-02 09:00:00",
          direction: "in",
        },
        {
          serialNumber: "BRM9222360384",
          employeeCode: "0012",
          time: "2026-03-02 18:00:00",
          direction: "out",
        },
      ];
      const sim = await start({ records: rs, dataIn: "result", numericEntities: true, lineEnding: "\n" });
      const punches = [
        ...(await etime(sim).readPunches(window("2026-03-02 00:00:00", "2026-03-02 23:59:59"))).punches(),
      ];
      expect(punches.map((p) => [p.user_id, p.direction])).toEqual([
        ["A&B<7>", "IN"],
        ["0012", "OUT"],
      ]);
    });

    it("unwindowed reads look back, and after commit return only punches that arrived since (late ones included)", async () => {
      const now = Date.UTC(2026, 2, 4, 6, 30); // 12:00 in India
      const rs = records(100, "BRM9222360384", Date.UTC(2026, 2, 2, 0, 5));
      const sim = await start({ records: rs });
      const state = new MemoryState();
      const driver = etime(sim, { state, now: () => now, lookbackHours: 48 });
      const first = await driver.readPunches();
      expect(first.incremental).toBe(true);
      // The look-back (48 h) and, the first time, the device's history before it: here the morning of 2 March.
      expect(keys(first.punches())).toEqual(expected(rs, "2026-03-02 00:00:00", "2026-03-04 13:00:00"));
      expect((await driver.readPunches()).punchCount).toBe(first.punchCount);
      await first.commit();
      expect((await driver.readPunches()).punchCount).toBe(0);
      const late: EsslRecord = {
        serialNumber: "BRM9222360384",
        employeeCode: "077",
        time: "2026-03-03 08:00:00",
        direction: "in",
      };
      sim.add(late);
      const second = await driver.readPunches();
      expect(keys(second.punches())).toEqual(["077|2026-03-03 08:00:00"]);
      await second.commit();
      expect((await driver.readPunches()).punchCount).toBe(0);
    });

    it("brings a new device's history once, a month per read, from its import-since date", async () => {
      const now = Date.UTC(2026, 2, 4, 6, 30); // 12:00 in India
      // One punch every ~37 min for 100 days, the last on 4 March.
      const rs = records(3_900, "BRM9222360384", Date.UTC(2025, 10, 25, 0, 5));
      const sim = await start({ records: rs });
      const state = new MemoryState();
      const driver = etime(sim, {
        state,
        now: () => now,
        importSince: "2025-11-25 00:00:00" as NaiveDateTime,
        windowHours: 24 * 7,
      });
      const got: string[] = [];
      const perRead: number[] = [];
      for (let read = 0; read < 10; read++) {
        const result = await driver.readPunches();
        got.push(...keys(result.punches()));
        perRead.push(result.punchCount);
        await result.commit();
        if (state.get("essl:seen:Office:history") === "done" && result.punchCount === 0) break;
      }
      const all = expected(rs, "2025-11-25 00:00:00", "2026-03-04 13:00:00");
      expect([...got].sort()).toEqual([...all].sort()); // every punch, each once
      expect(got.length).toBe(new Set(got).size);
      expect(Math.max(...perRead)).toBeLessThan(1_300); // a month of history (~1,200) at a time, not 100 days
      expect(perRead.at(-1)).toBe(0);
    });

    it("keeps the dialect and what was handed on across a restart (StateStore on disk)", async () => {
      const dir = await mkdtemp(join(tmpdir(), "essl-state-"));
      try {
        const now = Date.UTC(2026, 2, 4, 6, 30);
        const rs = records(80, "BRM9222360384", Date.UTC(2026, 2, 2, 12, 5));
        const sim = await start({ records: rs, accepts: [{ fromName: "FromDate", pattern: "yyyy/MM/dd" }] });
        let state = await StateStore.open(dir);
        const first = await etime(sim, { state, now: () => now }).readPunches();
        expect(first.punchCount).toBeGreaterThan(0);
        await first.commit();
        await state.close();
        state = await StateStore.open(dir);
        const calls = sim.stats.transactionCalls.length;
        sim.add({
          serialNumber: "BRM9222360384",
          employeeCode: "0042",
          time: "2026-03-03 07:00:00",
          direction: "out",
        });
        const second = await etime(sim, { state, now: () => now }).readPunches();
        expect(keys(second.punches())).toEqual(["0042|2026-03-03 07:00:00"]);
        // No probing after the restart: every call used the stored dialect.
        expect(
          sim.stats.transactionCalls
            .slice(calls)
            .every((c) => c.names === "FromDate" && c.from!.includes("/")),
        ).toBe(true);
        await state.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("Test Connection proves URL, user and serial; the clock is not available", async () => {
      const sim = await start({ records: records(3) });
      await expect(etime(sim).test()).resolves.toMatchObject({
        serialNumber: "BRM9222360384",
        platform: "eTimeTrackLite",
      });
      await expect(etime(sim).getTime()).rejects.toMatchObject({ code: "DEVICE_UNSUPPORTED" });
    });
  });

  describe("EbioserverDriver against the eBioServer simulator", () => {
    function ebio(sim: EsslSimulator, options: Partial<EbioserverDriverOptions> = {}): EbioserverDriver {
      return new EbioserverDriver({
        url: sim.url,
        userName: "apiuser",
        password: "secret",
        location: "Head Office",
        timeZone: "Asia/Kolkata",
        timeoutMs: 2_000,
        retryDelayMs: 5,
        ...options,
      });
    }
    const located = (location: string) => esslRecords(120, { location });

    it.each(["csv", "tab", "json"] as const)(
      "reads a range day by day for one location (%s answers)",
      async (deviceLogsFormat) => {
        const rs = [...located("Head Office"), ...located("Plant")];
        const sim = await start({ records: rs, deviceLogsFormat });
        const result = await ebio(sim).readPunches(window("2026-03-02 06:00:00", "2026-03-04 23:59:59"));
        const mine = rs.filter((r) => r.location === "Head Office");
        expect(keys(result.punches())).toEqual(expected(mine, "2026-03-02 06:00:00", "2026-03-04 23:59:59"));
        expect(sim.stats.deviceLogCalls).toEqual([
          { location: "Head Office", date: "2026/03/02" },
          { location: "Head Office", date: "2026/03/03" },
          { location: "Head Office", date: "2026/03/04" },
        ]);
        expect([...result.punches()][0]!.device).toBe("Head Office");
      },
    );

    it("brings a location's history once, a month per read, then only what is new", async () => {
      const now = Date.UTC(2026, 2, 4, 6, 30);
      const rs = esslRecords(1_500, { location: "Head Office" }, Date.UTC(2026, 0, 1, 0, 5)); // Jan to 4 March
      const sim = await start({ records: rs });
      const state = new MemoryState();
      const driver = ebio(sim, {
        state,
        now: () => now,
        importSince: "2026-01-01 00:00:00" as NaiveDateTime,
      });
      const got: string[] = [];
      for (let read = 0; read < 6; read++) {
        const result = await driver.readPunches();
        got.push(...keys(result.punches()));
        await result.commit();
        if (state.get("ebioserver:seen:Head Office:history") === "done" && result.punchCount === 0) break;
      }
      expect(state.get("ebioserver:seen:Head Office:history")).toBe("done");
      expect([...got].sort()).toEqual([...expected(rs, "2026-01-01 00:00:00", "2026-03-04 23:59:59")].sort());
      expect(got.length).toBe(new Set(got).size);
    });

    it("codes a refused login", async () => {
      const sim = await start({ records: located("Head Office") });
      await expect(ebio(sim, { password: "nope" }).test()).rejects.toMatchObject({
        code: "DEVICE_AUTH_FAILED",
        retryable: false,
      });
    });
  });
});
