import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, parseConfig } from "../../../sidecar/src/config/loadConfig.js";
import { ConfigError } from "../../../sidecar/src/errors.js";

const problemsOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("parseConfig", () => {
  it("fills defaults and resolves the spool directory against the config's folder", () => {
    const config = parseConfig(
      { spoolDir: "spool", devices: [{ name: "Gate", driver: "zk", url: "zk://10.0.0.5:4370" }] },
      "/srv/bsync",
    );
    expect(config.spoolDir).toBe("/srv/bsync/spool");
    expect(config.directionRules).toEqual({ in: [0, 4], out: [1, 5] });
    expect(config.devices[0]).toMatchObject({ pullIntervalSeconds: 300, enabled: true });
  });

  it("lists every problem at once, each with where it is", () => {
    const problems = problemsOf(() =>
      parseConfig({
        logLevel: "loud",
        directionRules: { in: [0, 1], out: [1] },
        devices: [
          { name: "Gate", driver: "zk", url: "zk://10.0.0.5:99999?commkey=abc", timeZone: "Mars/Olympus" },
          { name: "Gate", driver: "fax", url: "zk://10.0.0.6" },
        ],
        surprise: true,
      }),
    );
    const text = problems.join("\n");
    expect(text).toMatch(/spoolDir/);
    expect(text).toMatch(/logLevel/);
    expect(text).toMatch(/both IN and OUT/);
    expect(text).toMatch(/devices\.0\.url: .*port "99999"/);
    expect(text).toMatch(/devices\.0\.url: .*commkey "abc"/);
    expect(text).toMatch(/devices\.0\.timeZone/);
    expect(text).toMatch(/devices\.1\.driver/);
    expect(text).toMatch(/surprise/);
    expect(problems.length).toBeGreaterThanOrEqual(8);
  });

  it("takes ADMS terminals as adms://SERIAL devices and checks their URLs like the others", () => {
    const config = parseConfig({
      spoolDir: "spool",
      devices: [{ name: "Bay", driver: "adms", url: "adms://BAZR192360015", timeZone: "Asia/Dubai" }],
    });
    expect(config.devices[0]).toMatchObject({ driver: "adms", url: "adms://BAZR192360015" });
    const text = problemsOf(() =>
      parseConfig({
        spoolDir: "spool",
        devices: [
          { name: "A", driver: "adms", url: "zk://10.0.0.5" },
          { name: "B", driver: "adms", url: "adms://SN1?tz=Mars/Base" },
        ],
      }),
    ).join("\n");
    expect(text).toMatch(/devices\.0\.url: a adms device needs a adms:\/\/ URL/);
    expect(text).toMatch(/devices\.1\.url: adms:\/\/SN1: tz "Mars\/Base"/);
  });
});

describe("loadConfigFile", () => {
  it("explains a file that is not JSON", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-config-"));
    const file = path.join(dir, "sidecar.json");
    await writeFile(file, "{ spoolDir: spool }");
    await expect(loadConfigFile(file)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(/not valid JSON/),
    });
  });

  it("explains a file that is missing", async () => {
    await expect(loadConfigFile("/nonexistent/sidecar.json")).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });
});
