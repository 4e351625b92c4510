import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cmd } from "../../sidecar/src/drivers/zk/protocol/constants.js";
import { startFakeSiteWorld } from "../fakes/fakeSiteWorld.js";
import { scenario } from "../simulators/zk/scenario.js";
import { ZkSimulator } from "../simulators/zk/zkSimulator.js";

// The built bundle as a real process, killed with SIGKILL at each step of a Clear Log; the ZK terminal is the
// simulator on loopback, the site the fake at the REST boundary.
const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function world() {
  const fake = await startFakeSiteWorld();
  cleanup.push(() => fake.stop());
  const sim = new ZkSimulator({
    scenario: scenario()
      .realisticWeeks({ employees: 10, weeks: 2, startDate: "2026-10-05", seed: 11 })
      .build(),
  });
  await sim.start();
  cleanup.push(() => sim.stop());
  const { site, realtime } = fake;
  site.devices = [
    {
      name: "Main Gate",
      enabled: true,
      driver: "zk",
      host: "127.0.0.1",
      port: sim.address.tcpPort,
      time_zone: "Asia/Kolkata",
      pull_interval_minutes: 60,
      allow_clear_log: true,
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
  const killed = (child: ChildProcess) => new Promise((resolve) => child.once("exit", resolve));
  const connected = () =>
    expect.poll(() => realtime.connectedUsers(), { timeout: 15_000 }).toEqual([site.sidecarUser]);
  const finished = async (name: string) => {
    await expect
      .poll(() => ["Done", "Failed"].includes(site.commands.get(name)?.status ?? ""), { timeout: 30_000 })
      .toBe(true);
    return site.commands.get(name)!;
  };
  return { site, sim, start, killed, connected, finished };
}

/** Every punch the terminal ever recorded, as device|user|time (the uid's inputs). */
const keysOf = (sim: ZkSimulator, extra: string[] = []) => [
  ...new Set([
    ...extra,
    ...sim.punches.map(
      (p) =>
        `${p.userId}|${p.time.year}-${String(p.time.month).padStart(2, "0")}-${String(p.time.day).padStart(2, "0")} ${[p.time.hour, p.time.minute, p.time.second].map((n) => String(n).padStart(2, "0")).join(":")}`,
    ),
  ]),
];

type Step = "waiting for the site" | "device disabled, not cleared" | "cleared, cursor not reset";

describe("Clear Log through kill -9 at each step loses nothing", () => {
  beforeAll(async () => {
    await promisify(execFile)("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it.each<Step>(["waiting for the site", "device disabled, not cleared", "cleared, cursor not reset"])(
    "killed while %s: after a restart every punch is on the site once and the device works",
    async (step) => {
      const w = await world();
      const original = keysOf(w.sim);
      const first = w.start();
      await w.connected();
      const exited = w.killed(first);
      const before = (command: number) => w.sim.stats().commands[command] ?? 0;
      let armedAt = 0;
      w.site.onConfirm = () => {
        if (armedAt) return;
        if (step === "waiting for the site") {
          armedAt = 1;
          first.kill("SIGKILL");
          return;
        }
        // The next DISABLEDEVICE / CLEAR_ATTLOG is the clear's: it takes effect, its answer is held back.
        const command = step === "device disabled, not cleared" ? Cmd.DISABLEDEVICE : Cmd.CLEAR_ATTLOG;
        armedAt = before(command) + 1;
        w.sim.addFault({ kind: "stall", command, ms: 20_000 });
        const watch = setInterval(() => {
          if (before(command) >= armedAt) {
            clearInterval(watch);
            first.kill("SIGKILL");
          }
        }, 5);
        cleanup.push(() => clearInterval(watch));
      };
      w.site.queueCommand("clear_log", "Main Gate");
      await exited;
      w.sim.setFaults([]);
      if (step === "cleared, cursor not reset") expect(w.sim.punches).toHaveLength(0);
      else expect(w.sim.punches).toHaveLength(original.length);
      if (step !== "waiting for the site") expect(w.sim.enabled).toBe(false);

      // People punch while the sidecar is down; then it comes back.
      const user = w.sim.users[0]!;
      w.sim.pushLivePunch({ userId: user.userId, time: "2026-10-22 09:00:00" });
      w.sim.pushLivePunch({ userId: user.userId, time: "2026-10-22 18:00:00" });
      const everything = keysOf(w.sim, original);
      w.start();
      await w.connected();
      const pull = await w.finished(w.site.queueCommand("pull", "Main Gate"));
      expect(pull.status).toBe("Done");
      expect(w.sim.enabled).toBe(true);
      await expect.poll(() => w.site.stored.size, { timeout: 30_000 }).toBe(everything.length);
      const onSite = new Set([...w.site.stored.values()].map((s) => `${s.punch.user_id}|${s.punch.time}`));
      expect(everything.filter((k) => !onSite.has(k))).toEqual([]);

      // And a clear after the restart goes through cleanly.
      const clear = await w.finished(w.site.queueCommand("clear_log", "Main Gate"));
      expect(clear.status).toBe("Done");
      expect(w.sim.punches).toHaveLength(0);
      expect(w.site.stored.size).toBe(everything.length);
    },
    90_000,
  );
});
