import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../../sidecar/src/config/loadConfig.js";
import { SidecarService } from "../../../sidecar/src/service/sidecarService.js";
import { COMMAND_EVENT } from "../../../sidecar/src/site/commandChannel.js";
import { FakeRealtime } from "../../fakes/fakeRealtime.js";
import { FakeSite } from "../../fakes/fakeSite.js";
import { hikEvents, successful } from "../../simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../../simulators/hikvision/hikSimulator.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function world(options: { claimIntervalSeconds?: number } = {}) {
  const site = new FakeSite();
  await site.start();
  cleanup.push(() => site.stop());
  const realtime = new FakeRealtime("bsync.localhost", (auth) => Promise.resolve(site.userFor(auth)));
  await realtime.start();
  cleanup.push(() => realtime.stop());
  site.onCommandQueued = (command) => realtime.publish(COMMAND_EVENT, { command }, site.sidecarUser);
  const sims = await Promise.all(
    [7, 8].map(async (seed) => {
      const sim = new ZkSimulator({
        scenario: scenario()
          .realisticWeeks({ employees: 6, weeks: 1, startDate: "2026-10-05", seed })
          .build(),
        commKey: seed === 8 ? 4242 : undefined,
      });
      await sim.start();
      cleanup.push(() => sim.stop());
      return sim;
    }),
  );
  const device = (name: string, sim: ZkSimulator, commKey?: number) => ({
    name,
    enabled: true,
    driver: "zk",
    host: "127.0.0.1",
    port: sim.address.tcpPort,
    comm_key: commKey ? String(commKey) : null,
    time_zone: "Asia/Kolkata",
    pull_interval_minutes: 5,
  });
  site.devices = [device("Main Gate", sims[0]!)];
  const dir = await mkdtemp(path.join(tmpdir(), "bsync-service-"));
  const config = parseConfig({
    spoolDir: dir,
    site: {
      url: "http://127.0.0.1:8000".replace("8000", new URL(site.url).port),
      siteName: "bsync.localhost",
      socketUrl: realtime.url,
      sidecar: site.sidecarName,
      apiKey: site.apiKey,
      apiSecret: site.apiSecret,
      claimIntervalSeconds: options.claimIntervalSeconds ?? 30,
      heartbeatIntervalSeconds: 5,
    },
  });
  const service = new SidecarService({ ...config, site: config.site! }, site.apiSecret, "0.1.0-test");
  cleanup.push(() => service.stop());
  return {
    site,
    realtime,
    sims,
    service,
    /** Another service process on the same spool and state (a restart). */
    restart: () => {
      const again = new SidecarService({ ...config, site: config.site! }, site.apiSecret, "0.1.0-test");
      cleanup.push(() => again.stop());
      return again;
    },
    device,
    addDevice: (name: string, sim: ZkSimulator, key?: number) => site.devices.push(device(name, sim, key)),
  };
}

const done = (site: FakeSite, name: string) =>
  site.commands.get(name)?.status === "Done" || site.commands.get(name)?.status === "Failed";

