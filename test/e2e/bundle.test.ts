import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../sidecar/src/output/csv.js";

const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const exec = promisify(execFile);

/** The built one-file bundle, run as users run it: `node biometric-sidecar.mjs ...`. */
describe("the sidecar bundle", () => {
  beforeAll(async () => {
    await exec("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it("is one self-contained file: it runs from a folder with no node_modules", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-bundle-"));
    const copy = path.join(dir, "biometric-sidecar.mjs");
    await exec("cp", [bundle, copy]);
    const { stdout } = await exec("node", [copy, "--version"], { cwd: dir });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(existsSync(path.join(dir, "node_modules"))).toBe(false);
  });

  it("runs the demo: every simulated punch spooled, written and confirmed", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-demo-"));
    const { stdout } = await exec("node", [bundle, "demo", "--out", dir], { cwd: dir });
    const spooled = Number(/Spooled durably and written: (\d+) punches/.exec(stdout)?.[1]);
    expect(stdout).toMatch(/spool depth after confirming: 0/);
    const rows = parseCsv(await readFile(path.join(dir, "punches.csv"), "utf8"));
    expect(rows.length - 1).toBe(spooled);
    expect(new Set(rows.slice(1).map((r) => r[6])).size).toBe(spooled); // no uid twice
    const table = stdout.split("\n").filter((l) => /^(Main Gate|Head Office|Warehouse|Canteen) /.test(l));
    expect(table).toHaveLength(4);
    // Second poll after one live punch at the Main Gate: exactly that punch is new, nothing else.
    const secondPoll = table.map((l) => Number(l.trim().split(/\s{2,}/)[6]));
    expect(secondPoll).toEqual([1, 0, 0, 0]);
  });

  it("serves a simulated terminal that the bundle's own pull reads", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-sim-"));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const sim = spawn(
      "node",
      [bundle, "simulate", "zk", "--records", "3000", "--port", String(port), "--commkey", "42"],
      { cwd: dir },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        sim.stdout.on("data", (d: Buffer) => d.toString().includes("Listening") && resolve());
        sim.once("exit", (code) => reject(new Error(`simulator exited ${code}`)));
      });
      const out = path.join(dir, "p.json");
      await exec("node", [bundle, "pull", "--device", `zk://127.0.0.1:${port}?commkey=42`, "--out", out], {
        cwd: dir,
      });
      const body = JSON.parse(await readFile(out, "utf8")) as { punches: unknown[]; rejects: unknown[] };
      expect(body.punches.length).toBe(3000);
      expect(body.rejects).toEqual([]);
    } finally {
      sim.kill("SIGINT");
    }
  });
});
