import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";
import { scenario } from "../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../simulators/zk/zkSimulator.js";

let sim: ZkSimulator;
let dir: string;
let output: string[];
let errors: string[];
const run = (...argv: string[]) => main([...argv, "--log-level", "silent"], (line) => output.push(line));

beforeEach(async () => {
  sim = new ZkSimulator({ scenario: scenario().addUser({ userId: "0111", name: "Asha" }).build() });
  await sim.start();
  dir = await mkdtemp(path.join(tmpdir(), "bsync-users-cli-"));
  output = [];
  errors = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await sim.stop();
});

describe("biometric-sidecar users push: the file is checked before any device is touched", () => {
  it("a file without the name column, or naming a user twice, is a bad argument (exit 2) listing every problem", async () => {
    const device = `zk://127.0.0.1:${sim.address.tcpPort}`;
    await writeFile(path.join(dir, "a.csv"), "user_id,card\n1,2\n");
    expect(await run("users", "push", "--device", device, "--file", path.join(dir, "a.csv"))).toBe(2);
    expect(errors.join("\n")).toMatch(/no "name" column/);
    await writeFile(path.join(dir, "b.csv"), "\uFEFFuser_id,name\n0111,Asha\n111,Ravi\n0111,Again\n");
    expect(await run("users", "push", "--device", device, "--file", path.join(dir, "b.csv"))).toBe(2);
    expect(errors.join("\n")).toMatch(/line 4: user_id "0111" is already on line 2/);
    expect(sim.stats().commands).not.toHaveProperty("1503");
  });

  it("keeps ids as written: 0111 and 111 are two users", async () => {
    const device = `zk://127.0.0.1:${sim.address.tcpPort}`;
    await writeFile(path.join(dir, "c.csv"), "user_id,name\n0111,Asha\n111,Ravi\n");
    expect(await run("users", "push", "--device", device, "--file", path.join(dir, "c.csv"))).toBe(0);
    expect(output.join("\n")).toMatch(/0111\s+Asha\s+unchanged/);
    expect(sim.users.map((u) => [u.userId, u.name])).toEqual([
      ["0111", "Asha"],
      ["111", "Ravi"],
    ]);
  });
});
