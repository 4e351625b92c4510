// npm run bench:live — live punches, finger to staged: the bundled sidecar (run as the unit files run it) holds
// the live channels of simulated terminals (ZK realtime events, Hikvision alertStream, ADMS push), each punching
// at random moments, and the fake site stamps when each punch is stored. Prints figures only.
//
// 1. BENCH_TERMINALS (20) terminals, a third of each family, each punching at uniformly random gaps averaging
//    BENCH_PUNCH_EVERY_MS (2000) for BENCH_SECONDS (30): p50/p99/max latency from the simulator's punch to the
//    site's receipt, per family, and the sidecar's RSS (VmRSS sampled, VmHWM) while it runs.
// 2. BENCH_IDLE_TERMINALS (100) idle terminals (half ZK, half Hikvision) whose live channels the sidecar holds:
//    its RSS once every channel is up and after BENCH_IDLE_SECONDS (20). Goal ≤ 120 MB.
// With the contract suite's variables (BSYNC_CONTRACT_URL, _SITE, _KEY, _SECRET, _SIDECAR, _DEVICE) run 1 is
// repeated with the fake site relaying push_punches to that real bench (punches re-addressed to _DEVICE under
// fresh user ids): the latency then includes the real ingest's commit.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { SERVICE_NODE_FLAGS } from "../sidecar/src/cli/serviceNodeFlags.js";
import { renderTable } from "../sidecar/src/cli/table.js";
import { formatNaive, type NaiveDateTime } from "../sidecar/src/domain/naiveTime.js";
import { punchUid } from "../sidecar/src/domain/punch.js";
import { SiteClient } from "../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES } from "../sidecar/src/site/uploader.js";
import type { FakeSite } from "../test/fakes/fakeSite.js";
import { startFakeSiteWorld } from "../test/fakes/fakeSiteWorld.js";
import { AdmsTerminal } from "../test/simulators/adms/admsTerminal.js";
import { HikSimulator } from "../test/simulators/hikvision/hikSimulator.js";
import { scenario } from "../test/simulators/zk/scenario.js";
import { ZkSimulator } from "../test/simulators/zk/zkSimulator.js";
import { freePort } from "../test/support/freePort.js";

const env = process.env;
const TERMINALS = Number(env.BENCH_TERMINALS ?? 20);
const EVERY_MS = Number(env.BENCH_PUNCH_EVERY_MS ?? 2000);
const SECONDS = Number(env.BENCH_SECONDS ?? 30);
const IDLE = Number(env.BENCH_IDLE_TERMINALS ?? 100);
const IDLE_SECONDS = Number(env.BENCH_IDLE_SECONDS ?? 20);
const ZONE = "Asia/Kolkata";
const root = path.resolve(import.meta.dirname, "..");

type Family = "zk" | "hikvision" | "adms";

/** A simulated terminal the bench can make punch; returns the uid the sidecar will give that punch. */
interface Terminal {
  readonly family: Family;
  readonly name: string;
  punch(userId: string): string;
  stop(): Promise<void>;
}

async function zkTerminal(name: string, site: FakeSite): Promise<Terminal> {
  const sim = new ZkSimulator({
    scenario: scenario().addUser({ userId: "1", name: "Bench" }).build(),
    udpPort: false,
    timeZone: ZONE,
  });
  await sim.start();
  site.devices.push({
    name,
    enabled: true,
    driver: "zk",
    host: "127.0.0.1",
    port: sim.address.tcpPort,
    time_zone: ZONE,
  });
  let uid = 100;
  return {
    family: "zk",
    name,
    punch: (userId) => {
      const p = sim.pushLivePunch({ userId, uid: uid++ })!;
      return punchUid(name, userId, formatNaive(p.time));
    },
    stop: () => sim.stop(),
  };
}

async function hikTerminal(name: string, site: FakeSite): Promise<Terminal> {
  const sim = new HikSimulator({ username: "admin", password: "Passw0rd!", events: [], heartbeatMs: 10_000 });
  await sim.start();
  site.devices.push({
    name,
    enabled: true,
    driver: "hikvision",
    host: "127.0.0.1",
    port: sim.address.port,
    username: "admin",
    password: "Passw0rd!",
    time_zone: ZONE,
  });
  return {
    family: "hikvision",
    name,
    punch: (userId) => {
      const e = sim.punchNow({ employeeNoString: userId });
      return punchUid(name, userId, e.time.slice(0, 19).replace("T", " ") as NaiveDateTime);
    },
    stop: () => sim.stop(),
  };
}

