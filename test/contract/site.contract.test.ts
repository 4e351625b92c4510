import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { epochMsToNaive } from "../../sidecar/src/domain/naiveTime.js";
import { makePunch, type Punch } from "../../sidecar/src/domain/punch.js";
import { COMMAND_EVENT, CommandChannel } from "../../sidecar/src/site/commandChannel.js";
import { SiteApi } from "../../sidecar/src/site/siteApi.js";
import { SiteClient } from "../../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES, type PushItemResult } from "../../sidecar/src/site/uploader.js";
import { FakeRealtime } from "../fakes/fakeRealtime.js";
import { FakeSite } from "../fakes/fakeSite.js";

/**
 * The sidecar ↔ site contract (design.md), as scenarios that run against the fake site by default and against a
 * real bench when BSYNC_CONTRACT_URL (and the variables below) point at one. The same assertions both ways are
 * what keeps the fake honest.
 */
const env = process.env;
const real = Boolean(env.BSYNC_CONTRACT_URL);
const target = real
  ? `REAL site ${env.BSYNC_CONTRACT_URL}`
  : "fake site (set BSYNC_CONTRACT_URL etc. to run against a bench)";

interface Target {
  url: string;
  siteName: string;
  socketUrl: string;
  apiKey: string;
  apiSecret: string;
  sidecar: string;
  device: string;
  /** Queues a pull command as a manager would press Sync Now; returns its name. */
  syncNow(): Promise<string>;
  /** The command's status as the site sees it. */
  commandStatus(name: string): Promise<string>;
  stop(): Promise<void>;
}

