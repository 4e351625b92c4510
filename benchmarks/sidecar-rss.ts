// npm run bench:sidecar — the bundled sidecar serving 100 devices: one pull command each (via the fake site
// and fake socket.io server), then its peak RSS (VmHWM) and how long the 100 pulls took. Prints figures only.
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { startFakeSiteWorld } from "../test/fakes/fakeSiteWorld.js";
import { scenario } from "../test/simulators/zk/scenario.js";
import { ZkSimulator } from "../test/simulators/zk/zkSimulator.js";

const DEVICES = Number(process.env.BENCH_DEVICES ?? 100);
const root = path.resolve(import.meta.dirname, "..");

const fake = await startFakeSiteWorld();
const { site, realtime } = fake;
const sims = await Promise.all(
  Array.from({ length: DEVICES }, async (_, i) => {
    const sim = new ZkSimulator({
      scenario: scenario()
        .realisticWeeks({ employees: 20, weeks: 4, startDate: "2026-09-07", seed: i + 1 })
        .build(),
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
    ...(process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean),
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
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
};
try {
  await until(() => realtime.connectedUsers().length === 1, 20_000);
  const idle = await hwm();
  const started = performance.now();
  const names = site.devices.map((d) => site.queueCommand("pull", String(d.name)));
  await until(() => names.every((n) => site.commands.get(n)?.status === "Done"), 120_000);
  const total = sims.reduce((n, s) => n + s.punches.length, 0);
  await until(() => site.stored.size === total, 60_000);
  const seconds = (performance.now() - started) / 1000;
  console.log(`Sidecar bundle serving ${DEVICES} ZK devices (node ${process.version})`);
  console.log(`  peak RSS after start-up (devices configured, idle): ${idle.toFixed(1)} MB`);
  console.log(
    `  peak RSS after one pull of every device:            ${(await hwm()).toFixed(1)} MB   (goal ≤ 120 MB)`,
  );
  console.log(
    `  ${DEVICES} pulls, ${total.toLocaleString()} punches read, spooled and delivered to the site in ${seconds.toFixed(1)} s`,
  );
} finally {
  child.kill("SIGTERM");
  await Promise.all(sims.map((s) => s.stop()));
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
}