function admsTerminal(name: string, serialNumber: string, port: number, site: FakeSite): Terminal {
  const terminal = new AdmsTerminal({ host: "127.0.0.1", port, serialNumber, errorDelayMs: 500 });
  terminal.start();
  site.devices.push({ name, enabled: true, driver: "adms", serial_number: serialNumber, time_zone: ZONE });
  return {
    family: "adms",
    name,
    punch: (userId) => {
      const time = terminal.deviceNow() as NaiveDateTime;
      terminal.punch({ userId, time, state: 0, verify: 1 });
      return punchUid(name, userId, time);
    },
    stop: () => Promise.resolve(terminal.stop()),
  };
}

interface Sidecar {
  readonly child: ChildProcess;
  rss(): Promise<{ rssMb: number; hwmMb: number }>;
  stop(): Promise<void>;
}

function startSidecar(config: string): Sidecar {
  const child = spawn(
    "node",
    [
      ...SERVICE_NODE_FLAGS,
      path.join(root, "sidecar/dist/biometric-sidecar.mjs"),
      "run",
      "--config",
      config,
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return {
    child,
    rss: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const kb = (field: string): number =>
        Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
    },
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)));
    },
  };
}

async function until(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  child?: ChildProcess,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (child && child.exitCode !== null) throw new Error(`the sidecar exited with ${child.exitCode}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every device with a channel the sidecar holds reports live up (ADMS: the terminal has called). */
const allLive = (site: FakeSite, names: readonly string[]): boolean => {
  const live = new Map(site.heartbeatDevices().map((d) => [d.device, d.live]));
  return names.every((n) => live.get(n) === "up");
};

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The real bench as push_punches' answerer, punches re-addressed to its device under fresh user ids. */
function realRelay(): FakeSite["relay"] {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required with BSYNC_CONTRACT_URL`);
    return value;
  };
  const client = new SiteClient({
    url: need("BSYNC_CONTRACT_URL"),
    siteName: need("BSYNC_CONTRACT_SITE"),
    apiKey: need("BSYNC_CONTRACT_KEY"),
    apiSecret: need("BSYNC_CONTRACT_SECRET"),
    timeoutMs: 60_000,
  });
  const device = need("BSYNC_CONTRACT_DEVICE");
  const sidecar = need("BSYNC_CONTRACT_SIDECAR");
  const run = `LIVE${Date.now().toString(36).toUpperCase()}-`;
  return async (body) => {
    const punches = body.punches.map((p) => {
      const user_id = `${run}${p.device.replace(/\W/g, "")}-${p.user_id}`;
      return { ...p, device, user_id, uid: punchUid(device, user_id, p.time) };
    });
    const answer = await client.call<{ results: { uid: string; status: string }[] }>(PUSH_PUNCHES, {
      sidecar,
      device,
      punches,
    });
    // Answered for the uids the sidecar sent (the relay's own uids are the real site's business).
    return answer.results.map((r, i) => ({ uid: body.punches[i]!.uid, status: r.status }));
  };
}

