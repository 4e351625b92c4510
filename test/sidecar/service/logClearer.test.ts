import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../sidecar/src/config/loadConfig.js";
import { Cmd } from "../../../sidecar/src/drivers/zk/protocol/constants.js";
import { SidecarService } from "../../../sidecar/src/service/sidecarService.js";
import { FakeSite } from "../../fakes/fakeSite.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

// The sidecar service with its real spool, uploader and command runner; the ZK terminal is the simulator on
// loopback; the site is the fake at the REST boundary (the real confirm_punches is tested on a bench).
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function world(options: { allowClear?: boolean; confirmSeconds?: number } = {}) {
  const site = new FakeSite();
  await site.start();
  cleanup.push(() => site.stop());
  const sim = new ZkSimulator({
    scenario: scenario().realisticWeeks({ employees: 8, weeks: 2, startDate: "2026-10-05", seed: 3 }).build(),
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
      pull_interval_minutes: 60,
      allow_clear_log: options.allowClear ?? true,
    },
  ];
  const config = parseConfig({
    spoolDir: await mkdtemp(path.join(tmpdir(), "bsync-clear-")),
    site: {
      url: site.url,
      siteName: "bsync.localhost",
      // No socket.io here: commands are claimed on the timer.
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

const user = (sim: ZkSimulator) => sim.users[0]!;

describe("Clear Log on a ZK terminal (clear_log command)", () => {
  it("clears only after every punch is confirmed on the site; the next pull reads only what came after", async () => {
    const { site, sim } = await world();
    const onDevice = sim.punches.length;
    expect(onDevice).toBeGreaterThan(50);
    const name = site.queueCommand("clear_log", "Main Gate", {}, "BSL-CLEAR");
    const command = await finished(site, name);
    expect(command.status).toBe("Done");
    expect(command.result).toMatchObject({
      read: onDevice,
      confirmed: onDevice,
      cleared: onDevice,
      remaining: 0,
    });
    expect(command.progress.map((p) => p.done)).toEqual(expect.arrayContaining([1, 2, 3]));
    // Every punch it held is on the site; the device is empty and working.
    expect(site.stored.size).toBe(onDevice);
    expect(sim.punches).toHaveLength(0);
    expect(sim.enabled).toBe(true);
    // Its uploads counted in the clear's Sync Log.
    expect(site.pushSyncLogs.every((log) => log === "BSL-CLEAR")).toBe(true);

    const next = sim.pushLivePunch({ userId: user(sim).userId, time: "2026-10-20 09:00:00" })!;
    const pull = await finished(site, site.queueCommand("pull", "Main Gate"));
    expect(pull.result).toMatchObject({ read: 1, on_device: 1 });
    await expect.poll(() => site.stored.size, { timeout: 10_000 }).toBe(onDevice + 1);
    expect([...site.stored.values()].some((s) => s.punch.time === "2026-10-20 09:00:00")).toBe(true);
    expect(next.userId).toBe(user(sim).userId);
  });

  it("a punch taken between the read and the clear refuses the clear, and then reaches the site", async () => {
    const { site, sim } = await world();
    const before = sim.punches.length;
    let injected = false;
    site.onConfirm = () => {
      if (injected) return;
      injected = true;
      sim.pushLivePunch({ userId: user(sim).userId, time: "2026-10-21 08:59:00" });
    };
    const command = await finished(site, site.queueCommand("clear_log", "Main Gate"));
    expect(command.status).toBe("Failed");
    expect(command.result).toMatchObject({ code: "CLEAR_LOG_CHANGED" });
    expect(sim.punches).toHaveLength(before + 1);
    expect(sim.enabled).toBe(true);
    await finished(site, site.queueCommand("pull", "Main Gate"));
    await expect.poll(() => site.stored.size, { timeout: 10_000 }).toBe(before + 1);
  });

  it("a site that is down means no clear (it says why), and the punches wait in the spool", async () => {
    const { site, sim, service } = await world({ confirmSeconds: 5 });
    site.fail({ status: 503, times: 10_000, method: "push_punches" });
    const before = sim.punches.length;
    const command = await finished(site, site.queueCommand("clear_log", "Main Gate"));
    expect(command.status).toBe("Failed");
    expect(command.result).toMatchObject({ code: "CLEAR_NOT_CONFIRMED" });
    expect(String(command.result?.error)).toContain(`${before} of ${before} punches read are not staged`);
    expect(sim.punches).toHaveLength(before);
    expect(sim.enabled).toBe(true);
    expect(service.spoolDepth).toBe(before);
  });

  it("a device whose Allow Clear Log is off is never cleared", async () => {
    const { site, sim } = await world({ allowClear: false });
    const before = sim.punches.length;
    const command = await finished(site, site.queueCommand("clear_log", "Main Gate"));
    expect(command.result).toMatchObject({ code: "CLEAR_NOT_ALLOWED" });
    expect(sim.punches).toHaveLength(before);
    expect(sim.stats().commands[Cmd.CLEAR_ATTLOG] ?? 0).toBe(0);
  });
});
