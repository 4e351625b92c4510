import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../sidecar/src/cli/main.js";
import { parseCsv } from "../../../sidecar/src/output/csv.js";
import { esslRecords } from "../../simulators/essl/esslRecords.js";
import { EsslSimulator } from "../../simulators/essl/esslSimulator.js";
import { hikEvents } from "../../simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../../simulators/hikvision/hikSimulator.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  vi.restoreAllMocks();
});

describe("pull from other device families, chosen by URL scheme", () => {
  it("reads a Hikvision terminal and an eSSL server in one run, never printing their passwords", async () => {
    const start = Date.UTC(2026, 9, 5, 3, 0);
    const hik = new HikSimulator({
      username: "admin",
      password: "S3cret-hik",
      events: hikEvents(30, { startUtcMs: start }),
    });
    const essl = new EsslSimulator({
      userName: "api",
      password: "S3cret-essl",
      records: esslRecords(20, { serialNumber: "SIM0000001" }, start),
    });
    const [h, e] = await Promise.all([hik.start(), essl.start()]);
    cleanup.push(
      () => hik.stop(),
      () => essl.stop(),
    );
    const dir = await mkdtemp(path.join(tmpdir(), "bsync-families-"));
    const out: string[] = [];
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    const code = await main(
      [
        "pull",
        "--device",
        `hikvision://admin:S3cret-hik@${h.host}:${h.port}?tz=Asia/Kolkata&id=Lobby`,
        "--device",
        `essl://api:S3cret-essl@${e.host}:${e.port}?serial=SIM0000001&tz=Asia/Kolkata&id=Plant`,
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-31",
        "--out",
        path.join(dir, "p.csv"),
        "--spool",
        path.join(dir, "spool"),
        "--log-level",
        "silent",
      ],
      (l) => out.push(l),
    );
    expect(code).toBe(0);
    const rows = parseCsv(await readFile(path.join(dir, "p.csv"), "utf8")).slice(1);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(["Lobby", "Plant"]));
    expect(rows.filter((r) => r[0] === "Plant")).toHaveLength(20);
    expect(rows.filter((r) => r[0] === "Lobby").length).toBeGreaterThan(0);
    expect([...out, ...errors].join("\n")).not.toMatch(/S3cret/);
  });

  it("lists a malformed URL of any family with the others, at once", async () => {
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    expect(
      await main([
        "pull",
        "--device",
        "hikvision://nohost",
        "--device",
        "essl://u:p@h",
        "--device",
        "fax://x",
        "--dry-run",
      ]),
    ).toBe(2);
    expect(errors.join("\n")).toMatch(/hikvision[\s\S]*serial[\s\S]*fax/i);
  });
});
