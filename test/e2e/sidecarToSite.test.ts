import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeSiteWorld } from "../fakes/fakeSiteWorld.js";
import { scenario } from "../simulators/zk/scenario.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";

const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function startBundle(config: string): ChildProcess {
  const child = spawn("node", [bundle, "run", "--config", config, "--log-level", "warn"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.resume();
  cleanup.push(() => child.kill("SIGKILL"));
  return child;
}

/** ZK simulator → the built sidecar bundle (as users run it) → fake site, killed with SIGKILL in the middle. */
describe("end to end through the bundle", () => {
  beforeAll(async () => {
    await promisify(execFile)("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it("delivers every punch exactly once through a kill -9 and restart of the sidecar", async () => {
    const fake = await startFakeSiteWorld();
    cleanup.push(() => fake.stop());
    const { site, realtime } = fake;
    const sim = new ZkSimulator({
      scenario: scenario()
        .realisticWeeks({ employees: 30, weeks: 2, startDate: "2026-10-05", seed: 5 })
        .bulk(20_000, { startDate: "2026-06-01" })
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
      },
    ];
    const config = await fake.writeSidecarConfig({ secretInFile: true });

    const first = startBundle(config);
    await expect.poll(() => realtime.connectedUsers(), { timeout: 15_000 }).toEqual([site.sidecarUser]);
    // Uploads are slow, so the kill lands while punches are in the spool and a batch is in flight.
    site.fail({ delayMs: 1_500, times: 3 });
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => site.commands.get(pull)?.status, { timeout: 20_000 }).toBe("Done");
    await expect
      .poll(() => site.calls.some((c) => c.method.endsWith("push_punches")), { timeout: 10_000 })
      .toBe(true);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));
    expect(site.stored.size).toBeLessThan(sim.punches.length);

    startBundle(config);
    await expect.poll(() => site.stored.size, { timeout: 30_000, interval: 250 }).toBe(sim.punches.length);
    // A pull after the restart finds nothing new: the cursor survived the kill.
    const again = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => site.commands.get(again)?.status, { timeout: 20_000 }).toBe("Done");
    expect(site.commands.get(again)?.result).toMatchObject({ read: 0 });
    const uids = new Set(
      sim.punches.map(
        (p) =>
          `${p.userId}|${p.time.year}-${p.time.month}-${p.time.day} ${p.time.hour}:${p.time.minute}:${p.time.second}`,
      ),
    );
    expect(uids.size).toBe(sim.punches.length);
    const delivered = [...site.stored.values()].map((s) => s.punch);
    expect(new Set(delivered.map((p) => p.uid)).size).toBe(sim.punches.length);
    expect(delivered.every((p) => p.device === "Main Gate")).toBe(true);
  });
});
