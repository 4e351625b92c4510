import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../sidecar/src/config/loadConfig.js";
import { Cmd } from "../../../sidecar/src/drivers/zk/protocol/constants.js";
import { SidecarService } from "../../../sidecar/src/service/sidecarService.js";
import { FakeSite } from "../../fakes/fakeSite.js";
import { AdmsTerminal } from "../../simulators/adms/admsTerminal.js";
import { hikEvents } from "../../simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../../simulators/hikvision/hikSimulator.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

// The sidecar service (real spool, uploader, command runner) with a ZK simulator on loopback and the fake site at
// the REST boundary: users_read / user_set / user_delete claimed, run and reported like every other command.
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function world(
  options: { confirmSeconds?: number; devices?: Record<string, unknown>[]; admsListen?: string } = {},
) {
  const site = new FakeSite();
  await site.start();
  site.admsListenAddress = options.admsListen ?? null;
  cleanup.push(() => site.stop());
  const sim = new ZkSimulator({
    scenario: scenario()
      .addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 })
      .addUser({ userId: "0111", uid: 2, name: "Asha", card: 42 })
      .addUser({ userId: "7", uid: 3, name: "Chen" })
      .addPunch({ userId: "0111", time: "2026-11-02 09:00:00" })
      .addPunch({ userId: "0111", time: "2026-11-02 18:00:00", state: 1 })
      .addPunch({ userId: "7", time: "2026-11-02 09:05:00" })
      .build(),
  });
  await sim.start();
  cleanup.push(() => sim.stop());
  site.devices = [
    {
      name: "Main Gate",
      enabled: true,
      driver: "zk",
      host: "127.0.0.1",
      port: sim.address.tcpPort,
      time_zone: "Asia/Kolkata",
      pull_interval_minutes: 600,
    },
    ...(options.devices ?? []),
  ];
  const config = parseConfig({
    spoolDir: await mkdtemp(path.join(tmpdir(), "bsync-users-")),
    site: {
      url: site.url,
      siteName: "bsync.localhost",
      socketUrl: "http://127.0.0.1:9",
      sidecar: site.sidecarName,
      apiKey: site.apiKey,
      apiSecret: site.apiSecret,
      claimIntervalSeconds: 5,
      clearConfirmSeconds: options.confirmSeconds ?? 30,
    },
  });
  const service = new SidecarService({ ...config, site: config.site! }, site.apiSecret, "0.1.0-test");
  cleanup.push(() => service.stop());
  await service.start();
  return { site, sim, service };
}

async function finished(site: FakeSite, name: string) {
  await expect
    .poll(() => ["Done", "Failed"].includes(site.commands.get(name)?.status ?? ""), {
      timeout: 40_000,
      interval: 100,
    })
    .toBe(true);
  return site.commands.get(name)!;
}

const onSite = (site: FakeSite) =>
  [...(site.deviceUsers.get("Main Gate")?.values() ?? [])].map((u) => [u.user_id, u.name, u.privilege]);

