import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeSiteWorld } from "../fakes/fakeSiteWorld.js";
import { scenario } from "../simulators/zk/scenario.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";

// The built bundle as users run it, killed with SIGKILL after a live punch was spooled (and acknowledged to the
// terminal) but before the site had it; the ZK terminal is the simulator, the site the fake at the REST boundary.
const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("live punches through kill -9 of the bundle", () => {
  beforeAll(async () => {
    await promisify(execFile)("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it("a live punch spooled but not yet uploaded when the sidecar is killed reaches the site once after the restart", async () => {
    const fake = await startFakeSiteWorld();
    cleanup.push(() => fake.stop());
    const { site, realtime } = fake;
    const sim = new ZkSimulator({
      scenario: scenario()
        .realisticWeeks({ employees: 8, weeks: 1, startDate: "2026-10-05", seed: 14 })
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
        pull_interval_minutes: 60,
      },
    ];
    const config = await fake.writeSidecarConfig();
    const start = (): ChildProcess => {
      const child = spawn("node", [bundle, "run", "--config", config, "--log-level", "error"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      child.stderr?.resume();
      cleanup.push(() => child.kill("SIGKILL"));
      return child;
    };
    const gate = () => site.heartbeatDevices().find((d) => d.device === "Main Gate");
    const user = sim.users[0]!;

    // The site takes no punches for now: whatever the sidecar spools stays in its spool.
    const refuse = { status: 503, times: 1_000_000, method: "push_punches" };
    site.fail(refuse);
    const first = start();
    await expect.poll(() => realtime.connectedUsers(), { timeout: 15_000 }).toEqual([site.sidecarUser]);
    await expect.poll(() => gate()?.live, { timeout: 15_000 }).toBe("up");
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-05 09:00:00" });
    // The terminal is acknowledged only once the punch is in the spool on disk: then the kill.
    await expect.poll(() => sim.stats().eventsAcked, { timeout: 5_000 }).toBe(1);
    const exited = new Promise((resolve) => first.once("exit", resolve));
    first.kill("SIGKILL");
    await exited;
    expect(site.stored.size).toBe(0);

    // A punch while it is down: only the poll can find it.
    sim.pushLivePunch({ userId: user.userId, time: "2026-11-05 09:30:00" });
    refuse.times = 0;
    start();
    await expect
      .poll(() => [...site.stored.values()].some((s) => s.punch.time === "2026-11-05 09:00:00"), {
        timeout: 15_000,
      })
      .toBe(true);
    await expect.poll(() => gate()?.live, { timeout: 15_000 }).toBe("up");
    const pull = site.queueCommand("pull", "Main Gate");
    await expect.poll(() => site.commands.get(pull)?.status, { timeout: 30_000 }).toBe("Done");
    await expect.poll(() => site.stored.size, { timeout: 15_000 }).toBe(sim.punches.length);
    const times = [...site.stored.values()].map((s) => s.punch.time);
    expect(times.filter((t) => t.startsWith("2026-11-05"))).toEqual(
      expect.arrayContaining(["2026-11-05 09:00:00", "2026-11-05 09:30:00"]),
    );
    // Once each: the site stores by uid, so the count equal to the terminal's log means none missing.
    expect(site.stored.size).toBe(
      new Set(sim.punches.map((p) => `${p.userId}|${JSON.stringify(p.time)}`)).size,
    );
  }, 90_000);
});
