import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";
import { epochMsToNaive } from "../../../sidecar/src/domain/naiveTime.js";
import { parseCsv } from "../../../sidecar/src/output/csv.js";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import { AdmsTerminal, type TerminalPunch } from "../../simulators/adms/admsTerminal.js";
import { terminalPunches } from "../../simulators/adms/terminalPunches.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";
import { freePort } from "../../support/freePort.js";

const SN = "BAZR192360015";
/** Three days ago: well inside what a terminal may hold and what a pull asks for. */
const DAY = epochMsToNaive(Date.now() - 3 * 86_400_000).slice(0, 10);

let dir: string;
let output: string[];
let errors: string[];
const cleanup: (() => unknown)[] = [];
const run = (...argv: string[]) => main([...argv, "--log-level", "silent"], (line) => output.push(line));

/** A firmware-like terminal pushing to 127.0.0.1:port; it keeps trying until the pull's server is up. */
function terminal(port: number, punches: readonly TerminalPunch[], serialNumber = SN): AdmsTerminal {
  const t = new AdmsTerminal({
    host: "127.0.0.1",
    port,
    serialNumber,
    punches,
    batchSize: 25,
    pollIntervalMs: 50,
    errorDelayMs: 50,
  });
  t.start();
  cleanup.push(() => t.stop());
  return t;
}

const admsOptions = (port: number) => [
  "--adms-host",
  "127.0.0.1",
  "--adms-port",
  String(port),
  "--wait",
  "20",
];

/** [device, user_id, time] of each row, and the uids. */
async function rowsOf(file: string): Promise<{ rows: string[][]; uids: string[] }> {
  const rows = parseCsv(await readFile(file, "utf8")).slice(1);
  return { rows: rows.map((r) => r.slice(0, 3)), uids: rows.map((r) => r[6]!) };
}

const expected = (device: string, punches: readonly TerminalPunch[]) =>
  punches.map((p) => [device, p.userId, p.time]);

async function pendingCount(spoolDir: string): Promise<number> {
  const spool = await Spool.open(spoolDir);
  try {
    let n = 0;
    for await (const _ of spool.pending()) n++;
    return n;
  } finally {
    await spool.close();
  }
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "bsync-pull-adms-"));
  output = [];
  errors = [];
  vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  vi.restoreAllMocks();
});