describe("device user commands on a ZK terminal", () => {
  it("users_read reports the whole list once; user_set creates, renames and reports that user", async () => {
    const { site, sim } = await world();
    // A device's commands run in the order claimed: queued together, they are claimed together.
    const readName = site.queueCommand("users_read", "Main Gate");
    const createName = site.queueCommand("user_set", "Main Gate", {
      user_id: "4021",
      name: "Neha",
      card: "99",
    });
    const renameName = site.queueCommand("user_set", "Main Gate", { user_id: "0111", name: "Asha Verma" });
    const read = await finished(site, readName);
    expect(read).toMatchObject({ status: "Done", result: { users: 3 } });
    expect(site.userReports[0]).toMatchObject({ device: "Main Gate", complete: true });
    expect(site.userReports[0]!.users[1]).toEqual({
      user_id: "0111",
      name: "Asha",
      card: "42",
      privilege: "user",
      fingerprint: null,
      face: null,
    });
    expect(site.userReports[0]!.users.map((u) => [u.user_id, u.name, u.privilege])).toEqual([
      ["1", "Boss", "admin"],
      ["0111", "Asha", "user"],
      ["7", "Chen", "user"],
    ]);

    const created = await finished(site, createName);
    expect(created).toMatchObject({ status: "Done", result: { user_id: "4021", action: "created" } });
    const renamed = await finished(site, renameName);
    expect(site.userReports.filter((r) => r.complete)).toHaveLength(1);
    expect(site.userReports.slice(1)).toMatchObject([
      { complete: false, users: [{ user_id: "4021", card: "99" }] },
      { complete: false, users: [{ user_id: "0111", name: "Asha Verma" }] },
    ]);
    expect(renamed.result).toMatchObject({ user_id: "0111", action: "updated" });
    expect(sim.users.map((u) => [u.userId, u.name])).toEqual([
      ["1", "Boss"],
      ["0111", "Asha Verma"],
      ["7", "Chen"],
      ["4021", "Neha"],
    ]);
    expect(onSite(site)).toContainEqual(["0111", "Asha Verma", "user"]);
    expect(sim.stats().commands[Cmd.REFRESHDATA]).toBeGreaterThanOrEqual(2);
  });

  it("refuses an admin and bad input with a coded reason, and changes nothing", async () => {
    const { site, sim } = await world();
    const before = sim.users;
    const cases: [string, Record<string, unknown>, string][] = [
      ["user_set", { user_id: "1", name: "X" }, "USER_IS_ADMIN"],
      ["user_delete", { user_id: "1", mode: "delete" }, "USER_IS_ADMIN"],
      ["user_set", { user_id: "123456789012", name: "Long" }, "USER_ID_INVALID"],
      ["user_set", { user_id: "8", name: "A name far too long for a ZK" }, "USER_NAME_INVALID"],
      ["user_set", { user_id: "8" }, "USER_NAME_INVALID"],
      ["user_set", { user_id: " 8", name: "Spaced" }, "USER_ID_INVALID"],
      ["user_delete", { user_id: "7", mode: "disable" }, "DEVICE_UNSUPPORTED"],
    ];
    const names = cases.map(([type, payload]) => site.queueCommand(type, "Main Gate", payload));
    for (const [i, name] of names.entries()) {
      const command = await finished(site, name);
      const code = cases[i]![2];
      expect(command).toMatchObject({ status: "Failed", result: { code } });
      expect(String(command.result?.error)).toMatch(new RegExp(`^${code}: `));
    }
    expect(sim.users).toEqual(before);
    expect(site.userReports).toHaveLength(0);
  });

  it("user_delete waits for the site to confirm the user's punches: refused while it cannot, done once it does", async () => {
    const { site, sim, service } = await world({ confirmSeconds: 5 });
    site.fail({ status: 503, times: 10_000, method: "push_punches" });
    const refused = await finished(
      site,
      site.queueCommand("user_delete", "Main Gate", { user_id: "0111", mode: "delete" }),
    );
    expect(refused).toMatchObject({ status: "Failed", result: { code: "USER_PUNCHES_UNCONFIRMED" } });
    expect(String(refused.result?.error)).toContain("2 of 2 punches read are not staged");
    expect(sim.users.map((u) => u.userId)).toContain("0111");
    // Only that user's punches were read into the spool.
    expect(service.spoolDepth).toBe(2);

    site.clearFaults();
    const deleteName = site.queueCommand("user_delete", "Main Gate", { user_id: "0111", mode: "delete" });
    const againName = site.queueCommand("user_delete", "Main Gate", { user_id: "0111", mode: "delete" });
    const deleted = await finished(site, deleteName);
    expect(deleted).toMatchObject({
      status: "Done",
      result: { user_id: "0111", action: "deleted", punches: 2 },
    });
    expect(sim.users.map((u) => u.userId)).toEqual(["1", "7"]);
    expect([...site.stored.values()].map((s) => s.punch.user_id)).toEqual(["0111", "0111"]);
    expect(site.userReports.at(-1)).toMatchObject({ complete: false, users: [], removed: ["0111"] });
    // The log still holds the user's punches: deleting a user does not clear them.
    expect(sim.punches).toHaveLength(3);

    const absent = await finished(site, againName);
    expect(absent.result).toMatchObject({ user_id: "0111", action: "absent", punches: 0 });
  });

  it("an eSSL device says clearly that it does not manage users", async () => {
    const { site } = await world({
      devices: [
        {
          name: "eTime",
          enabled: true,
          driver: "essl",
          url: "http://127.0.0.1:9/iclock/WebAPIService.asmx",
          serial_number: "ESSL1",
          username: "u",
          password: "p",
          time_zone: "Asia/Kolkata",
          pull_interval_minutes: 600,
        },
      ],
    });
    const command = await finished(site, site.queueCommand("users_read", "eTime"));
    expect(command.result).toMatchObject({ code: "DEVICE_UNSUPPORTED" });
    expect(String(command.result?.error)).toMatch(/do not manage device users/);
  });
});