describe("SidecarService against a fake site", () => {
  it("runs a scheduled pull nudged over socket.io: progress, result, and every punch on the site once", async () => {
    const { site, sims, service } = await world();
    await service.start();
    await expect.poll(() => site.heartbeats.length).toBeGreaterThan(0);
    const name = site.queueCommand("pull", "Main Gate", {}, "BSL-0001");
    await expect.poll(() => done(site, name), { timeout: 10_000 }).toBe(true);
    const command = site.commands.get(name)!;
    expect(command.status).toBe("Done");
    expect(command.result).toMatchObject({
      read: sims[0]!.punches.length,
      on_device: sims[0]!.punches.length,
    });
    expect(command.result?.read_through).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(command.progress.at(-1)).toMatchObject({ message: "read 100%" });
    await expect.poll(() => site.stored.size, { timeout: 10_000 }).toBe(sims[0]!.punches.length);
    await expect.poll(() => service.spoolDepth).toBe(0);
    // The run's uploads name its Sync Log, so the site counts them in that run.
    expect(site.pushSyncLogs.length).toBeGreaterThan(0);
    expect(site.pushSyncLogs.every((log) => log === "BSL-0001")).toBe(true);
    // The next pull brings nothing new: the cursor moved.
    const again = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, again), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(again)?.result).toMatchObject({ read: 0 });
  });

  it("after a restart, a run's punches left in the spool still count in that run's Sync Log", async () => {
    const { site, sims, service, restart } = await world();
    // The site refuses uploads: the pull's punches stay in the spool.
    const refuse = { status: 503, times: 1_000, method: "push_punches" };
    site.fail(refuse);
    await service.start();
    const pull = site.queueCommand("pull", "Main Gate", {}, "BSL-RUN");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    expect(service.spoolDepth).toBe(sims[0]!.punches.length);
    await service.stop();
    refuse.times = 0;
    const again = restart();
    await again.start();
    await expect.poll(() => site.stored.size, { timeout: 15_000 }).toBe(sims[0]!.punches.length);
    expect(site.pushSyncLogs.length).toBeGreaterThan(0);
    expect(site.pushSyncLogs.every((log) => log === "BSL-RUN")).toBe(true);
  });

  it("picks up a device added on the site without a restart (reload_config), with its comm key", async () => {
    const { site, sims, service, addDevice } = await world();
    await service.start();
    addDevice("Head Office", sims[1]!, 4242);
    const reload = site.queueCommand("reload_config", null);
    await expect.poll(() => done(site, reload), { timeout: 10_000 }).toBe(true);
    expect(service.devices.get("Head Office")).toBeDefined();
    const test = site.queueCommand("test_connection", "Head Office");
    await expect.poll(() => done(site, test), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(test)).toMatchObject({
      status: "Done",
      result: expect.objectContaining({
        serial_number: sims[1]!.scenario.identity.serialNumber,
        punches: sims[1]!.punches.length,
      }),
    });
  });

  it("reports a failing command with a coded reason, and runs a command claimed twice only once", async () => {
    const { site, service } = await world();
    site.reclaim = true;
    await service.start();
    const missing = site.queueCommand("pull", "No Such Device");
    const unknown = site.queueCommand("format_disk", "Main Gate");
    await expect.poll(() => done(site, missing) && done(site, unknown), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(missing)?.result).toMatchObject({ code: "CONFIG_INVALID" });
    expect(site.commands.get(unknown)?.result).toMatchObject({ code: "DEVICE_COMMAND_FAILED" });
    const completions = site.calls.filter((c) => c.method.endsWith("complete_command"));
    expect(completions.every((c) => c.status === 200)).toBe(true);
    expect(completions).toHaveLength(2);
  });

  it("runs a command again when the site queues it again after its answer (a device-user command to retry later)", async () => {
    const { site, service } = await world({ claimIntervalSeconds: 5 });
    await service.start();
    const name = site.queueCommand("user_set", "No Such Device", { user_id: "7", name: "Asha" });
    await expect.poll(() => done(site, name), { timeout: 10_000 }).toBe(true);
    // What the site does with a terminal that is away: Queued again (retry_after has passed).
    site.commands.get(name)!.status = "Queued";
    await expect.poll(() => done(site, name), { timeout: 15_000 }).toBe(true);
    expect(site.calls.filter((c) => c.method.endsWith("complete_command"))).toHaveLength(2);
  });

  it("runs commands for different devices side by side: a slow terminal holds up only its own queue", async () => {
    const { site, sims, service, addDevice } = await world();
    addDevice("Slow Gate", sims[1]!, 4242);
    // The slow terminal takes 3 s to get its log ready (under the client's 10 s timeout).
    sims[1]!.addFault({ kind: "stall", ms: 3_000 });
    await service.start();
    const slow = site.queueCommand("pull", "Slow Gate");
    const behindSlow = site.queueCommand("test_connection", "Slow Gate");
    await expect.poll(() => site.commands.get(slow)?.status).not.toBe("Queued");
    const fast = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, fast), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(fast)?.status).toBe("Done");
    // The fast device finished while the slow one was still reading; the slow device's next command waits.
    expect(done(site, slow)).toBe(false);
    expect(done(site, behindSlow)).toBe(false);
    await expect.poll(() => done(site, slow) && done(site, behindSlow), { timeout: 15_000 }).toBe(true);
    expect(site.commands.get(slow)?.status).toBe("Done");
    expect(site.commands.get(behindSlow)?.status).toBe("Done");
    const completions = site.calls.filter((c) => c.method.endsWith("complete_command")).length;
    expect(completions).toBe(3);
  });

  it("measures log memory on every pull, not only on Test Connection (a full log reads 100%)", async () => {
    const { site, sims, service } = await world();
    sims[0]!.addFault({ kind: "memoryFull" });
    await service.start();
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(pull)?.result).toMatchObject({ memory_used_percent: 100 });
    await expect
      .poll(() => site.heartbeatDevices().find((d) => d.device === "Main Gate")?.memory_used_percent, {
        timeout: 10_000,
      })
      .toBe(100);
  });

  it("still runs commands when the socket is down: it claims on a timer", async () => {
    const { site, realtime, service } = await world({ claimIntervalSeconds: 5 });
    const claims = () => site.calls.filter((c) => c.method.endsWith("claim_commands")).length;
    await service.start();
    await expect.poll(() => realtime.connectedUsers()).toEqual([site.sidecarUser]);
    await expect.poll(claims).toBeGreaterThanOrEqual(2); // the start-up claim and the on-connect claim
    await realtime.stop();
    const claimsBefore = claims();
    const name = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, name), { timeout: 15_000, interval: 200 }).toBe(true);
    expect(site.commands.get(name)?.status).toBe("Done");
    expect(claims()).toBe(claimsBefore + 1);
  });

  it("runs an ADMS push server for the site's ADMS terminals: every pushed punch reaches the site once", async () => {
    const { site, service } = await world();
    const { AdmsTerminal } = await import("../../simulators/adms/admsTerminal.js");
    const { terminalPunches } = await import("../../simulators/adms/terminalPunches.js");
    const net = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as import("node:net").AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    site.devices.push({
      name: "Canteen ADMS",
      enabled: true,
      driver: "adms",
      serial_number: "ADMS0001",
      time_zone: "Asia/Kolkata",
    });
    site.admsListenAddress = `127.0.0.1:${port}`;
    await service.start();
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0001",
      punches: terminalPunches(250, "2026-10-05"),
      pollIntervalMs: 50,
      errorDelayMs: 50,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    await expect
      .poll(() => [...site.stored.values()].filter((s) => s.punch.device === "Canteen ADMS").length, {
        timeout: 15_000,
      })
      .toBe(250);
  });

  it("an ADMS port already taken: the other devices still work, the ADMS terminals are reported with the reason, and it listens once the port is free", async () => {
    const { site, service } = await world();
    const { AdmsTerminal } = await import("../../simulators/adms/admsTerminal.js");
    const { terminalPunches } = await import("../../simulators/adms/terminalPunches.js");
    const net = await import("node:net");
    // Another program holds the port (seen on a real machine: a second tool listening on the same port).
    const squatter = net.createServer();
    const port = await new Promise<number>((resolve) =>
      squatter.listen(0, "127.0.0.1", () =>
        resolve((squatter.address() as import("node:net").AddressInfo).port),
      ),
    );
    cleanup.push(() => new Promise((resolve) => squatter.close(resolve)));
    site.devices.push({ name: "Bay ADMS", enabled: true, driver: "adms", serial_number: "ADMS0002" });
    site.admsListenAddress = `127.0.0.1:${port}`;
    await service.start();
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(pull)?.status).toBe("Done");
    await expect
      .poll(() => site.heartbeatDevices().find((d) => d.device === "Bay ADMS"), { timeout: 10_000 })
      .toMatchObject({ online: false, error: expect.stringMatching(/^ADMS_LISTEN_FAILED: /) });

    await new Promise((resolve) => squatter.close(resolve));
    site.queueCommand("reload_config", null);
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0002",
      punches: terminalPunches(20, "2026-10-05"),
      pollIntervalMs: 50,
      errorDelayMs: 50,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    await expect
      .poll(() => [...site.stored.values()].filter((s) => s.punch.device === "Bay ADMS").length, {
        timeout: 15_000,
      })
      .toBe(20);
  });

  it("reports how far an ADMS terminal is read (read_through, its wall clock), so its watermark can move", async () => {
    // Without it the site never gives a push device a watermark: Shift Types and Daily Attendance fed by an
    // ADMS terminal wait for it forever.
    const { site, service } = await world();
    const { AdmsTerminal } = await import("../../simulators/adms/admsTerminal.js");
    const net = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as import("node:net").AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    site.devices.push({
      name: "Bay ADMS",
      enabled: true,
      driver: "adms",
      serial_number: "ADMS0002",
      time_zone: "Asia/Kolkata",
    });
    site.admsListenAddress = `127.0.0.1:${port}`;
    await service.start();
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0002",
      punches: [{ userId: "7", time: "2026-10-05 09:00:00" }],
      pollIntervalMs: 50,
      errorDelayMs: 50,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    const entry = () => site.heartbeatDevices().find((d) => d.device === "Bay ADMS");
    await expect.poll(() => entry()?.online, { timeout: 15_000 }).toBe(true);
    await expect
      .poll(() => entry()?.read_through, { timeout: 15_000 })
      .toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // Its wall clock (Asia/Kolkata, UTC+05:30), a little behind the last contact: never ahead of now.
    const kolkataNow = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 19).replace("T", " ");
    const readThrough = entry()!.read_through!;
    expect(readThrough <= kolkataNow).toBe(true);
    const behindMs =
      Date.parse(kolkataNow.replace(" ", "T") + "Z") - Date.parse(readThrough.replace(" ", "T") + "Z");
    expect(behindMs).toBeLessThan(10 * 60_000);
  });

  it("a live punch reaches the site within about a second; the next pull reads it again and the site keeps one", async () => {
    const { site, sims, service } = await world();
    await service.start();
    const gate = () => site.heartbeatDevices().find((d) => d.device === "Main Gate");
    await expect.poll(() => gate()?.live, { timeout: 5_000 }).toBe("up");
    expect(gate()).not.toHaveProperty("live_error");
    const sim = sims[0]!;
    const user = sim.users[0]!;
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-03 09:00:00" });
    await expect
      .poll(() => [...site.stored.values()].some((s) => s.punch.time === "2026-11-03 09:00:00"), {
        timeout: 2_500,
        interval: 20,
      })
      .toBe(true);
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(pull)?.status).toBe("Done");
    await expect.poll(() => service.spoolDepth, { timeout: 10_000 }).toBe(0);
    expect(site.stored.size).toBe(sim.punches.length);
    // The channel is back after the pull: the next punch is live again.
    await expect.poll(() => sim.eventSubscribers(), { timeout: 5_000 }).toBe(1);
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-03 18:00:00" });
    await expect.poll(() => site.stored.size, { timeout: 2_500, interval: 20 }).toBe(sim.punches.length);
  });

  it("a terminal reboot and a drop mid-event: the heartbeat says live down (code, since) then up; the pull finds what the channel lost", async () => {
    const { site, sims, service } = await world();
    await service.start();
    const gate = () => site.heartbeatDevices().find((d) => d.device === "Main Gate");
    await expect.poll(() => gate()?.live, { timeout: 5_000 }).toBe("up");
    const sim = sims[0]!;
    const user = sim.users[0]!;
    sim.addFault({ kind: "dropMidEvent" });
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-04 09:00:00" }); // lost by the channel
    await expect.poll(() => sim.stats().faultsFired.dropMidEvent ?? 0).toBe(1);
    const rebooting = sim.reboot(2_500);
    await expect.poll(() => gate()?.live, { timeout: 4_000 }).toBe("down");
    expect(gate()?.live_error).toMatch(/^DEVICE_(CLOSED|UNREACHABLE|REFUSED): /);
    expect(new Date(gate()!.live_since!).getTime()).toBeGreaterThan(Date.now() - 10_000);
    await rebooting;
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-04 09:05:00" }); // live, or found by the pull
    await expect.poll(() => gate()?.live, { timeout: 10_000 }).toBe("up");
    expect(gate()).not.toHaveProperty("live_error");
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => site.stored.size, { timeout: 10_000 }).toBe(sim.punches.length);
    const times = [...site.stored.values()].map((s) => s.punch.time);
    expect(times).toContain("2026-11-04 09:00:00");
    expect(times).toContain("2026-11-04 09:05:00");
  }, 30_000);

  it("Hikvision: streamed punches reach the site at once; a drop mid-event and garbage are survived, and the pull's serial cursor finds the lost one", async () => {
    const { site, service } = await world();
    const hik = new HikSimulator({ username: "admin", password: "Passw0rd!", events: hikEvents(12) });
    await hik.start();
    cleanup.push(() => hik.stop());
    site.devices = [
      {
        name: "Lobby",
        enabled: true,
        driver: "hikvision",
        host: "127.0.0.1",
        port: hik.address.port,
        username: "admin",
        password: "Passw0rd!",
        time_zone: "Asia/Kolkata",
      },
    ];
    await service.start();
    const lobby = () => site.heartbeatDevices().find((d) => d.device === "Lobby");
    await expect.poll(() => lobby()?.live, { timeout: 5_000 }).toBe("up");
    const wall = (e: { time: string; employeeNoString?: string }) =>
      `${e.employeeNoString}|${e.time.slice(0, 19).replace("T", " ")}`;
    const onSite = () => [...site.stored.values()].map((s) => `${s.punch.user_id}|${s.punch.time}`);
    const first = hik.punchNow({ employeeNoString: "0101" });
    await expect.poll(onSite, { timeout: 2_500, interval: 20 }).toContain(wall(first));
    hik.addFault({ kind: "streamGarbage", style: "part" });
    const second = hik.punchNow({ employeeNoString: "0102" });
    await expect.poll(onSite, { timeout: 2_500, interval: 20 }).toContain(wall(second));
    hik.addFault({ kind: "streamDropMidEvent" });
    const lost = hik.punchNow({ employeeNoString: "0103" });
    // The channel comes back (backoff from 1 s); the event it lost is still on the device.
    await expect.poll(() => hik.streamSubscribers, { timeout: 5_000 }).toBe(1);
    expect(onSite()).not.toContain(wall(lost));
    const pull = site.queueCommand("pull", "Lobby");
    await expect.poll(() => done(site, pull), { timeout: 10_000 }).toBe(true);
    expect(site.commands.get(pull)?.status).toBe("Done");
    await expect.poll(onSite, { timeout: 5_000 }).toContain(wall(lost));
    expect(site.stored.size).toBe(successful(hik.log).length);
    await expect.poll(() => lobby()?.live, { timeout: 5_000 }).toBe("up");
  }, 30_000);
});
