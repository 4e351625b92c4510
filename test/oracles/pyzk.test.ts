import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { formatNaive } from "../../sidecar/src/domain/naiveTime.js";
import { ZkDriver } from "../../sidecar/src/drivers/zk/zkDriver.js";
import type { AttendanceFormat, UserFormat } from "../simulators/zk/formats.js";
import { scenario } from "../simulators/zk/scenario.js";
import type { Scenario } from "../simulators/zk/scenario.js";
import type { Timing } from "../simulators/zk/session.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";
import type { ZkSimulatorOptions } from "../simulators/zk/zkSimulator.js";
import { warnSkipped } from "./oracleSupport.js";

/**
 * pyzk (PyPI 0.9, unmodified) reads the simulator: if it gets exactly the scenario's users, punches, clock and
 * identity, in every transport, record format and packet-timing mode, the simulator is faithful.
 */

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.PYZK_PYTHON ?? resolve(here, "../../.venv/bin/python");
const SCRIPT = resolve(here, "pyzk_read.py");

function pyzkProblem(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist`;
  const probe = spawnSync(PYTHON, ["-c", "import zk, importlib.metadata as m; print(m.version('pyzk'))"], {
    encoding: "utf8",
  });
  if (probe.status !== 0) return `pyzk does not import: ${probe.stderr.trim().split("\n").pop() ?? ""}`;
  return null;
}

const problem = pyzkProblem();
if (problem !== null) {
  warnSkipped("pyzk", problem, "python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt");
}

interface PyzkAttendance {
  uid: number;
  user_id: string;
  timestamp: string;
  status: number;
  punch: number;
}

interface PyzkResult {
  ok: boolean;
  error_type?: string;
  error?: string;
  device?: Record<string, string | number | null>;
  time?: string;
  users?: { uid: number; user_id: string; name: string; privilege: number; card: number }[];
  attendance?: PyzkAttendance[];
  sizes?: { users: number; records: number; rec_cap: number; rec_av: number };
  live?: PyzkAttendance[];
}

interface PyzkRun {
  readonly udp?: boolean;
  readonly commKey?: number;
  readonly disable?: boolean;
  readonly live?: number;
  /** Called once pyzk prints LIVE-READY (it is about to register for events). */
  readonly onLiveReady?: () => void;
}

/** Runs the pyzk script asynchronously: the simulator shares this process's event loop. */
function runPyzk(sim: ZkSimulator, run: PyzkRun = {}): Promise<PyzkResult> {
  const port = run.udp ? sim.address.udpPort! : sim.address.tcpPort;
  const args = [SCRIPT, "--host", sim.address.host, "--port", String(port), "--timeout", "10"];
  if (run.udp) args.push("--udp");
  if (run.commKey !== undefined) args.push("--commkey", String(run.commKey));
  if (run.disable) args.push("--disable");
  if (run.live) args.push("--live", String(run.live), "--live-timeout", "10");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PYTHON, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (d.includes("LIVE-READY")) run.onLiveReady?.();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        const parsed = JSON.parse(stdout) as PyzkResult;
        if (code !== 0 && parsed.ok) throw new Error(`exit ${code} with ok output`);
        resolvePromise(parsed);
      } catch (err) {
        reject(new Error(`pyzk_read.py exit ${code}: ${String(err)}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

const running: ZkSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function serve(options: Partial<ZkSimulatorOptions> & { scenario: Scenario }): Promise<ZkSimulator> {
  const sim = new ZkSimulator(options);
  running.push(sim);
  await sim.start();
  return sim;
}

/** What pyzk must report for each punch: user id string, naive time, verify as status, state as punch. */
function expectedAttendance(s: Scenario): [string, string, number, number][] {
  return s.punches.map((p) => [p.userId, formatNaive(p.time), p.verify, p.state]);
}

function seenAttendance(r: PyzkResult): [string, string, number, number][] {
  return (r.attendance ?? []).map((a) => [a.user_id, a.timestamp, a.status, a.punch]);
}

function expectedUsers(s: Scenario, userFormat: UserFormat): [number, string, string, number, number][] {
  // 28-byte users hold an 8-byte name; pyzk strips it.
  const name = (n: string): string => (userFormat === 28 ? n.slice(0, 8) : n).trim();
  return s.users.map((u) => [u.uid, u.userId, name(u.name), u.privilege, u.card]);
}

function seenUsers(r: PyzkResult): [number, string, string, number, number][] {
  return (r.users ?? []).map((u) => [u.uid, u.user_id, u.name, u.privilege, u.card]);
}

/** A realistic string-id site cut to `count` punches ("0111" and "123456789012" included). */
function stringSite(count: number, seed = 11): Scenario {
  const weeks = Math.ceil(count / (60 * 11)) + 1;
  const s = scenario()
    .realisticWeeks({ employees: 60, weeks, startDate: "2024-01-01", seed })
    .keepFirstPunches(count)
    .build();
  for (const id of ["0111", "123456789012"]) {
    if (!s.punches.some((p) => p.userId === id)) throw new Error(`scenario lacks punches by "${id}"`);
  }
  return s;
}

/** Small enough for inline CMD_DATA (≤ 1024 bytes) for users and punches. */
function smallStringSite(): Scenario {
  return scenario()
    .addUser({ userId: "0111", name: "Asha Rao", privilege: 14, card: 1234567 })
    .addUser({ userId: "123456789012", name: "Bilal Khan" })
    .addUser({ userId: "7", name: "Chen Wei" })
    .addPunch({ userId: "0111", time: "2024-03-04 08:59:58", state: 0, verify: 1 })
    .addPunch({ userId: "123456789012", time: "2024-03-04 09:00:00", state: 0, verify: 15 })
    .addPunch({ userId: "7", time: "2024-03-04 12:59:01", state: 2, verify: 4 })
    .addPunch({ userId: "7", time: "2024-03-04 13:40:12", state: 3, verify: 4 })
    .addPunch({ userId: "0111", time: "2024-03-04 17:31:00", state: 1, verify: 1 })
    .addPunch({ userId: "123456789012", time: "2024-03-04 18:02:00", state: 4, verify: 0 })
    .addPunch({ userId: "123456789012", time: "2024-03-04 20:45:30", state: 5, verify: 0 })
    .build();
}

function numericSite(): Scenario {
  return scenario({ idKind: "numeric" })
    .realisticWeeks({ employees: 15, weeks: 2, startDate: "2024-03-04", seed: 21 })
    .build();
}

describe.skipIf(problem !== null)("pyzk oracle reads the ZK simulator", () => {
  it("TCP, 40/72, small inline datasets: users, punches, clock, identity", async () => {
    const s = smallStringSite();
    const sim = await serve({ scenario: s });
    const r = await runPyzk(sim);
    expect(r).toMatchObject({ ok: true });
    expect(seenAttendance(r)).toEqual(expectedAttendance(s));
    expect(r.attendance!.map((a) => a.uid)).toEqual(s.punches.map((p) => p.uid));
    expect(seenUsers(r)).toEqual(expectedUsers(s, 72));
    expect(r.device).toMatchObject({
      serial: "SIM4370A000001",
      firmware: "Ver 6.60 Apr 28 2015",
      platform: "ZMM220_TFT",
      device_name: "K40/ID",
      mac: "00:17:61:10:43:70",
      fp_version: 10,
      extend_fmt: 1,
      user_extend_fmt: 1,
      // ZKFaceVersion is not a simulated option: ACK_ERROR, which pyzk reports as None.
      face_version: null,
    });
    expect(r.sizes).toEqual({ users: 3, records: 7, rec_cap: 100_000, rec_av: 99_993 });
    const stats = sim.stats();
    // Inline: every DATA_WRRQ answered with CMD_DATA, no chunk requests. pyzk's _clear_error was not needed.
    expect(stats.commands[1504]).toBeUndefined();
    expect(stats.badChecksums).toBe(0);
    expect(stats.connections).toBe(2); // test_tcp() probe + the session
  });

  for (const timing of ["split-all", "split-node", "coalesced"] as const satisfies readonly Timing[]) {
    it(`TCP, 40/72, 5,000 records in 4 chunks, timing ${timing}`, async () => {
      const s = stringSite(5_000);
      const sim = await serve({ scenario: s, timing });
      const r = await runPyzk(sim);
      expect(r).toMatchObject({ ok: true });
      expect(r.attendance).toHaveLength(5_000);
      expect(seenAttendance(r)).toEqual(expectedAttendance(s));
      expect(seenUsers(r)).toEqual(expectedUsers(s, 72));
      // 200,004 bytes in 65,472-byte chunks = 4; users (4,324 bytes) are read twice by pyzk, 1 chunk each.
      expect(sim.stats().commands[1504]).toBe(4 + 2 * 1);
    });
  }

  it("UDP, 40/72, small inline datasets", async () => {
    const s = smallStringSite();
    const sim = await serve({ scenario: s });
    const r = await runPyzk(sim, { udp: true });
    expect(r).toMatchObject({ ok: true });
    expect(seenAttendance(r)).toEqual(expectedAttendance(s));
    expect(seenUsers(r)).toEqual(expectedUsers(s, 72));
    expect(sim.stats().connections).toBe(0);
  });

  it("UDP, 40/72, 5,000 records: 16 KiB chunks in ≤ 1024-byte datagrams", async () => {
    const s = stringSite(5_000, 12);
    const sim = await serve({ scenario: s });
    const r = await runPyzk(sim, { udp: true });
    expect(r).toMatchObject({ ok: true });
    expect(seenAttendance(r)).toEqual(expectedAttendance(s));
    expect(seenUsers(r)).toEqual(expectedUsers(s, 72));
    // 200,004 bytes in 16 KiB chunks = 13; users (4,324 bytes) are read twice by pyzk, 1 chunk each.
    expect(sim.stats().commands[1504]).toBe(13 + 2 * 1);
  });

  for (const udp of [false, true]) {
    it(`${udp ? "UDP" : "TCP"}, 16/28 numeric ids`, async () => {
      const s = numericSite();
      const sim = await serve({ scenario: s, attendanceFormat: 16, userFormat: 28 });
      const r = await runPyzk(sim, { udp });
      expect(r).toMatchObject({ ok: true });
      expect(seenAttendance(r)).toEqual(expectedAttendance(s));
      expect(seenUsers(r)).toEqual(expectedUsers(s, 28));
      expect(r.device).toMatchObject({ extend_fmt: 0, user_extend_fmt: 0 });
    });
  }

  for (const udp of [false, true]) {
    it(`${udp ? "UDP" : "TCP"}, 8-byte records (pyzk's <H B I B layout) resolved through 28-byte users`, async () => {
      const s = numericSite();
      const sim = await serve({ scenario: s, attendanceFormat: 8, userFormat: 28 });
      const r = await runPyzk(sim, { udp });
      expect(r).toMatchObject({ ok: true });
      expect(seenAttendance(r)).toEqual(expectedAttendance(s));
      expect(r.attendance!.map((a) => a.uid)).toEqual(s.punches.map((p) => p.uid));
    });
  }

  it("comm key: the right key reads over TCP and UDP; a wrong or missing key is a clear error", async () => {
    const s = smallStringSite();
    const sim = await serve({ scenario: s, commKey: 123456, maxSessions: 4 });
    const tcp = await runPyzk(sim, { commKey: 123456 });
    expect(tcp).toMatchObject({ ok: true });
    expect(seenAttendance(tcp)).toEqual(expectedAttendance(s));
    const udp = await runPyzk(sim, { commKey: 123456, udp: true });
    expect(seenAttendance(udp)).toEqual(expectedAttendance(s));
    const wrong = await runPyzk(sim, { commKey: 654321 });
    expect(wrong).toEqual({ ok: false, error_type: "ZKErrorResponse", error: "Unauthenticated" });
    const none = await runPyzk(sim);
    expect(none).toEqual({ ok: false, error_type: "ZKErrorResponse", error: "Unauthenticated" });
    expect(sim.stats().authFailures).toBe(2);
  });

  it("device clock offset: pyzk's get_time is the device's clock, not the host's", async () => {
    const threeDays = 3 * 86_400_000;
    const s = scenario().addUser({ userId: "1" }).clockOffset(-threeDays).build();
    const sim = await serve({ scenario: s });
    const r = await runPyzk(sim);
    expect(r).toMatchObject({ ok: true });
    const device = formatNaive(sim.deviceTime());
    const naiveMs = (t: string): number => Date.parse(`${t.replace(" ", "T")}Z`);
    expect(Math.abs(naiveMs(r.time!) - naiveMs(device))).toBeLessThan(5_000);
    expect(r.attendance).toEqual([]);
  });

  it("disable/enable around the read leaves the device enabled", async () => {
    const s = smallStringSite();
    const sim = await serve({ scenario: s, faults: [{ kind: "punchDuringRead", times: Infinity }] });
    const r = await runPyzk(sim, { disable: true });
    expect(r).toMatchObject({ ok: true });
    // Disabled during the read: no punch slipped in between the count and the data.
    expect(seenAttendance(r)).toEqual(expectedAttendance(s));
    expect(sim.enabled).toBe(true);
    expect(sim.stats().commands[1003]).toBe(1);
  });

  it("realtime: pyzk live_capture receives pushed punches and acknowledges each", async () => {
    const s = smallStringSite();
    const sim = await serve({ scenario: s });
    let pushed = false;
    const until = async (ready: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const waitAndPush = async (): Promise<void> => {
      await until(() => sim.eventSubscribers() === 1);
      sim.pushLivePunch({ userId: "0111", time: "2024-03-05 08:58:00", state: 0, verify: 1 });
      // People punch seconds apart; pyzk reads one recv() per event and cannot split two coalesced events.
      await until(() => sim.stats().eventsAcked >= 1);
      sim.pushLivePunch({ userId: "123456789012", time: "2024-03-05 09:03:17", state: 0, verify: 15 });
      pushed = true;
    };
    const r = await runPyzk(sim, { live: 2, onLiveReady: () => void waitAndPush() });
    expect(pushed).toBe(true);
    expect(r).toMatchObject({ ok: true });
    expect(r.live!.map((a) => [a.user_id, a.timestamp, a.status, a.punch, a.uid])).toEqual([
      ["0111", "2024-03-05 08:58:00", 1, 0, 1],
      ["123456789012", "2024-03-05 09:03:17", 15, 0, 2],
    ]);
    expect(sim.stats().eventsAcked).toBeGreaterThanOrEqual(2);
    expect(sim.punches).toHaveLength(s.punches.length + 2);
  });

  it("documents a pyzk 0.9 defect: 49-byte records are stepped through 40 bytes at a time", async () => {
    // pyzk 0.9 handles 8 and 16 and treats every other size as 40 (fixed upstream by PRs #166/#167).
    const s = smallStringSite();
    const format: AttendanceFormat = 49;
    const sim = await serve({ scenario: s, attendanceFormat: format });
    const r = await runPyzk(sim);
    expect(r).toMatchObject({ ok: true });
    expect(seenAttendance(r)[0]).toEqual(expectedAttendance(s)[0]);
    expect(r.attendance!.length).toBe(Math.floor((49 * 7) / 40));
    expect(seenAttendance(r).slice(1)).not.toEqual(expectedAttendance(s).slice(1, r.attendance!.length));
  });
});

describe.skipIf(problem !== null)("pyzk oracle reads the users our ZK driver wrote", () => {
  it.each([72, 28] as const)("%i-byte user records: created, renamed and deleted users", async (format) => {
    const base =
      format === 72
        ? scenario().addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 })
        : scenario({ idKind: "numeric" }).addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 });
    const sim = await serve({ scenario: base.addUser({ userId: "50", uid: 2, name: "Gone" }).build() });
    const driver = new ZkDriver({ host: sim.address.host, port: sim.address.tcpPort, timeoutMs: 2_000 });
    try {
      await driver.setUser({ user_id: format === 72 ? "0111" : "111", name: "Asha", card: "4000000000" });
      await driver.setUser({ user_id: "4021", name: "Neha" });
      await driver.setUser({ user_id: "4021", name: "Neha K" });
      await driver.deleteUser("50", "delete");
    } finally {
      await driver.disconnect();
    }
    const r = await runPyzk(sim);
    expect(r).toMatchObject({ ok: true });
    expect(seenUsers(r)).toEqual([
      [1, "1", "Boss", 14, 0],
      [3, format === 72 ? "0111" : "111", "Asha", 0, 4_000_000_000],
      [4, "4021", "Neha K", 0, 0],
    ]);
  });
});
