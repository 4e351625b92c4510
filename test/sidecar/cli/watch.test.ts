import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";
import { hikEvents } from "../../simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../../simulators/hikvision/hikSimulator.js";
import { AdmsTerminal } from "../../simulators/adms/admsTerminal.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";
import { freePort } from "../../support/freePort.js";

let dir: string;
let output: string[];
let errors: string[];
const cleanup: (() => unknown)[] = [];
const run = (...argv: string[]) => main([...argv, "--log-level", "silent"], (line) => output.push(line));

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bsync-watch-"));
  output = [];
  errors = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Calls `act` once `ready()` holds (the channel is up), while the watch runs. */
function when(ready: () => boolean, act: () => void): void {
  const timer = setInterval(() => {
    if (!ready()) return;
    clearInterval(timer);
    act();
  }, 20);
  cleanup.push(() => clearInterval(timer));
}

describe("biometric-sidecar watch", () => {
  it("zk://: prints each punch as it happens, one line each, and writes them to --out at the end", async () => {
    const sim = new ZkSimulator({ scenario: scenario().addUser({ userId: "0111", name: "A" }).build() });
    await sim.start();
    cleanup.push(() => sim.stop());
    when(
      () => sim.eventSubscribers() === 1,
      () => {
        sim.pushLivePunch({ userId: "0111", time: "2026-11-21 09:00:00", state: 0 });
        sim.pushLivePunch({ userId: "0111", time: "2026-11-21 18:00:00", state: 1 });
      },
    );
    const out = path.join(dir, "seen.json");
    const code = await run(
      "watch",
      "--device",
      `zk://127.0.0.1:${sim.address.tcpPort}?id=Main%20Gate`,
      "--for",
      "2",
      "--out",
      out,
    );
    expect(code).toBe(0);
    expect(output).toEqual([
      "2026-11-21 09:00:00  0111        IN   Main Gate",
      "2026-11-21 18:00:00  0111        OUT  Main Gate",
    ]);
    expect(errors.some((l) => l.includes("live, punch now"))).toBe(true);
    const seen = JSON.parse(await readFile(out, "utf8")) as { user_id: string; time: string; uid: string }[];
    expect(seen.map((p) => [p.user_id, p.time])).toEqual([
      ["0111", "2026-11-21 09:00:00"],
      ["0111", "2026-11-21 18:00:00"],
    ]);
    expect(seen[0]!.uid).toMatch(/^[0-9a-f]{16,64}$/);
    // The terminal was left as it was: watching takes nothing from its log.
    expect(sim.punches).toHaveLength(2);
  });

  it("hikvision://: prints the successful authentications of its event stream", async () => {
    const sim = new HikSimulator({
      username: "admin",
      password: "pw",
      events: hikEvents(3),
      heartbeatMs: 200,
    });
    await sim.start();
    cleanup.push(() => sim.stop());
    when(
      () => sim.streamSubscribers === 1,
      () => {
        sim.punchNow({ employeeNoString: "0042", attendanceStatus: "checkIn" });
        sim.punchNow({ employeeNoString: "0043", minor: 9 }); // refused: not a punch
      },
    );
    const code = await run(
      "watch",
      "--device",
      `hikvision://admin:pw@127.0.0.1:${sim.address.port}?tz=Asia/Kolkata&id=Lobby`,
      "--for",
      "2",
    );
    expect(code).toBe(0);
    expect(output).toHaveLength(1);
    expect(output[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}0042 {8}IN {3}Lobby$/);
  });

  it("adms:// with --adms-port: prints what the terminal pushes", async () => {
    const port = await freePort();
    const terminal = new AdmsTerminal({
      host: "127.0.0.1",
      port,
      serialNumber: "BAZR192360015",
      pollIntervalMs: 50,
      errorDelayMs: 50,
    });
    terminal.start();
    cleanup.push(() => terminal.stop());
    let punched = false;
    const server = setInterval(() => {
      if (punched || terminal.stats.handshakes === 0) return;
      punched = true;
      terminal.punch({ userId: "7", time: "2026-11-22 08:59:00", state: 0 });
    }, 20);
    cleanup.push(() => clearInterval(server));
    const code = await run(
      "watch",
      "--device",
      "adms://BAZR192360015?id=Bay",
      "--adms-host",
      "127.0.0.1",
      "--adms-port",
      String(port),
      "--for",
      "2",
    );
    expect(code).toBe(0);
    expect(output).toEqual(["2026-11-22 08:59:00  7           IN   Bay"]);
  });

  it("says what is wrong: a bad URL, adms:// without --adms-port, eSSL (no push: use pull), an unreachable device", async () => {
    expect(await run("watch", "--device", "zk://", "--for", "1")).toBe(2);
    expect(await run("watch", "--device", "adms://SN1", "--for", "1")).toBe(2);
    expect(errors.join("\n")).toMatch(/--adms-port/);
    expect(await run("watch", "--for", "1")).toBe(2);
    errors.length = 0;
    expect(await run("watch", "--device", "essl://u:p@127.0.0.1?serial=X", "--for", "1")).toBe(1);
    expect(errors.join("\n")).toMatch(/\[DEVICE_UNSUPPORTED\].*pull/s);
    errors.length = 0;
    const port = await freePort();
    expect(await run("watch", "--device", `zk://127.0.0.1:${port}`, "--for", "1", "--timeout", "300")).toBe(
      1,
    );
    expect(errors.join("\n")).toMatch(/never came up \(DEVICE_(REFUSED|UNREACHABLE)/);
  });
});
