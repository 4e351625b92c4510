import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as realSleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { formatNaive } from "../../sidecar/src/domain/naiveTime.js";
import { scenario } from "../simulators/zk/scenario.js";
import type { Scenario } from "../simulators/zk/scenario.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";
import type { ZkSimulatorOptions } from "../simulators/zk/zkSimulator.js";
import { warnSkipped } from "./oracleSupport.js";

/**
 * node-zklib 1.3.0 (npm, unmodified) as a second, independent oracle: it must read the simulator in the
 * pacing it supports ("split-node", 40-byte records, 72-byte users, ids of at most 9 characters). Its known
 * defects are asserted too, as regression evidence that the simulator reproduces what the field reports.
 */

interface ZkRecord {
  userSn: number;
  deviceUserId: string;
  recordTime: Date;
  ip: string;
}
interface ZkUser72 {
  uid: number;
  role: number;
  password: string;
  name: string;
  cardno: number;
  userId: string;
}
interface ZkLib {
  createSocket(): Promise<void>;
  getInfo(): Promise<{ userCounts: number; logCounts: number; logCapacity: number }>;
  getUsers(): Promise<{ data: ZkUser72[]; err: unknown }>;
  getAttendances(cb?: (done: number, total: number) => void): Promise<{ data: ZkRecord[]; err: unknown }>;
  disconnect(): Promise<unknown>;
  getTime?: unknown;
}
type ZkLibConstructor = new (ip: string, port: number, timeout: number, inport: number) => ZkLib;

function loadNodeZklib(): { ZKLib: ZkLibConstructor | null; problem: string | null } {
  try {
    const ZKLib = createRequire(import.meta.url)("node-zklib") as ZkLibConstructor;
    return { ZKLib, problem: null };
  } catch (err) {
    return { ZKLib: null, problem: `node-zklib cannot be loaded: ${String(err)}` };
  }
}

const { ZKLib, problem } = loadNodeZklib();
if (problem !== null) warnSkipped("node-zklib", problem, "npm install (node-zklib 1.3.0 is a devDependency)");

// node-zklib writes DDMMYYYY.err.log into the cwd and console.logs "ok tcp": keep both out of the repo/output.
let workDir = "";
let originalCwd = "";
beforeAll(() => {
  originalCwd = process.cwd();
  workDir = mkdtempSync(join(tmpdir(), "node-zklib-oracle-"));
  process.chdir(workDir);
});
afterAll(() => {
  process.chdir(originalCwd);
  rmSync(workDir, { recursive: true, force: true });
});

const running: ZkSimulator[] = [];
const clients: ZkLib[] = [];
beforeEach(() => {
  const log = console.log.bind(console);
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    if (args[0] === "ok tcp" || args[0] === "ok udp") return;
    log(...args);
  });
  // node-zklib leaves timers armed after chunked reads (its chunk listener is never removed and re-arms a
  // 10 s timer on every later packet). Fake setTimeout, advancing with real time, so those stray timers die
  // with the test instead of holding the worker open; node-zklib's behaviour is otherwise unchanged.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.disconnect().catch(() => undefined);
  await Promise.all(running.splice(0).map((s) => s.stop()));
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function serve(options: Partial<ZkSimulatorOptions> & { scenario: Scenario }): Promise<ZkSimulator> {
  const sim = new ZkSimulator({ udpPort: false, ...options });
  running.push(sim);
  await sim.start();
  return sim;
}

async function connect(sim: ZkSimulator): Promise<ZkLib> {
  const z = new ZKLib!(sim.address.host, sim.address.tcpPort, 5_000, 0);
  clients.push(z);
  await z.createSocket();
  return z;
}

/** node-zklib builds a Date from the wall-clock fields in the process time zone: read them back the same way. */
function localNaive(d: Date): string {
  return formatNaive({
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
  });
}

function seen(records: readonly ZkRecord[]): [number, string, string][] {
  return records.map((r) => [r.userSn, r.deviceUserId, localNaive(r.recordTime)]);
}

function expected(s: Scenario, idLength = 24): [number, string, string][] {
  return s.punches.map((p) => [p.uid, p.userId.slice(0, idLength), formatNaive(p.time)]);
}

/** Ids of at most 9 characters ("0111" included): what node-zklib can carry. */
function site(count: number, employees: number, seed = 31): Scenario {
  const weeks = Math.ceil(count / (employees * 9)) + 1;
  return scenario()
    .realisticWeeks({ employees, weeks, startDate: "2024-01-01", seed, includeLongId: false })
    .keepFirstPunches(count)
    .build();
}

