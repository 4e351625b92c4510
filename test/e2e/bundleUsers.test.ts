import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseCsv } from "../../sidecar/src/output/csv.js";
import { AdmsTerminal } from "../simulators/adms/admsTerminal.js";
import { HikSimulator } from "../simulators/hikvision/hikSimulator.js";
import { scenario } from "../simulators/zk/scenario.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";

const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const exec = promisify(execFile);

/** Runs the built bundle; resolves with its exit code and output (a non-zero exit is not a throw). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec("node", [bundle, ...args, "--log-level", "silent"], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let sim: ZkSimulator;
let dir: string;
let device: string;

beforeAll(async () => {
  await exec("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
});

beforeEach(async () => {
  // The simulator runs in this process; the bundle is a child process talking to it over loopback.
  sim = new ZkSimulator({
    scenario: scenario({ idKind: "numeric" })
      .addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 })
      .addUser({ userId: "111", uid: 2, name: "Ravi", card: 555 })
      .addUser({ userId: "7", uid: 3, name: "Chen" })
      .addPunch({ userId: "111", time: "2026-11-02 09:00:00" })
      .build(),
    commKey: 9,
  });
  await sim.start();
  device = `zk://127.0.0.1:${sim.address.tcpPort}?commkey=9`;
  dir = await mkdtemp(path.join(tmpdir(), "bsync-users-"));
});

afterEach(async () => {
  await sim.stop();
});

const table = () => sim.users.map((u) => [u.userId, u.name, u.privilege, u.card]);

describe("biometric-sidecar users (the built bundle against the ZK simulator)", () => {
  it("lists users to the terminal, a CSV and a JSON file", async () => {
    const csv = await cli("users", "list", "--device", device, "--out", "u.csv");
    expect(csv.code).toBe(0);
    expect(csv.stdout).toMatch(/user_id\s+name\s+card\s+privilege\s+fingerprint\s+face/);
    expect(csv.stdout).toMatch(/3 users on 127\.0\.0\.1:\d+/);
    expect(parseCsv(await readFile(path.join(dir, "u.csv"), "utf8"))).toEqual([
      ["user_id", "name", "card", "privilege", "fingerprint", "face"],
      ["1", "Boss", "", "admin", "", ""],
      ["111", "Ravi", "555", "user", "", ""],
      ["7", "Chen", "", "user", "", ""],
    ]);
    expect((await cli("users", "list", "--device", device, "--out", "u.json")).code).toBe(0);
    const json = JSON.parse(await readFile(path.join(dir, "u.json"), "utf8")) as unknown[];
    expect(json[1]).toEqual({
      user_id: "111",
      name: "Ravi",
      card: "555",
      privilege: "user",
      fingerprint: null,
      face: null,
    });
  });

  it("sets and deletes one user; refuses admins, bad ids and a delete of a user with punches on the device", async () => {
    const set = await cli(
      "users",
      "set",
      "--device",
      device,
      "--user-id",
      "42",
      "--name",
      "Neha",
      "--card",
      "9",
    );
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toMatch(/user 42 on .*: created/);
    expect(table().at(-1)).toEqual(["42", "Neha", 0, 9]);

    const admin = await cli("users", "set", "--device", device, "--user-id", "1", "--name", "X");
    expect(admin.code).toBe(1);
    expect(admin.stderr).toMatch(/\[USER_IS_ADMIN\]/);
    const long = await cli("users", "set", "--device", device, "--user-id", "123456789012", "--name", "X");
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/\[USER_ID_INVALID\]/);

    expect((await cli("users", "delete", "--device", device, "--user-id", "42")).stdout).toMatch(/: deleted/);
    const withPunches = await cli("users", "delete", "--device", device, "--user-id", "111");
    expect(withPunches.code).toBe(1);
    expect(withPunches.stderr).toMatch(/\[USER_PUNCHES_UNCONFIRMED\].*1 punches on the device/);
    expect(table().map((u) => u[0])).toEqual(["1", "111", "7"]);
    const saved = await cli("users", "delete", "--device", device, "--user-id", "111", "--punches-saved");
    expect(saved.code).toBe(0);
    expect(table().map((u) => u[0])).toEqual(["1", "7"]);
  });

  it("pushes a CSV: dry run first, then for real; admins untouched, refusals listed, nothing deleted", async () => {
    await writeFile(
      path.join(dir, "employees.csv"),
      "user_id,name,card\n111,Ravi,555\n7,Chen Wei,\n1,Not Boss,\n0111,Leading Zero,\n900,A name too long,\n901,Asha,12\n",
    );
    const before = table();
    const dry = await cli("users", "push", "--device", device, "--file", "employees.csv", "--dry-run");
    expect(dry.code).toBe(1);
    const line = (out: string, id: string) => out.split("\n").find((l) => l.startsWith(`${id} `)) ?? "";
    expect(line(dry.stdout, "111")).toMatch(/unchanged/);
    expect(line(dry.stdout, "7")).toMatch(/would update/);
    expect(line(dry.stdout, "1")).toMatch(/refused USER_IS_ADMIN/);
    expect(line(dry.stdout, "0111")).toMatch(/refused USER_ID_INVALID/);
    expect(line(dry.stdout, "900")).toMatch(/refused USER_NAME_INVALID/);
    expect(line(dry.stdout, "901")).toMatch(/would create/);
    expect(dry.stdout).toMatch(/6 users in the file; 3 refused or failed; dry run: nothing written/);
    expect(table()).toEqual(before);

    const real = await cli("users", "push", "--device", device, "--file", "employees.csv");
    expect(real.code).toBe(1);
    expect(line(real.stdout, "7")).toMatch(/updated/);
    expect(line(real.stdout, "901")).toMatch(/created/);
    expect(table()).toEqual([
      ["1", "Boss", 14, 0],
      ["111", "Ravi", 0, 555],
      ["7", "Chen Wei", 0, 0],
      ["901", "Asha", 0, 12],
    ]);
  });

  it("lists every argument problem at once (exit 2) and says eSSL does not manage users", async () => {
    const bad = await cli("users", "set", "--device", "ftp://x", "--out", "x.txt");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--user-id/);
    expect(bad.stderr).toMatch(/--name/);
    expect(bad.stderr).toMatch(/ftp/);
    expect(bad.stderr).toMatch(/--out is for users list/);
    const wrongSub = await cli("users", "rename", "--device", device);
    expect(wrongSub.code).toBe(2);
    const essl = await cli(
      "users",
      "list",
      "--device",
      "essl://u:p@127.0.0.1:9/iclock/WebAPIService.asmx?serial=S1",
    );
    expect(essl.code).toBe(1);
    expect(essl.stderr).toMatch(/\[DEVICE_UNSUPPORTED\].*do not manage device users/);
    const help = await cli("--help");
    expect(help.stdout).toMatch(/users push\s+--device URL --file employees\.csv \[--dry-run\]/);
  });
});

describe("biometric-sidecar users for ADMS and Hikvision terminals (the built bundle)", () => {
  it("adms://: the terminal calls in on --adms-port; list, set and a refused admin", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const free = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0001",
      pollIntervalMs: 100,
      errorDelayMs: 100,
      users: [
        { pin: "1", name: "Boss", pri: 14 },
        { pin: "0111", name: "Asha", fingerprints: 1 },
      ],
    });
    terminal.start();
    try {
      const adms = ["--device", "adms://ADMS0001", "--adms-port", String(port), "--adms-host", "127.0.0.1"];
      const list = await cli("users", "list", ...adms, "--wait", "20", "--out", "a.json");
      expect(list.code).toBe(0);
      expect(JSON.parse(await readFile(path.join(dir, "a.json"), "utf8"))).toEqual([
        { user_id: "1", name: "Boss", card: null, privilege: "admin", fingerprint: null, face: null },
        { user_id: "0111", name: "Asha", card: null, privilege: "user", fingerprint: true, face: null },
      ]);
      const set = await cli("users", "set", ...adms, "--user-id", "0222", "--name", "Ravi", "--card", "77");
      expect(set.stdout).toMatch(/user 0222 on adms:\/\/ADMS0001: created/);
      expect(terminal.users.at(-1)).toMatchObject({ pin: "0222", name: "Ravi", card: "77", pri: 0 });
      const admin = await cli("users", "set", ...adms, "--user-id", "1", "--name", "X");
      expect(admin.stderr).toMatch(/\[USER_IS_ADMIN\]/);
    } finally {
      await terminal.stop();
    }
  });

  it("hikvision://: lists people with fingerprint and face presence", async () => {
    const hik = new HikSimulator({
      username: "admin",
      password: "Passw0rd!",
      events: [],
      users: [
        { employeeNo: "0001", name: "Admin", localUIRight: true },
        { employeeNo: "0111", name: "Asha", numOfFP: 1 },
      ],
    });
    await hik.start();
    try {
      const list = await cli(
        "users",
        "list",
        "--device",
        `hikvision://admin:Passw0rd!@127.0.0.1:${hik.address.port}`,
        "--out",
        "h.csv",
      );
      expect(list.code).toBe(0);
      expect(list.stdout).not.toMatch(/Passw0rd/);
      expect(parseCsv(await readFile(path.join(dir, "h.csv"), "utf8")).slice(1)).toEqual([
        ["0001", "Admin", "", "admin", "false", "false"],
        ["0111", "Asha", "", "user", "true", "false"],
      ]);
    } finally {
      await hik.stop();
    }
  });
});
