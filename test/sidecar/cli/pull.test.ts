import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";
import { parseCsv } from "../../../sidecar/src/output/csv.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

let sim: ZkSimulator;
let dir: string;
let output: string[];
const run = (...argv: string[]) => main([...argv, "--log-level", "silent"], (line) => output.push(line));

beforeEach(async () => {
  sim = new ZkSimulator({
    scenario: scenario()
      .identity({ serialNumber: "CQZ7234560123" })
      .addUser({ userId: "0111", name: "A" })
      .addUser({ userId: "123456789012", name: "B" })
      .addPunch({ userId: "0111", time: "2026-11-02 09:00:00", state: 0 })
      .addPunch({ userId: "123456789012", time: "2026-11-03 09:05:00", state: 0 })
      .addPunch({ userId: "0111", time: "2026-11-03 18:00:00", state: 1 })
      .build(),
    commKey: 77,
  });
  await sim.start();
  dir = await mkdtemp(path.join(tmpdir(), "bsync-pull-"));
  output = [];
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await sim.stop();
});

describe("biometric-sidecar pull", () => {
  it("writes one CSV row per punch in the window, through the spool, stamped with the serial number", async () => {
    const out = path.join(dir, "p.csv");
    const code = await run(
      "pull",
      "--device",
      `zk://127.0.0.1:${sim.address.tcpPort}?commkey=77`,
      "--since",
      "2026-11-03",
      "--out",
      out,
      "--spool",
      path.join(dir, "spool"),
    );
    expect(code).toBe(0);
    const rows = parseCsv(await readFile(out, "utf8"));
    expect(rows.slice(1).map((r) => r.slice(0, 4))).toEqual([
      ["CQZ7234560123", "123456789012", "2026-11-03 09:05:00", "IN"],
      ["CQZ7234560123", "0111", "2026-11-03 18:00:00", "OUT"],
    ]);
    expect(output.join("\n")).toMatch(/wrote 2 punches/);
  });

  it("writes ERPNext's Employee Checkin import in the site's zone and puts unmapped ids aside", async () => {
    const map = path.join(dir, "map.csv");
    await import("node:fs/promises").then((fs) => fs.writeFile(map, "user_id,employee\n0111,HR-EMP-00007\n"));
    const out = path.join(dir, "import.csv");
    const url = `zk://127.0.0.1:${sim.address.tcpPort}?commkey=77&tz=Asia/Kolkata`;
    expect(
      await run(
        "pull",
        "--device",
        url,
        "--employee-map",
        map,
        "--site-tz",
        "Asia/Dubai",
        "--out",
        out,
        "--spool",
        path.join(dir, "spool"),
      ),
    ).toBe(0);
    expect(parseCsv(await readFile(out, "utf8"))).toEqual([
      ["Employee", "Time", "Log Type", "Location / Device ID", "Skip Auto Attendance"],
      ["HR-EMP-00007", "2026-11-02 07:30:00", "IN", "CQZ7234560123", "0"],
      ["HR-EMP-00007", "2026-11-03 16:30:00", "OUT", "CQZ7234560123", "0"],
    ]);
    expect(parseCsv(await readFile(path.join(dir, "import.unmapped.csv"), "utf8"))[1]?.[1]).toBe(
      "123456789012",
    );
  });

  it("writes nothing on --dry-run", async () => {
    expect(
      await run(
        "pull",
        "--device",
        `zk://127.0.0.1:${sim.address.tcpPort}?commkey=77`,
        "--dry-run",
        "--spool",
        path.join(dir, "spool"),
      ),
    ).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(output.join("\n")).toMatch(/dry run: 3 punches read/);
  });

  it("exits 1 with a coded reason when the device refuses, and writes no partial file", async () => {
    const out = path.join(dir, "p.csv");
    const code = await run(
      "pull",
      "--device",
      `zk://127.0.0.1:${sim.address.tcpPort}?commkey=78`,
      "--out",
      out,
      "--spool",
      path.join(dir, "spool"),
    );
    expect(code).toBe(1);
    expect(output.join("\n")).toMatch(/DEVICE_AUTH_FAILED/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("completes an interrupted run: the next pull writes each punch once, though it read them again", async () => {
    const spool = path.join(dir, "spool");
    const device = `zk://127.0.0.1:${sim.address.tcpPort}?commkey=77`;
    // The file cannot be written: the punches stay in the spool, unconfirmed.
    const broken = path.join(dir, "missing", "p.csv");
    expect(await run("pull", "--device", device, "--out", broken, "--spool", spool)).toBe(1);
    const out = path.join(dir, "p.csv");
    expect(await run("pull", "--device", device, "--out", out, "--spool", spool)).toBe(0);
    const uids = parseCsv(await readFile(out, "utf8"))
      .slice(1)
      .map((r) => r[6]);
    expect(uids).toHaveLength(3);
    expect(new Set(uids).size).toBe(3);
    expect(output.join("\n")).toMatch(
      /3 punches left in the spool by an earlier interrupted run are included/,
    );
  });

  it("pulls the enabled devices of a config file, named and zoned as configured (standalone mode)", async () => {
    const { writeFile } = await import("node:fs/promises");
    const config = path.join(dir, "sidecar.json");
    await writeFile(
      config,
      JSON.stringify({
        spoolDir: "spool",
        devices: [
          {
            name: "Main Gate",
            driver: "zk",
            url: `zk://127.0.0.1:${sim.address.tcpPort}?commkey=77`,
            timeZone: "Asia/Kolkata",
          },
          { name: "Old Gate", driver: "zk", url: "zk://127.0.0.1:1", enabled: false },
        ],
      }),
    );
    const out = path.join(dir, "p.csv");
    expect(await run("pull", "--config", config, "--out", out)).toBe(0);
    const rows = parseCsv(await readFile(out, "utf8"));
    expect(rows.slice(1).map((r) => r[0])).toEqual(["Main Gate", "Main Gate", "Main Gate"]);
    expect(await readdir(path.join(dir, "spool"))).toContain("acks.log");
  });

  it("exits 2 listing every problem of a bad config file", async () => {
    const { writeFile } = await import("node:fs/promises");
    const errors: string[] = [];
    vi.mocked(console.error).mockImplementation((m: string) => void errors.push(m));
    const config = path.join(dir, "sidecar.json");
    await writeFile(config, JSON.stringify({ devices: [{ name: "", driver: "zk", url: "zk://h:0" }] }));
    expect(await run("pull", "--config", config, "--dry-run")).toBe(2);
    expect(errors.join("\n")).toMatch(/spoolDir[\s\S]*devices\.0\.name[\s\S]*devices\.0\.url/);
  });

  it("exits 2 listing every bad argument at once", async () => {
    const errors: string[] = [];
    vi.mocked(console.error).mockImplementation((m: string) => void errors.push(m));
    const code = await run(
      "pull",
      "--device",
      "zk://:99999?tz=Nowhere",
      "--since",
      "last week",
      "--out",
      "p.txt",
    );
    expect(code).toBe(2);
    const text = errors.join("\n");
    for (const problem of [
      /host is missing/,
      /port "99999"/,
      /tz "Nowhere"/,
      /--since "last week"/,
      /--out "p.txt"/,
    ])
      expect(text).toMatch(problem);
  });
});