async function activeRun(relay: FakeSite["relay"]): Promise<{ rows: (string | number)[][]; rss: string }> {
  const world = await startFakeSiteWorld();
  const { site, realtime } = world;
  site.relay = relay;
  const admsPort = await freePort();
  site.admsListenAddress = `127.0.0.1:${admsPort}`;
  const terminals: Terminal[] = [];
  for (let i = 0; i < TERMINALS; i++) {
    const family: Family = (["zk", "hikvision", "adms"] as const)[i % 3]!;
    const name = `${family} ${i + 1}`;
    terminals.push(
      family === "zk"
        ? await zkTerminal(name, site)
        : family === "hikvision"
          ? await hikTerminal(name, site)
          : admsTerminal(name, `BENCH${String(i + 1).padStart(6, "0")}`, admsPort, site),
    );
  }
  const config = await world.writeSidecarConfig({ claimIntervalSeconds: 60 });
  const sidecar = startSidecar(config);
  const fingers = new Map<string, { ms: number; family: Family }>();
  let peakRss = 0;
  try {
    await until(() => realtime.connectedUsers().length === 1, 30_000, "the sidecar", sidecar.child);
    await until(
      () =>
        allLive(
          site,
          terminals.map((t) => t.name),
        ),
      60_000,
      "every live channel",
      sidecar.child,
    );
    const sampler = setInterval(
      () =>
        void sidecar.rss().then(
          (r) => (peakRss = Math.max(peakRss, r.rssMb)),
          () => undefined,
        ),
      250,
    );
    const endAt = Date.now() + SECONDS * 1000;
    await Promise.all(
      terminals.map(async (t) => {
        let n = 0;
        for (;;) {
          await new Promise((r) => setTimeout(r, Math.random() * 2 * EVERY_MS));
          if (Date.now() >= endAt) return;
          const userId = String(1000 + n++);
          const ms = Date.now();
          fingers.set(t.punch(userId), { ms, family: t.family });
        }
      }),
    );
    await until(
      () => [...fingers.keys()].every((uid) => site.receivedAt.has(uid)),
      30_000,
      "every punch",
    ).catch((e: Error) =>
      console.log(
        `  (${e.message}: ${[...fingers.keys()].filter((u) => !site.receivedAt.has(u)).length} missing)`,
      ),
    );
    clearInterval(sampler);
    const { rssMb, hwmMb } = await sidecar.rss();
    const rows: (string | number)[][] = [];
    for (const family of ["zk", "hikvision", "adms", "all"] as const) {
      const mine = [...fingers].filter(([, f]) => family === "all" || f.family === family);
      const latencies = mine
        .map(([uid, f]) => (site.receivedAt.get(uid) ?? NaN) - f.ms)
        .filter((ms) => !Number.isNaN(ms))
        .sort((a, b) => a - b);
      rows.push([
        family,
        mine.length,
        latencies.length,
        percentile(latencies, 50),
        percentile(latencies, 99),
        latencies.at(-1) ?? NaN,
      ]);
    }
    const rss = `sidecar RSS: ${rssMb.toFixed(1)} MB at the end, ${peakRss.toFixed(1)} MB sampled peak, VmHWM ${hwmMb.toFixed(1)} MB`;
    return { rows, rss };
  } finally {
    await sidecar.stop();
    await Promise.all(terminals.map((t) => t.stop()));
    await world.stop();
    await rm(path.dirname(config), { recursive: true, force: true });
  }
}

async function idleRun(): Promise<{ rssMb: number; hwmMb: number; upSeconds: number }> {
  const world = await startFakeSiteWorld();
  const { site, realtime } = world;
  const terminals: Terminal[] = [];
  for (let i = 0; i < IDLE; i++)
    terminals.push(
      i % 2 === 0 ? await zkTerminal(`idle zk ${i + 1}`, site) : await hikTerminal(`idle hik ${i + 1}`, site),
    );
  const config = await world.writeSidecarConfig({ claimIntervalSeconds: 60 });
  const started = Date.now();
  const sidecar = startSidecar(config);
  try {
    await until(() => realtime.connectedUsers().length === 1, 30_000, "the sidecar", sidecar.child);
    await until(
      () =>
        allLive(
          site,
          terminals.map((t) => t.name),
        ),
      120_000,
      "every live channel",
      sidecar.child,
    );
    const upSeconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    return { ...(await sidecar.rss()), upSeconds };
  } finally {
    await sidecar.stop();
    await Promise.all(terminals.map((t) => t.stop()));
    await world.stop();
    await rm(path.dirname(config), { recursive: true, force: true });
  }
}

console.log(
  `Live punches, finger (simulator) to staged (site receipt); the bundle with ${SERVICE_NODE_FLAGS.join(" ")}`,
);
console.log(
  `node ${process.version}; ${TERMINALS} terminals punching every ~${EVERY_MS} ms for ${SECONDS} s\n`,
);
const headers = ["family", "punches", "staged", "p50 ms", "p99 ms", "max ms"];
console.log("Fake site:");
const fake = await activeRun(null);
console.log(renderTable(headers, fake.rows));
console.log(fake.rss);
if (env.BSYNC_CONTRACT_URL) {
  console.log(
    `\nReal bench ${env.BSYNC_CONTRACT_URL} (push_punches relayed to device ${env.BSYNC_CONTRACT_DEVICE}):`,
  );
  const real = await activeRun(realRelay());
  console.log(renderTable(headers, real.rows));
  console.log(real.rss);
} else {
  console.log("\nReal bench: not run (set the BSYNC_CONTRACT_* variables to relay push_punches to one).");
}
const idle = await idleRun();
console.log(
  `\n${IDLE} idle terminals holding live channels (half ZK, half Hikvision): all up after ${idle.upSeconds.toFixed(1)} s; ` +
    `after ${IDLE_SECONDS} s idle VmRSS ${idle.rssMb.toFixed(1)} MB, VmHWM ${idle.hwmMb.toFixed(1)} MB (goal ≤ 120 MB)`,
);