async function realTarget(): Promise<Target> {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required with BSYNC_CONTRACT_URL`);
    return value;
  };
  const admin = new SiteClient({
    url: need("BSYNC_CONTRACT_URL"),
    siteName: need("BSYNC_CONTRACT_SITE"),
    apiKey: need("BSYNC_CONTRACT_ADMIN_KEY"),
    apiSecret: need("BSYNC_CONTRACT_ADMIN_SECRET"),
  });
  const device = need("BSYNC_CONTRACT_DEVICE");
  return {
    url: need("BSYNC_CONTRACT_URL"),
    siteName: need("BSYNC_CONTRACT_SITE"),
    socketUrl: env.BSYNC_CONTRACT_SOCKET ?? need("BSYNC_CONTRACT_URL"),
    apiKey: need("BSYNC_CONTRACT_KEY"),
    apiSecret: need("BSYNC_CONTRACT_SECRET"),
    sidecar: need("BSYNC_CONTRACT_SIDECAR"),
    device,
    syncNow: async () =>
      (await admin.call<{ command: string }>("biometric_sync.api.desk.sync_now", { device })).command,
    commandStatus: async (name) =>
      (await admin.call<{ status: string }>("biometric_sync.api.desk.command_status", { command: name }))
        .status,
    stop: () => Promise.resolve(),
  };
}

async function fakeTarget(): Promise<Target> {
  const site = new FakeSite();
  await site.start();
  const realtime = new FakeRealtime("bsync.localhost", (auth) => Promise.resolve(site.userFor(auth)));
  await realtime.start();
  site.onCommandQueued = (command) => realtime.publish(COMMAND_EVENT, { command }, site.sidecarUser);
  site.devices = [
    {
      name: "Contract Gate",
      enabled: true,
      driver: "zk",
      host: "192.0.2.10",
      port: 4370,
      time_zone: "Asia/Kolkata",
    },
  ];
  return {
    url: site.url,
    siteName: "bsync.localhost",
    socketUrl: realtime.url,
    apiKey: site.apiKey,
    apiSecret: site.apiSecret,
    sidecar: site.sidecarName,
    device: "Contract Gate",
    syncNow: () => Promise.resolve(site.queueCommand("pull", "Contract Gate")),
    commandStatus: (name) => Promise.resolve(site.commands.get(name)?.status ?? "missing"),
    stop: async () => {
      await realtime.stop();
      await site.stop();
    },
  };
}

let t: Target;
let client: SiteClient;
let api: SiteApi;

beforeAll(async () => {
  console.warn(`\n[contract] running against the ${target}\n`);
  t = real ? await realTarget() : await fakeTarget();
  // The site is named by X-Frappe-Site-Name, as the sidecar does: behind gunicorn the Host (an IP) names none.
  client = new SiteClient({
    url: t.url,
    siteName: t.siteName,
    apiKey: t.apiKey,
    apiSecret: t.apiSecret,
    timeoutMs: 30_000,
  });
  api = new SiteApi(client, t.sidecar);
});
afterAll(() => t?.stop());

// Punches that cannot collide with earlier runs: times from now, spaced a second apart.
const fresh = (n: number): Punch[] => {
  const base = Date.now() - 86_400_000 - Math.floor(Math.random() * 1e9);
  return Array.from({ length: n }, (_, i) =>
    makePunch({
      device: t.device,
      userId: `C${String(i % 7).padStart(3, "0")}`,
      time: epochMsToNaive(base + i * 1000),
      state: i % 2,
      verify: 1,
      raw: "contract",
    }),
  );
};
const push = (punches: unknown[]) =>
  client.call<{ results: PushItemResult[] }>(PUSH_PUNCHES, { sidecar: t.sidecar, device: t.device, punches });

describe(`sidecar ↔ site contract (${real ? "real site" : "fake site"})`, () => {
  it("push_punches stores each uid once: new, then duplicate, in request order", async () => {
    const batch = fresh(25);
    const first = await push(batch);
    expect(first.results.map((r) => [r.uid, r.status])).toEqual(batch.map((p) => [p.uid, "new"]));
    const second = await push(batch);
    expect(second.results.map((r) => r.status)).toEqual(batch.map(() => "duplicate"));
  });

  it("one bad item never fails the batch: it is rejected with a code, the rest stored", async () => {
    const [good, bad] = fresh(2) as [Punch, Punch];
    const answer = await push([good, { ...bad, uid: "0".repeat(64) }]);
    expect(answer.results[0]).toMatchObject({ uid: good.uid, status: "new" });
    expect(answer.results[1]).toMatchObject({ status: "rejected", code: expect.stringMatching(/^[A-Z_]+$/) });
  });

  it("refuses more than 1,000 punches in one call with a stable code", async () => {
    await expect(push(fresh(1001))).rejects.toMatchObject({
      code: "SITE_REJECTED",
      details: { siteCode: "BATCH_TOO_LARGE" },
    });
  });

  it("refuses a wrong secret as an auth failure", async () => {
    const wrong = new SiteClient({
      url: t.url,
      siteName: t.siteName,
      apiKey: t.apiKey,
      apiSecret: "not-the-secret",
    });
    await expect(
      wrong.call(PUSH_PUNCHES, { sidecar: t.sidecar, device: t.device, punches: [] }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/SITE_AUTH_FAILED|SITE_FORBIDDEN/) });
  });

  it("get_config gives this sidecar its own devices, and no other sidecar's", async () => {
    const config = await api.getConfig();
    expect(config.devices.map((d) => d.name)).toContain(t.device);
    await expect(new SiteApi(client, `${t.sidecar}-not-mine`).getConfig()).rejects.toMatchObject({
      details: { siteCode: expect.stringMatching(/NOT_YOUR_SIDECAR|UNKNOWN_SIDECAR/) },
    });
    await api.heartbeat({ version: "contract", spool_depth: 0, devices: [] });
  });

  it("report_device_users takes the whole list, then one user and a removal, and answers how many it received", async () => {
    const user = (user_id: string, name: string) => ({
      user_id,
      name,
      card: null,
      privilege: "user" as const,
      fingerprint: null,
      face: null,
    });
    const admin = {
      ...user("1", "Boss"),
      privilege: "admin" as const,
      card: "4000123",
      fingerprint: true,
      face: false,
    };
    expect(
      await api.reportDeviceUsers(t.device, [admin, user("0111", "Asha"), user("111", "Ravi")], true),
    ).toBe(3);
    expect(await api.reportDeviceUsers(t.device, [user("0111", "Asha Verma")], false)).toBe(1);
    expect(await api.reportDeviceUsers(t.device, [], false, ["111"])).toBe(0);
    await expect(
      new SiteApi(client, `${t.sidecar}-not-mine`).reportDeviceUsers(t.device, [], true),
    ).rejects.toMatchObject({
      details: { siteCode: expect.stringMatching(/NOT_YOUR_SIDECAR|UNKNOWN_SIDECAR/) },
    });
  });

  it("a queued command nudges the sidecar over socket.io, and claim → progress → complete ends it Done", async () => {
    const nudges: string[] = [];
    const channel = new CommandChannel({
      socketUrl: t.socketUrl,
      siteUrl: t.url,
      siteName: t.siteName,
      apiKey: t.apiKey,
      apiSecret: t.apiSecret,
    });
    channel.start((reason, command) => nudges.push(command ?? reason));
    try {
      await expect.poll(() => channel.state, { timeout: 15_000 }).toBe("connected");
      await api.claimCommands(); // clear anything left from earlier runs
      const name = await t.syncNow();
      await expect.poll(() => nudges, { timeout: 15_000 }).toContain(name);
      const claimed = await api.claimCommands();
      expect(claimed.map((c) => c.name)).toContain(name);
      expect(await api.claimCommands()).not.toContainEqual(expect.objectContaining({ name }));
      await api.reportProgress(name, 50, 100, "read 50%");
      await api.completeCommand(name, "Done", { read: 0 });
      expect(await t.commandStatus(name)).toBe("Done");
    } finally {
      channel.stop();
    }
  });
});
