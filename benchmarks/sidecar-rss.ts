// npm run bench:sidecar — the bundled sidecar serving many devices: one pull command each (via the fake site
// and fake socket.io server), then its peak RSS (VmHWM) and how long the pulls took. Prints figures only.
//
// Runs the sidecar as the generated unit files do (node + sidecar/service-node-flags.json) and as plain
// `node bundle run`, then one device holding 100,000 punches with the unit flags (the heap cap must hold).
// BENCH_DEVICES (100) sets the device count; BENCH_NODE_FLAGS replaces the flag sets with one of your own.
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { SERVICE_NODE_FLAGS } from "../sidecar/src/cli/serviceNodeFlags.js";
import { renderTable } from "../sidecar/src/cli/table.js";
import { startFakeSiteWorld } from "../test/fakes/fakeSiteWorld.js";
import { scenario } from "../test/simulators/zk/scenario.js";
import { ZkSimulator } from "../test/simulators/zk/zkSimulator.js";

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const root = path.resolve(import.meta.dirname, "..");

interface Run {
  readonly label: string;
  readonly flags: readonly string[];
  readonly devices: number;
  /** Bulk punches per device on top of four realistic weeks of 20 employees. */
  readonly bulk: number;
}

interface Figures {
  readonly idleMb: number;
  readonly peakMb: number;
  readonly punches: number;
  readonly seconds: number;
}

async function measure(run: Run): Promise<Figures> {
  const fake = await startFakeSiteWorld();
  const { site, realtime } = fake;
  const sims = await Promise.all(
    Array.from({ length: run.devices }, async (_, i) => {
      const builder = scenario().realisticWeeks({
        employees: 20,
        weeks: 4,
        startDate: "2026-09-07",
        seed: i + 1,
      });
      const sim = new ZkSimulator({
        scenario: (run.bulk ? builder.bulk(run.bulk, { startDate: "2025-01-01" }) : builder).build(),
        udpPort: false,
        timing: "coalesced",
      });
      await sim.start();
      return sim;
    }),
  );
  site.devices = sims.map((sim, i) => ({
    name: `Terminal ${i + 1}`,
    enabled: true,
    driver: "zk",
    host: "127.0.0.1",
    port: sim.address.tcpPort,
    time_zone: "Asia/Kolkata",
  }));
  const config = await fake.writeSidecarConfig({ claimIntervalSeconds: 30 });
  const dir = path.dirname(config);
  const child = spawn(
    "node",
    [
      ...run.flags,
      path.join(root, "sidecar/dist/biometric-sidecar.mjs"),
      "run",
      "--config",
      config,
      "--log-level",
      "error",
    ],
    { stdio: "inherit" },
  );
  const hwm = async (): Promise<number> =>
    Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
  const until = async (check: () => boolean, timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (child.exitCode !== null) throw new Error(`the sidecar exited with ${child.exitCode}`);
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await until(() => realtime.connectedUsers().length === 1, 20_000);
    const idleMb = await hwm();
    const started = performance.now();
    const names = site.devices.map((d) => site.queueCommand("pull", String(d.name)));
    await until(() => names.every((n) => site.commands.get(n)?.status === "Done"), 300_000);
    const punches = sims.reduce((n, s) => n + s.punches.length, 0);
    await until(() => site.stored.size === punches, 120_000);
    const seconds = (performance.now() - started) / 1000;
    return { idleMb, peakMb: await hwm(), punches, seconds };
  } finally {
    child.kill("SIGTERM");
    await Promise.all(sims.map((s) => s.stop()));
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const custom = process.env.BENCH_NODE_FLAGS;
const runs: Run[] = custom
  ? [{ label: `node ${custom}`, flags: custom.split(" ").filter(Boolean), devices: DEVICES, bulk: 0 }]
  : [
      { label: "as the unit files run it", flags: SERVICE_NODE_FLAGS, devices: DEVICES, bulk: 0 },
      { label: "plain node, no flags", flags: [], devices: DEVICES, bulk: 0 },
      { label: "unit flags, one 100k device", flags: SERVICE_NODE_FLAGS, devices: 1, bulk: 100_000 },
    ];

console.log(`Sidecar bundle, one pull command per device, fake site (node ${process.version})`);
console.log(`unit flags: ${SERVICE_NODE_FLAGS.join(" ")}`);
const rows: (string | number)[][] = [];
for (const run of runs) {
  const f = await measure(run);
  rows.push([
    run.label,
    run.devices,
    f.punches,
    Number(f.idleMb.toFixed(1)),
    Number(f.peakMb.toFixed(1)),
    Number(f.seconds.toFixed(1)),
    Math.round(f.punches / f.seconds),
  ]);
}
console.log(
  renderTable(["run", "devices", "punches", "idle RSS MB", "peak RSS MB", "seconds", "punches/s"], rows),
);
console.log("goal: peak RSS ≤ 120 MB with 100 devices configured");