describe.skipIf(problem !== null)("node-zklib 1.3.0 oracle reads the ZK simulator (TCP, split-node)", () => {
  it("inline datasets: users and punches exactly, ids as strings with leading zeros", async () => {
    const s = site(20, 10);
    expect(s.users.map((u) => u.userId)).toContain("0111");
    const sim = await serve({ scenario: s, timing: "split-node" });
    const z = await connect(sim);
    expect(await z.getInfo()).toEqual({ userCounts: 10, logCounts: 20, logCapacity: 100_000 });
    const users = await z.getUsers();
    // Inline reads resolve without an err field; chunked ones with err: null.
    expect(users.err ?? null).toBeNull();
    expect(users.data.map((u) => [u.uid, u.userId, u.name, u.role, u.cardno])).toEqual(
      s.users.map((u) => [u.uid, u.userId, u.name, u.privilege, u.card]),
    );
    const att = await z.getAttendances();
    expect(att.err ?? null).toBeNull();
    expect(seen(att.data)).toEqual(expected(s));
  });

  it("5,000 records in 4 chunks (users chunked too): every punch, in order", async () => {
    const s = site(5_000, 60);
    const sim = await serve({ scenario: s, timing: "split-node" });
    const z = await connect(sim);
    const users = await z.getUsers();
    expect(users.data.map((u) => u.userId)).toEqual(s.users.map((u) => u.userId));
    const progress: number[] = [];
    const att = await z.getAttendances((done) => progress.push(done));
    expect(att.err).toBeNull();
    expect(att.data).toHaveLength(5_000);
    expect(seen(att.data)).toEqual(expected(s));
    expect(progress).toHaveLength(4);
  });
});

describe.skipIf(problem !== null)("node-zklib 1.3.0 known defects, reproduced against the simulator", () => {
  it("truncates user ids to 9 characters and drops verify type and punch state", async () => {
    const s = scenario()
      .addUser({ userId: "123456789012", name: "Long Id" })
      .addUser({ userId: "0111", name: "Short Id" })
      .addPunch({ userId: "123456789012", time: "2024-03-04 09:00:00", state: 0, verify: 15 })
      .addPunch({ userId: "0111", time: "2024-03-04 17:30:00", state: 1, verify: 1 })
      .build();
    const sim = await serve({ scenario: s, timing: "split-node" });
    const z = await connect(sim);
    const users = await z.getUsers();
    expect(users.data.map((u) => u.userId)).toEqual(["123456789", "0111"]);
    const att = await z.getAttendances();
    expect(seen(att.data)).toEqual(expected(s, 9));
    expect(att.data[0]!.deviceUserId).toBe("123456789");
    // No IN/OUT: the record has no verify or state field at all.
    expect(Object.keys(att.data[0]!).sort()).toEqual(["deviceUserId", "ip", "recordTime", "userSn"]);
    // The npm release predates getTime (GitHub master only).
    expect(z.getTime).toBeUndefined();
  });

  it("coalesced PREPARE/DATA/ACK (a fast device): partial data after its 10 s chunk timeout", async () => {
    // Users stay inline (13 × 72 bytes) so only the attendance read is chunked.
    const s = site(5_000, 13, 32);
    const sim = await serve({ scenario: s, timing: "coalesced" });
    const z = await connect(sim);
    expect((await z.getUsers()).data).toHaveLength(13);
    const reading = z.getAttendances();
    // node-zklib fires all 4 DATA_RDY at once; wait until the simulator answered them and the bytes landed.
    await vi.waitFor(() => expect(sim.stats().commands[1504]).toBe(4), { timeout: 5_000 });
    await realSleep(300);
    // Its per-chunk timeout is hard-coded at 10 s: fast-forward it instead of waiting.
    vi.advanceTimersByTime(10_000);
    const att = await reading;
    expect(String(att.err)).toMatch(/TIME OUT !! \d+ PACKETS REMAIN/);
    expect(att.data.length).toBeGreaterThan(0);
    expect(att.data.length).toBeLessThan(5_000);
    // What it does return is a correct prefix: the rest is silently missing.
    expect(seen(att.data)).toEqual(expected(s).slice(0, att.data.length));
    console.info(`node-zklib coalesced: ${att.data.length} of 5000 records, err = ${String(att.err)}`);
  });

  it("split-all (late ACK_OK in its own write): the next command reads a stale reply", async () => {
    const s = site(5_000, 13, 33);
    const sim = await serve({ scenario: s, timing: "split-all" });
    const z = await connect(sim);
    const truth = { userCounts: 13, logCounts: 5_000, logCapacity: 100_000 };
    expect(await z.getInfo()).toEqual(truth);
    const att = await z.getAttendances();
    // The read itself completes...
    expect(att.data).toHaveLength(5_000);
    // ...but request and reply are out of step afterwards.
    const after = await z.getInfo().then(
      (info) => info,
      (err: unknown) => err,
    );
    expect(after).not.toEqual(truth);
  });

  it("wrote its error log into the scratch cwd, not the repository", () => {
    expect(process.cwd()).toBe(workDir);
    expect(readdirSync(originalCwd).filter((f) => f.endsWith(".err.log"))).toEqual([]);
  });
});
