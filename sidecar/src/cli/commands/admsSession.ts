import type { Punch } from "../../domain/punch.js";
import { systemTimeZone } from "../../domain/timeZone.js";
import { AdmsDriver } from "../../drivers/adms/admsDriver.js";
import {
  AdmsServer,
  type AdmsDevice,
  type AdmsPunchSink,
  type AdmsStateStore,
} from "../../drivers/adms/admsServer.js";
import { DeviceError, type SidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { sleep } from "../../util/abort.js";

/**
 * Seconds between a terminal's getrequest polls during a pull (the handshake's `Delay`; firmware accepts 2–60).
 * A Sync Now waits for the next poll and then for uploads to be quiet for 2 × Delay, so this sets how long an
 * ADMS device takes in a pull: a few seconds.
 */
export const PULL_DELAY_SECONDS = 2;

export interface AdmsSessionOptions {
  readonly host: string;
  readonly port: number;
  /** How long, from the start, a terminal has to contact the server before it counts as offline. */
  readonly waitMs: number;
  readonly devices: readonly AdmsDevice[];
  /** Must resolve only once the punches are durable: the terminal is answered OK after it. */
  readonly sink: AdmsPunchSink;
  /** Where the terminals' upload stamps are kept between pulls. */
  readonly state: AdmsStateStore;
  readonly logger: Logger;
  readonly delaySeconds?: number;
}

export interface UnknownTerminal {
  readonly serialNumber: string;
  readonly remoteAddress: string | null;
}

/**
 * The ADMS push server of one `pull`: it listens while the devices are read, stores every upload of the listed
 * terminals through the sink (the run's spool) before answering OK, refuses terminals that are not listed (and
 * remembers them, to say so), and tells whether a terminal has contacted it yet.
 */
export class AdmsSession {
  private readonly unknown = new Map<string, string | null>();
  private readonly pushed = new Set<string>();
  private readonly server: AdmsServer;
  private startedAt = Date.now();
  private listenError: SidecarError | null = null;

  private constructor(private readonly options: AdmsSessionOptions) {
    this.server = new AdmsServer({
      host: options.host,
      port: options.port,
      devices: options.devices,
      sink: {
        append: async (punches: readonly Punch[]) => {
          await options.sink.append(punches);
          for (const punch of punches) this.pushed.add(punch.uid);
        },
      },
      state: options.state,
      defaultTimeZone: systemTimeZone(),
      handshake: { delaySeconds: options.delaySeconds ?? PULL_DELAY_SECONDS },
      logger: options.logger,
      onUnknownDevice: (serialNumber, remoteAddress) => this.unknown.set(serialNumber, remoteAddress),
    });
  }

  /**
   * Starts listening. Never throws for the address: a server that cannot listen (port in use, an address this
   * host does not have) makes each ADMS device fail with ADMS_LISTEN_FAILED, and the other devices are still read.
   */
  static async start(options: AdmsSessionOptions): Promise<AdmsSession> {
    const session = new AdmsSession(options);
    try {
      await session.server.start();
    } catch (error) {
      session.listenError = new DeviceError(
        "ADMS_LISTEN_FAILED",
        `cannot listen for ADMS terminals on ${options.host}:${options.port} (${(error as Error).message}); choose another --adms-port or --adms-host`,
        { cause: error },
      );
    }
    session.startedAt = Date.now();
    return session;
  }

  driverFor(serialNumber: string): AdmsDriver {
    return new AdmsDriver({ server: this.server, serialNumber, logger: this.options.logger });
  }

  /** The zone the terminal's clock is set to (its tz, else this host's): its punches are in that wall clock. */
  timeZoneOf(serialNumber: string): string {
    return this.server.timeZoneOf(serialNumber);
  }

  /** How many records the terminal says it holds (its INFO), or null when it has not said so to this server. */
  reportedLogCount(serialNumber: string): number | null {
    return this.server.status(serialNumber)?.infoParam?.attendanceLogs ?? null;
  }

  /** Resolves once the terminal has made any request; ADMS_DEVICE_OFFLINE when the wait (from the start) ran out. */
  async waitForContact(serialNumber: string): Promise<void> {
    if (this.listenError) throw this.listenError;
    const deadline = this.startedAt + this.options.waitMs;
    while (!this.server.status(serialNumber)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const { host, port } = this.options;
        const where = host === "0.0.0.0" || host === "::" ? "this computer's IP address" : host;
        throw new DeviceError(
          "ADMS_DEVICE_OFFLINE",
          `terminal ${serialNumber} did not contact this sidecar within ${Math.round(this.options.waitMs / 1000)} s; set its ADMS (cloud) server address to ${where} and port ${port}`,
          { details: { serialNumber, host, port } },
        );
      }
      await sleep(Math.min(100, left));
    }
  }

  /** Terminals that pushed to the server without being listed: refused, so they keep their records. */
  unknownTerminals(): UnknownTerminal[] {
    return [...this.unknown].map(([serialNumber, remoteAddress]) => ({ serialNumber, remoteAddress }));
  }

  /** uids of the punches the listed terminals uploaded (and were answered OK for) during the session. */
  get pushedUids(): ReadonlySet<string> {
    return this.pushed;
  }

  /** Stops listening; stamps are flushed to the state store. Safe to call twice. */
  async stop(): Promise<void> {
    await this.server.stop();
  }
}
