import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Punch } from "../../../../sidecar/src/domain/punch.js";
import { AdmsServer } from "../../../../sidecar/src/drivers/adms/admsServer.js";
import { Spool } from "../../../../sidecar/src/spool/spool.js";
import { StateStore } from "../../../../sidecar/src/spool/stateStore.js";
import { AdmsTerminal } from "../../../simulators/adms/admsTerminal.js";
import { manyPunches } from "./support.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Sidecar {
  server: AdmsServer;
  spool: Spool;
  state: StateStore;
  stop(): Promise<void>;
}

const DEVICES = ["SN-A", "SN-B", "SN-C"].map((serialNumber) => ({
  serialNumber,
  deviceName: `Gate ${serialNumber.slice(-1)}`,
  timeZone: "Asia/Kolkata",
}));

/** The sidecar's push side as it runs: the ADMS server on a real spool and state store in `dir`. */
async function startSidecar(
  dir: string,
  port: number,
  appended: { count: number },
  ackDelayMs = 0,
): Promise<Sidecar> {
  const spool = await Spool.open(join(dir, "spool"));
  const state = await StateStore.open(join(dir, "state"));
  const server = new AdmsServer({
    host: "127.0.0.1",
    port,
    devices: DEVICES,
    sink: {
      append: async (punches: readonly Punch[]) => {
        await spool.append(punches);
        appended.count += punches.length;
        // Durable but not yet answered: a kill now loses the OK, and the terminal resends.
        if (ackDelayMs) await new Promise((r) => setTimeout(r, ackDelayMs));
      },
    },
    state,
    handshake: { delaySeconds: 1, errorDelaySeconds: 1 },
  });
  await server.start();
  return {
    server,
    spool,
    state,
    async stop() {
      await server.stop();
      await state.close();
      await spool.close();
    },
  };
}

async function spoolContents(dir: string): Promise<Punch[]> {
  const spool = await Spool.open(join(dir, "spool"));
  const punches: Punch[] = [];
  for await (const entry of spool.pending()) punches.push(entry.punch);
  await spool.close();
  return punches;
}

describe("ADMS push through a sidecar restart", () => {
  it.each([
    ["killed between durable append and OK", { ackDelayMs: 15, loseStamps: false }],
    ["restarted without its stored stamps", { ackDelayMs: 0, loseStamps: true }],
  ])(
    "stores every punch of every terminal when %s: duplicates by uid only, nothing lost",
    async (_, variant) => {
      const dir = await mkdtemp(join(tmpdir(), "adms-restart-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const appended = { count: 0 };
      let sidecar = await startSidecar(dir, 0, appended, variant.ackDelayMs);
      const port = sidecar.server.address.port;
      cleanups.push(() => sidecar.stop());
      const terminals = DEVICES.map(
        (d, i) =>
          new AdmsTerminal({
            host: "127.0.0.1",
            port,
            serialNumber: d.serialNumber,
            punches: manyPunches(400, `2026-03-0${i + 2}`),
            batchSize: 20,
            pollIntervalMs: 50,
            errorDelayMs: 40,
            requestTimeoutMs: 2_000,
          }),
      );
      for (const terminal of terminals) terminal.start();
      cleanups.push(async () => void (await Promise.all(terminals.map((t) => t.stop()))));
      // Kill the sidecar mid-stream, while terminals are uploading.
      await expect.poll(() => appended.count, { timeout: 20_000, interval: 5 }).toBeGreaterThan(400);
      await sidecar.stop();
      const beforeRestart = appended.count;
      // Punches keep happening while the sidecar is down; the terminals hold them.
      terminals[0]!.punch({ userId: "0111", time: "2026-03-09 09:00:00", state: 0 });
      terminals[2]!.punch({ userId: "0999", time: "2026-03-09 09:00:05", state: 1 });
      await new Promise((r) => setTimeout(r, 300));
      expect(terminals.some((t) => t.stats.networkErrors > 0)).toBe(true);
      if (variant.loseStamps) await rm(join(dir, "state"), { recursive: true, force: true });
      sidecar = await startSidecar(dir, port, appended);
      await expect.poll(() => terminals.every((t) => t.idle), { timeout: 30_000 }).toBe(true);
      await sidecar.stop();

      const stored = await spoolContents(dir);
      const expected = terminals.flatMap((t, i) =>
        t.punches.map((p) => `${DEVICES[i]!.deviceName}|${p.userId}|${p.time}`),
      );
      const storedKeys = new Set(stored.map((p) => `${p.device}|${p.user_id}|${p.time}`));
      expect(storedKeys.size).toBe(expected.length);
      expect([...storedKeys].sort()).toEqual([...expected].sort());
      // A copy stored twice is the same punch (same uid), which the site answers "duplicate".
      const uids = new Map<string, string>();
      for (const p of stored) {
        const key = `${p.device}|${p.user_id}|${p.time}`;
        expect(uids.get(key) ?? p.uid).toBe(p.uid);
        uids.set(key, p.uid);
      }
      expect(beforeRestart).toBeLessThan(expected.length);
      expect(stored.length).toBe(appended.count);
      if (variant.loseStamps) expect(stored.length).toBeGreaterThan(expected.length);
    },
  );
});
