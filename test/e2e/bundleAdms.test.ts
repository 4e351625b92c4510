import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../sidecar/src/output/csv.js";
import { freePort } from "../support/freePort.js";

const root = path.resolve(import.meta.dirname, "../..");
const bundle = path.join(root, "sidecar/dist/biometric-sidecar.mjs");
const exec = promisify(execFile);

/** Two processes of the built bundle, as a user runs them: a simulated ADMS terminal and a pull. */
describe("the sidecar bundle with an ADMS terminal", () => {
  beforeAll(async () => {
    await exec("node", ["sidecar/esbuild.config.mjs"], { cwd: root });
  });

  it("`simulate adms` keeps calling until `pull --device adms://` listens, and every punch arrives exactly once", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-adms-"));
    const port = await freePort();
    const sim = spawn(
      "node",
      [
        bundle,
        "simulate",
        "adms",
        "--server",
        `http://127.0.0.1:${port}`,
        "--sn",
        "E2EADMS01",
        "--records",
        "250",
        "--tz",
        "Asia/Kolkata",
      ],
      { cwd: dir },
    );
    let simOut = "";
    const exited = new Promise<number | null>((resolve) => sim.once("exit", (code) => resolve(code)));
    try {
      // No server yet: the terminal says so and keeps trying, as firmware does.
      await new Promise<void>((resolve, reject) => {
        sim.stdout.on("data", (d: Buffer) => {
          simOut += d.toString();
          if (simOut.includes("waiting for the server")) resolve();
        });
        void exited.then((code) => reject(new Error(`simulator exited ${code}: ${simOut}`)));
      });
      expect(simOut).toContain(
        `biometric-sidecar pull --device 'adms://E2EADMS01?tz=Asia/Kolkata' --adms-port ${port} --out punches.csv`,
      );
      const out = path.join(dir, "punches.csv");
      const { stdout } = await exec(
        "node",
        [
          bundle,
          "pull",
          "--device",
          "adms://E2EADMS01?tz=Asia/Kolkata",
          "--adms-host",
          "127.0.0.1",
          "--adms-port",
          String(port),
          "--wait",
          "30",
          "--out",
          out,
        ],
        { cwd: dir },
      );
      expect(stdout).toMatch(/adms:\/\/E2EADMS01\s+E2EADMS01\s+250\s+250\s+0\s+[\d.]+\s+ok/);
      expect(stdout).toMatch(/wrote 250 punches/);
      const rows = parseCsv(await readFile(out, "utf8")).slice(1);
      expect(rows).toHaveLength(250);
      expect(new Set(rows.map((r) => r[6])).size).toBe(250);
      expect(new Set(rows.map((r) => `${r[1]}|${r[2]}`)).size).toBe(250);
      expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(["E2EADMS01"]));
      await expect
        .poll(() => simOut, { timeout: 5000 })
        .toContain("all 250 punches acknowledged by the server");
    } finally {
      sim.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(simOut).toMatch(/stopped: 250 of 250 punches acknowledged/);
  });
});
