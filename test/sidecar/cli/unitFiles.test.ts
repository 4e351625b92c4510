import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { procfileLine, supervisorProgram, systemdUnit } from "../../../sidecar/src/cli/commands/unitFiles.js";
import { main } from "../../../sidecar/src/cli/main.js";
import { SERVICE_NODE_FLAGS } from "../../../sidecar/src/cli/serviceNodeFlags.js";

const plan = {
  node: "/usr/bin/node",
  bundle: "/opt/bsync/biometric-sidecar.mjs",
  config: "/etc/bsync/sidecar.json",
  user: "frappe",
};

describe("unit files", () => {
  it("run the bundle with the config, restart on failure, and keep the secret out of the unit", () => {
    const unit = systemdUnit(plan);
    expect(unit).toContain(
      "ExecStart=/usr/bin/node --max-old-space-size=96 --max-semi-space-size=2 /opt/bsync/biometric-sidecar.mjs run --config /etc/bsync/sidecar.json",
    );
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("EnvironmentFile=-/etc/biometric-sidecar.env");
    expect(supervisorProgram(plan)).toMatch(
      /^command=\/usr\/bin\/node --max-old-space-size=96 --max-semi-space-size=2 \/opt\/bsync\/biometric-sidecar.mjs run --config \/etc\/bsync\/sidecar.json$/m,
    );
    expect(procfileLine(plan)).toBe(
      "biometric_sidecar: /usr/bin/node --max-old-space-size=96 --max-semi-space-size=2 /opt/bsync/biometric-sidecar.mjs run --config /etc/bsync/sidecar.json\n",
    );
  });

  it("are printed by `unit`, which lists what is missing", async () => {
    const out: string[] = [];
    expect(await main(["unit", "systemd", "--config", "/etc/bsync/sidecar.json"], (l) => out.push(l))).toBe(
      0,
    );
    expect(out.join("\n")).toContain("run --config /etc/bsync/sidecar.json");
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => void errors.push(m);
    try {
      expect(await main(["unit", "launchd"], () => undefined)).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors.join("\n")).toMatch(/systemd, supervisor, procfile[\s\S]*--config/);
  });

  it("use memory caps this Node accepts: the bundle starts with them", () => {
    // An option Node does not know makes it exit before running anything; a unit would then restart forever.
    const bundle = path.resolve(import.meta.dirname, "../../../sidecar/dist/biometric-sidecar.mjs");
    const version = execFileSync(process.execPath, [...SERVICE_NODE_FLAGS, bundle, "--version"], {
      encoding: "utf8",
    });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