describe("device user commands on a Hikvision terminal", () => {
  async function hikWorld() {
    const hik = new HikSimulator({
      username: "admin",
      password: "Passw0rd!",
      events: hikEvents(40, { users: 3, startUtcMs: Date.UTC(2026, 9, 5, 3, 0, 0) }),
      users: [
        { employeeNo: "0001", name: "Admin", localUIRight: true },
        { employeeNo: "0002", name: "Asha", numOfFace: 1 },
        { employeeNo: "0003", name: "Chen" },
      ],
    });
    await hik.start();
    cleanup.push(() => hik.stop());
    const w = await world({
      confirmSeconds: 5,
      devices: [
        {
          name: "Lobby",
          enabled: true,
          driver: "hikvision",
          host: "127.0.0.1",
          port: hik.address.port,
          username: "admin",
          password: "Passw0rd!",
          time_zone: "Asia/Kolkata",
          pull_interval_minutes: 600,
        },
      ],
    });
    return { ...w, hik };
  }

  it("reads, sets, and deletes only once the site confirmed the person's punches", async () => {
    const { site, hik, service } = await hikWorld();
    const readName = site.queueCommand("users_read", "Lobby");
    const setName = site.queueCommand("user_set", "Lobby", { user_id: "0004", name: "Neha" });
    expect(await finished(site, readName)).toMatchObject({ status: "Done", result: { users: 3 } });
    expect(site.deviceUsers.get("Lobby")?.get("0002")).toMatchObject({ face: true, fingerprint: false });
    expect((await finished(site, setName)).result).toMatchObject({ user_id: "0004", action: "created" });
    expect(hik.users.map((u) => u.employeeNo)).toEqual(["0001", "0002", "0003", "0004"]);

    site.fail({ status: 503, times: 10_000, method: "push_punches" });
    const refused = await finished(
      site,
      site.queueCommand("user_delete", "Lobby", { user_id: "0002", mode: "delete" }),
    );
    expect(refused.result).toMatchObject({ code: "USER_PUNCHES_UNCONFIRMED" });
    expect(hik.users.map((u) => u.employeeNo)).toContain("0002");
    const spooled = service.spoolDepth;
    expect(spooled).toBeGreaterThan(0);

    site.clearFaults();
    const disabled = await finished(
      site,
      site.queueCommand("user_delete", "Lobby", { user_id: "0002", mode: "disable" }),
    );
    expect(disabled.result).toMatchObject({ user_id: "0002", action: "disabled", punches: spooled });
    expect(hik.users.find((u) => u.employeeNo === "0002")?.enabled).toBe(false);
    expect(site.userReports.at(-1)).toMatchObject({ users: [{ user_id: "0002" }], complete: false });
    expect([...site.stored.values()].every((s) => s.punch.user_id === "0002")).toBe(true);
  });
});

describe("users an ADMS terminal pushes on its own", () => {
  it("are reported to the site as they arrive (complete: false), a bad line never breaking the upload", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const free = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(free));
      });
    });
    const { site } = await world({
      admsListen: `127.0.0.1:${port}`,
      devices: [
        {
          name: "Canteen",
          enabled: true,
          driver: "adms",
          serial_number: "ADMS0001",
          time_zone: "Asia/Kolkata",
        },
      ],
    });
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0001",
      pollIntervalMs: 50,
      errorDelayMs: 200,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    terminal.enrol({ pin: "0111", name: "Asha", fingerprints: 1 }, ["USER Name=NoPin"]);
    await expect
      .poll(() => site.deviceUsers.get("Canteen")?.get("0111"), { timeout: 10_000 })
      .toEqual({
        user_id: "0111",
        name: "Asha",
        card: null,
        privilege: "user",
        fingerprint: true,
        face: null,
      });
    expect(site.userReports.every((r) => !r.complete)).toBe(true);
    expect(terminal.stats.nonOkReplies).toBe(0);
  });
});

describe("fingerprint templates through the service (issue 13, opt-in)", () => {
  it("users_read {templates: true} reports them; template_set writes one to another ZK terminal", async () => {
    const back = new ZkSimulator({
      scenario: scenario().addUser({ userId: "0111", uid: 9, name: "Asha" }).build(),
    });
    await back.start();
    cleanup.push(() => back.stop());
    const { site, sim } = await world({
      devices: [
        {
          name: "Back Gate",
          enabled: true,
          driver: "zk",
          host: "127.0.0.1",
          port: back.address.tcpPort,
          time_zone: "Asia/Kolkata",
          pull_interval_minutes: 600,
        },
      ],
    });
    const finger = Buffer.from(Array.from({ length: 1300 }, (_, i) => (i * 7 + 3) % 256));
    sim.enrolTemplate({ uid: 2, fid: 3, valid: 1, template: finger });

    // Without the flag (the site's setting off) no template is read or sent.
    expect((await finished(site, site.queueCommand("users_read", "Main Gate"))).result).toEqual({ users: 3 });
    expect(site.templates.size).toBe(0);

    const read = await finished(site, site.queueCommand("users_read", "Main Gate", { templates: true }));
    expect(read).toMatchObject({ status: "Done", result: { users: 3, templates: 1 } });
    const reported = site.templates.get("Main Gate")!;
    expect(reported).toEqual([
      {
        user_id: "0111",
        kind: "fingerprint",
        index: 3,
        format: "zkfp10",
        data_b64: finger.toString("base64"),
      },
    ]);

    const set = await finished(site, site.queueCommand("template_set", "Back Gate", reported[0]));
    expect(set).toMatchObject({ status: "Done" });
    expect(set.result).toEqual({ user_id: "0111", kind: "fingerprint", index: 3, action: "written" });
    expect(back.templates.map((t) => [t.uid, t.fid, t.template.toString("base64")])).toEqual([
      [9, 3, finger.toString("base64")],
    ]);

    // A user the terminal does not hold: refused with a code, no template data in the error.
    const refused = await finished(
      site,
      site.queueCommand("template_set", "Back Gate", { ...reported[0], user_id: "555" }),
    );
    expect(refused).toMatchObject({ status: "Failed", result: { code: "TEMPLATE_REFUSED" } });
    expect(JSON.stringify(refused.result)).not.toContain(finger.toString("base64").slice(0, 16));
  });
});