describe("pull --device adms://SERIAL", () => {
  it("writes exactly the terminal's punches, once each, and names a terminal it was not asked to read", async () => {
    const port = await freePort();
    const punches = terminalPunches(60, DAY);
    const pushing = terminal(port, punches);
    terminal(port, terminalPunches(5, DAY), "STRANGER01");
    const out = path.join(dir, "p.csv");
    const code = await run(
      "pull",
      "--device",
      `adms://${SN}?id=Main%20Gate&tz=Asia/Kolkata`,
      ...admsOptions(port),
      "--out",
      out,
      "--spool",
      path.join(dir, "spool"),
    );
    expect(code).toBe(0);
    const { rows, uids } = await rowsOf(out);
    // Pushed on its own at first contact, then uploaded again for the DATA QUERY: still once each.
    expect(rows).toEqual(expected("Main Gate", punches));
    expect(new Set(uids).size).toBe(60);
    expect(pushing.stats.commands.DATA).toBe(1);
    const text = output.join("\n");
    expect(text).toMatch(new RegExp(`adms://${SN}\\s+${SN}\\s+60\\s+60\\s+0\\s+[\\d.]+\\s+ok`));
    expect(text).toMatch(/note: terminal STRANGER01 \(127\.0\.0\.1\) .* not in this pull; it was refused/);
    expect(text).toMatch(/wrote 60 punches/);
    expect(await pendingCount(path.join(dir, "spool"))).toBe(0);
  });

  it("with --since/--until writes the window; what the terminal pushed on its own outside it is kept beside", async () => {
    const port = await freePort();
    const punches = terminalPunches(60, DAY);
    terminal(port, punches);
    const out = path.join(dir, "w.csv");
    const code = await run(
      "pull",
      "--device",
      `adms://${SN}`,
      ...admsOptions(port),
      "--since",
      punches[10]!.time,
      "--until",
      punches[29]!.time,
      "--out",
      out,
      "--spool",
      path.join(dir, "spool"),
    );
    expect(code).toBe(0);
    expect((await rowsOf(out)).rows).toEqual(expected(SN, punches.slice(10, 30)));
    // The terminal was answered OK for its whole log: nothing of it is dropped.
    const aside = await rowsOf(path.join(dir, "w.outside-window.csv"));
    expect(aside.rows).toEqual(expected(SN, [...punches.slice(0, 10), ...punches.slice(30)]));
    expect(output.join("\n")).toMatch(
      /40 punches outside --since\/--until .* kept in .*\/w\.outside-window\.csv/,
    );
  });

  it("a pull after an interrupted one writes each punch once, and a later pull only what is new", async () => {
    const port = await freePort();
    const spool = path.join(dir, "spool");
    const punches = terminalPunches(40, DAY);
    const pushing = terminal(port, punches);
    // The output cannot be written: the punches stay in the spool, unconfirmed.
    const broken = await run(
      "pull",
      "--device",
      `adms://${SN}`,
      ...admsOptions(port),
      "--out",
      path.join(dir, "missing", "p.csv"),
      "--spool",
      spool,
    );
    expect(broken).toBe(1);
    expect(await pendingCount(spool)).toBe(40);

    const out = path.join(dir, "p.csv");
    expect(
      await run("pull", "--device", `adms://${SN}`, ...admsOptions(port), "--out", out, "--spool", spool),
    ).toBe(0);
    const { rows, uids } = await rowsOf(out);
    expect(rows).toEqual(expected(SN, punches));
    expect(new Set(uids).size).toBe(40);
    expect(output.join("\n")).toMatch(
      /40 punches left in the spool by an earlier interrupted run are included/,
    );
    expect(await pendingCount(spool)).toBe(0);

    // People punch; the terminal pushes them at once. The next pull with a window from now on has just those.
    const later = terminalPunches(3, epochMsToNaive(Date.now() - 3_600_000).slice(0, 10));
    pushing.punch(...later.map((p) => ({ ...p, userId: `9${p.userId}` })));
    const next = path.join(dir, "next.csv");
    expect(
      await run(
        "pull",
        "--device",
        `adms://${SN}`,
        ...admsOptions(port),
        "--since",
        later[0]!.time,
        "--out",
        next,
        "--spool",
        spool,
      ),
    ).toBe(0);
    expect((await rowsOf(next)).rows).toEqual(later.map((p) => [SN, `9${p.userId}`, p.time]));
    expect(await readdir(dir)).not.toContain("next.outside-window.csv");
  });

  it("reads ADMS terminals listed in a config file, named and zoned as configured", async () => {
    const port = await freePort();
    const punches = terminalPunches(12, DAY);
    terminal(port, punches);
    const config = path.join(dir, "sidecar.json");
    await writeFile(
      config,
      JSON.stringify({
        spoolDir: "spool",
        devices: [{ name: "Loading Bay", driver: "adms", url: `adms://${SN}`, timeZone: "Asia/Dubai" }],
      }),
    );
    const out = path.join(dir, "c.csv");
    expect(await run("pull", "--config", config, ...admsOptions(port), "--out", out)).toBe(0);
    expect((await rowsOf(out)).rows).toEqual(expected("Loading Bay", punches));
  });

  it("a terminal that never calls: ADMS_DEVICE_OFFLINE after --wait, saying where to point it; the others are still read", async () => {
    const zk = new ZkSimulator({
      scenario: scenario()
        .identity({ serialNumber: "CQZ7234560123" })
        .addUser({ userId: "0111", name: "A" })
        .addPunch({ userId: "0111", time: `${DAY} 09:00:00`, state: 0 })
        .build(),
    });
    await zk.start();
    cleanup.push(() => zk.stop());
    const port = await freePort();
    const out = path.join(dir, "p.csv");
    const started = Date.now();
    const code = await run(
      "pull",
      "--device",
      `zk://127.0.0.1:${zk.address.tcpPort}`,
      "--device",
      `adms://${SN}`,
      "--adms-port",
      String(port),
      "--wait",
      "1",
      "--out",
      out,
      "--spool",
      path.join(dir, "spool"),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(code).toBe(1);
    expect(seconds).toBeLessThan(10);
    const text = output.join("\n");
    expect(text).toMatch(
      new RegExp(
        `adms://${SN} .*ADMS_DEVICE_OFFLINE: terminal ${SN} did not contact this sidecar within 1 s.*port ${port}`,
      ),
    );
    expect((await rowsOf(out)).rows).toEqual([["CQZ7234560123", "0111", `${DAY} 09:00:00`]]);
  });

  it("exits 2 listing every bad ADMS option at once, --dry-run included", async () => {
    const code = await run(
      "pull",
      "--device",
      "adms://GOOD01",
      "--device",
      "adms://BAD01?tz=Mars/Base",
      "--device",
      "adms://GOOD01",
      "--adms-port",
      "70000",
      "--adms-host",
      "gateway",
      "--wait",
      "0",
      "--dry-run",
    );
    expect(code).toBe(2);
    const text = errors.join("\n");
    for (const problem of [
      /adms:\/\/BAD01: tz "Mars\/Base" is not an IANA time zone/,
      /adms:\/\/GOOD01 is listed twice/,
      /--adms-port "70000" is not a whole number from 1 to 65535/,
      /--adms-host "gateway" is not an IP address/,
      /--wait "0" is not a whole number from 1 to 3600/,
      /--dry-run cannot read adms:\/\/ terminals/,
    ])
      expect(text).toMatch(problem);
    expect(await readdir(dir)).toEqual([]);
  });
});
