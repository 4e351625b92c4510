import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { AdmsTerminal } from "../simulators/adms/admsTerminal.js";
import { terminalPunches } from "../simulators/adms/terminalPunches.js";
import { esslRecords } from "../simulators/essl/esslRecords.js";
import { EsslSimulator } from "../simulators/essl/esslSimulator.js";
import { hikEvents, successful } from "../simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../simulators/hikvision/hikSimulator.js";
import type { FakeSite } from "../fakes/fakeSite.js";
import { startFakeSiteWorld } from "../fakes/fakeSiteWorld.js";
import { freePort } from "../support/freePort.js";

const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The fake site and socket server, a sidecar config for the bundle, and a way to (re)start the bundle. */
async function world(devices: Record<string, unknown>[], admsListen: string | null = null) {
  const fake = await startFakeSiteWorld();
  cleanup.push(() => fake.stop());
  const { site, realtime } = fake;
  site.devices = devices;
  site.admsListenAddress = admsListen;
  const config = await fake.writeSidecarConfig();
  const start = (): ChildProcess => {
    const child = spawn("node", [bundle, "run", "--config", config, "--log-level", "error"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.resume();
    cleanup.push(() => child.kill("SIGKILL"));
    return child;
  };
  const kill = async (child: ChildProcess): Promise<void> => {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
  };
  const connected = () =>
    expect.poll(() => realtime.connectedUsers(), { timeout: 15_000 }).toEqual([site.sidecarUser]);
  return { site, start, kill, connected };
}

const delivered = (site: FakeSite, device: string) =>
  [...site.stored.values()].filter((s) => s.punch.device === device).length;

describe("end to end through the bundle, other families (kill -9 and restart mid-way)", () => {
  beforeAll(async () => {
    await promisify(execFile)("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it("Hikvision: a pull lands every successful authentication on the site exactly once", async () => {
    const events = hikEvents(600, { startUtcMs: Date.now() - 2 * 86_400_000 });
    // A web server that hangs up after every answer without saying so, as many terminals' do.
    const hik = new HikSimulator({
      username: "admin",
      password: "Passw0rd!",
      events,
      connection: "closeSilently",
    });
    const { port } = await hik.start();
    cleanup.push(() => hik.stop());
    const w = await world([
      {
        name: "Lobby",
        enabled: true,
        driver: "hikvision",
        host: "127.0.0.1",
        port,
        username: "admin",
        password: "Passw0rd!",
        time_zone: "Asia/Kolkata",
      },
    ]);
    const first = w.start();
    await w.connected();
    w.site.fail({ delayMs: 1_500, times: 2 });
    const pull = w.site.queueCommand("pull", "Lobby");
    await expect.poll(() => w.site.commands.get(pull)?.status, { timeout: 20_000 }).toBe("Done");
    const read = Number(w.site.commands.get(pull)?.result?.read);
    expect(read).toBe(successful(events).length);
    await w.kill(first);
    w.start();
    await expect.poll(() => delivered(w.site, "Lobby"), { timeout: 30_000 }).toBe(read);
    const again = w.site.queueCommand("pull", "Lobby");
    await expect.poll(() => w.site.commands.get(again)?.status, { timeout: 20_000 }).toBe("Done");
    expect(w.site.commands.get(again)?.result).toMatchObject({ read: 0 });
  });

  it("eSSL eTimeTrackLite: a pull lands every log on the site exactly once", async () => {
    const essl = new EsslSimulator({
      connection: "dropIdle",
      userName: "api",
      password: "api",
      records: esslRecords(60, { serialNumber: "SIM0000001" }, Date.now() - 40 * 3_600_000),
    });
    const { port } = await essl.start();
    cleanup.push(() => essl.stop());
    const w = await world([
      {
        name: "Plant",
        enabled: true,
        driver: "essl",
        url: `http://127.0.0.1:${port}/iclock/WebAPIService.asmx`,
        serial_number: "SIM0000001",
        username: "api",
        password: "api",
        time_zone: "Asia/Kolkata",
        // History from three days back: this test is about exactly-once through a kill, not a 5-year import.
        import_since: `${new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)} 00:00:00`,
      },
    ]);
    const first = w.start();
    await w.connected();
    w.site.fail({ delayMs: 1_500, times: 1 });
    const pull = w.site.queueCommand("pull", "Plant");
    await expect.poll(() => w.site.commands.get(pull)?.status, { timeout: 20_000 }).toBe("Done");
    const read = Number(w.site.commands.get(pull)?.result?.read);
    expect(read).toBe(60); // one every 37 min over the last 40 h, all inside the 48 h look-back
    await w.kill(first);
    w.start();
    await expect.poll(() => delivered(w.site, "Plant"), { timeout: 30_000 }).toBe(60);
  });

  it("ADMS: a terminal pushing through a sidecar kill -9 gets every punch to the site exactly once", async () => {
    const port = await freePort();
    const w = await world(
      [
        {
          name: "Canteen",
          enabled: true,
          driver: "adms",
          serial_number: "ADMS0001",
          time_zone: "Asia/Kolkata",
        },
      ],
      `127.0.0.1:${port}`,
    );
    const first = w.start();
    await w.connected();
    const punches = terminalPunches(1_500, "2026-10-05");
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "ADMS0001",
      punches,
      batchSize: 50,
      pollIntervalMs: 50,
      errorDelayMs: 200,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    await expect.poll(() => delivered(w.site, "Canteen"), { timeout: 20_000 }).toBeGreaterThan(100);
    await w.kill(first);
    w.start();
    await expect
      .poll(() => delivered(w.site, "Canteen"), { timeout: 40_000, interval: 250 })
      .toBe(punches.length);
  });
});
