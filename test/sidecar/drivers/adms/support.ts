import type { Punch } from "../../../../sidecar/src/domain/punch.js";
import { AdmsServer, type AdmsServerOptions } from "../../../../sidecar/src/drivers/adms/admsServer.js";
import { AdmsTerminal, type AdmsTerminalOptions } from "../../../simulators/adms/admsTerminal.js";
import { terminalPunches } from "../../../simulators/adms/terminalPunches.js";

/** A sink that keeps punches by uid and counts every append (duplicates included); can be made to fail. */
export class MemorySink {
  readonly byUid = new Map<string, Punch>();
  appended = 0;
  calls = 0;
  failNext = 0;
  failAlways = false;
  delayMs = 0;

  async append(punches: readonly Punch[]): Promise<void> {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failAlways || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      throw Object.assign(new Error("disk full"), { code: "SPOOL_IO" });
    }
    for (const punch of punches) this.byUid.set(punch.uid, punch);
    this.appended += punches.length;
  }
}

export class MemoryState {
  readonly values = new Map<string, string>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

export const SN = "BAZR192360015";

export function servers(): {
  start(options: Partial<AdmsServerOptions> & Pick<AdmsServerOptions, "sink" | "state">): Promise<AdmsServer>;
  terminal(server: AdmsServer, options?: Partial<AdmsTerminalOptions>): AdmsTerminal;
  cleanup(): Promise<void>;
} {
  const running: AdmsServer[] = [];
  const terminals: AdmsTerminal[] = [];
  return {
    async start(options) {
      const server = new AdmsServer({
        host: "127.0.0.1",
        port: 0,
        devices: [{ serialNumber: SN, deviceName: "Main Gate", timeZone: "Asia/Kolkata" }],
        handshake: { delaySeconds: 1, errorDelaySeconds: 1 },
        stampFlushMs: 20,
        ...options,
      });
      await server.start();
      running.push(server);
      return server;
    },
    terminal(server, options = {}) {
      const terminal = new AdmsTerminal({
        host: "127.0.0.1",
        port: server.address.port,
        serialNumber: SN,
        pollIntervalMs: 30,
        errorDelayMs: 30,
        ...options,
      });
      terminals.push(terminal);
      return terminal;
    },
    async cleanup() {
      await Promise.all(terminals.splice(0).map((t) => t.stop()));
      await Promise.all(running.splice(0).map((s) => s.stop()));
    },
  };
}

/** n punches from 08:00 of `date`, 61 s apart (distinct times), user ids with leading zeros. */
export const manyPunches = terminalPunches;
