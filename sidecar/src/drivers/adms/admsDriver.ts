import type { BiometricTemplate, SetTemplateResult } from "../../domain/biometricTemplate.js";
import { encodePackedTime } from "../zk/protocol/packedTime.js";
import { type NaiveDateTime, naiveParts } from "../../domain/naiveTime.js";
import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import type { Punch } from "../../domain/punch.js";
import { utcMsToWall } from "../../domain/timeZone.js";
import { DeviceError, SidecarError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import { sleep } from "../../util/abort.js";
import type { DeviceDriver, DeviceInfo, DriverCapabilities, ReadOptions, ReadResult } from "../driver.js";
import type { AdmsServer } from "./admsServer.js";
import { AdmsUsers } from "./admsUsers.js";
import { statusToDeviceInfo, type TerminalStatus } from "./terminalStatus.js";

export interface AdmsDriverOptions {
  readonly server: AdmsServer;
  readonly serialNumber: string;
  /**
   * How long a Sync Now waits for the terminal: to poll for the DATA QUERY, answer it and upload.
   * Default 3 × Delay + 60 s.
   */
  readonly queryTimeoutMs?: number;
  /** After the terminal answered DATA QUERY, the upload counts as finished once it was quiet this long. Default 2 × Delay. */
  readonly settleMs?: number;
  /** INFO / SET OPTION timeout. Default 2 × Delay + 30 s. */
  readonly commandTimeoutMs?: number;
  /** A terminal silent for longer than this is offline. Default 3 × Delay + 30 s. */
  readonly offlineAfterMs?: number;
  /**
   * How `SET OPTION DateTime=` carries the time: "packed" (the ZK integer encoding most firmware expects) or
   * "text" (YYYY-MM-DD HH:MM:SS, seen in some servers). Neither is confirmed on every firmware.
   */
  readonly timeFormat?: "packed" | "text";
  readonly logger?: Logger;
}

const CAPABILITIES: DriverCapabilities = {
  pull: false,
  live: true,
  getTime: false,
  setTime: true,
  clearLog: false,
  filtersByDate: true,
  users: true,
  templates: true,
  disableUser: false,
};

/** Far enough back to cover any log a terminal holds (DATA QUERY with no window). */
const EPOCH_START = "2000-01-01 00:00:00" as NaiveDateTime;

/**
 * DeviceDriver for one ADMS terminal, through the push server it talks to. Punches reach the spool through the
 * server as the terminal pushes them; this driver adds what can be asked of a terminal that only polls us:
 * Sync Now (`DATA QUERY ATTLOG` for a range, then wait for the upload), Test Connection (`INFO`), and time
 * set (`SET OPTION DateTime=`). A command waits until the terminal's next getrequest, so every call here
 * takes up to the terminal's `Delay` before anything happens.
 */
export class AdmsDriver implements DeviceDriver {
  readonly kind = "adms" as const;
  readonly capabilities = CAPABILITIES;
  private readonly log: Logger;
  private readonly users: AdmsUsers;

  constructor(private readonly options: AdmsDriverOptions) {
    this.log = (options.logger ?? silentLogger).child({ driver: "adms", serialNumber: options.serialNumber });
    this.users = new AdmsUsers({
      server: options.server,
      serialNumber: options.serialNumber,
      commandTimeoutMs: () => this.commandTimeoutMs,
      settleMs: () => this.options.settleMs ?? 2 * this.delayMs,
    });
  }

  async readTemplates(signal?: AbortSignal): Promise<BiometricTemplate[]> {
    this.onlineStatus();
    return this.users.readTemplates(signal);
  }

  async setTemplate(template: BiometricTemplate, signal?: AbortSignal): Promise<SetTemplateResult> {
    this.onlineStatus();
    return this.users.setTemplate(template, signal);
  }

  async readUsers(signal?: AbortSignal): Promise<UserRecord[]> {
    this.onlineStatus();
    return this.users.read(signal);
  }

  async setUser(user: UserInput, signal?: AbortSignal, options?: SetUserOptions): Promise<SetUserResult> {
    this.onlineStatus();
    return this.users.set(user, signal, options);
  }

  async deleteUser(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult> {
    if (mode !== "delete")
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `an ADMS terminal cannot disable user ${userId} over the push protocol; only delete it (mode "delete")`,
      );
    this.onlineStatus();
    return this.users.delete(userId, signal);
  }

  private get delayMs(): number {
    return this.options.server.handshakeSettings.delaySeconds * 1000;
  }

  get deviceId(): string {
    return this.options.server.device(this.options.serialNumber)?.deviceName ?? this.options.serialNumber;
  }

  /** No connection to make: returns what the server knows (throws ADMS_DEVICE_OFFLINE if it never heard from it). */
  async connect(): Promise<DeviceInfo> {
    return Promise.resolve(statusToDeviceInfo(this.onlineStatus()));
  }

  /** Asks the terminal for INFO and returns identity and counts. */
  async test(signal?: AbortSignal): Promise<DeviceInfo> {
    this.onlineStatus();
    await this.options.server.sendCommand(this.options.serialNumber, "INFO", {
      timeoutMs: this.commandTimeoutMs,
      signal,
    });
    return statusToDeviceInfo(this.onlineStatus());
  }

  getTime(): Promise<NaiveDateTime> {
    return Promise.reject(
      new DeviceError(
        "DEVICE_UNSUPPORTED",
        "an ADMS terminal does not report its clock; it sets it from the server's HTTP Date header and TimeZone",
      ),
    );
  }

  async setTime(time: NaiveDateTime, signal?: AbortSignal): Promise<void> {
    this.onlineStatus();
    const value = this.options.timeFormat === "text" ? time : String(encodePackedTime(naiveParts(time)));
    await this.options.server.sendCommand(this.options.serialNumber, `SET OPTION DateTime=${value}`, {
      timeoutMs: this.commandTimeoutMs,
      signal,
    });
  }

  /**
   * Sync Now: asks the terminal to upload its records in the window again and collects what it uploads. The
   * uploads are stored by the server like any push (and acknowledged only once durable); the result lists the
   * ones in the window, each once. No window: the whole log.
   */
  async readPunches(options: ReadOptions = {}): Promise<ReadResult> {
    const { signal } = options;
    this.onlineStatus();
    const server = this.options.server;
    const zone = server.timeZoneOf(this.options.serialNumber);
    const since = options.window?.since ?? EPOCH_START;
    // A day past the host clock in the terminal's zone covers a terminal whose clock runs fast.
    const until = options.window?.until ?? utcMsToWall(Date.now() + 86_400_000, zone);
    const collected = new Map<string, Punch>();
    let lastUploadMs = 0;
    const unsubscribe = server.observeUploads(this.options.serialNumber, (punches) => {
      lastUploadMs = Date.now();
      for (const punch of punches) {
        if (punch.time >= since && punch.time <= until && !collected.has(punch.uid))
          collected.set(punch.uid, punch);
      }
    });
    const started = Date.now();
    const timeoutMs = this.options.queryTimeoutMs ?? 3 * this.delayMs + 60_000;
    try {
      await server.sendCommand(
        this.options.serialNumber,
        `DATA QUERY ATTLOG StartTime=${since}\tEndTime=${until}`,
        { timeoutMs, signal },
      );
      // Firmware uploads before or after answering; either way, done once uploads were quiet for settleMs.
      const repliedAt = Date.now();
      const settleMs = this.options.settleMs ?? 2 * this.delayMs;
      while (Date.now() - Math.max(repliedAt, lastUploadMs) < settleMs) {
        if (Date.now() - started > timeoutMs) {
          throw new DeviceError(
            "ADMS_COMMAND_TIMEOUT",
            `terminal ${this.options.serialNumber} was still uploading after ${timeoutMs} ms`,
            { details: { received: collected.size } },
          );
        }
        await sleep(Math.min(50, settleMs), signal);
      }
    } finally {
      unsubscribe();
    }
    const punches = [...collected.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    this.log.info({ since, until, punches: punches.length }, "ADMS DATA QUERY finished");
    return {
      deviceRecordCount: this.onlineStatus().infoParam?.attendanceLogs ?? punches.length,
      punchCount: punches.length,
      deviceClock: null,
      rejects: [],
      punches: () => punches,
    };
  }

  /**
   * Calls `onPunch` for each punch this terminal pushes until `signal` aborts. The server has already stored
   * them durably (and acknowledged them to the terminal); this is for watching, not for storing.
   */
  async live(onPunch: (punch: Punch) => Promise<void>, signal: AbortSignal): Promise<void> {
    let chain = Promise.resolve();
    const unsubscribe = this.options.server.observeUploads(this.options.serialNumber, (punches) => {
      for (const punch of punches) {
        chain = chain.then(() =>
          onPunch(punch).catch((error: unknown) =>
            this.log.warn({ err: (error as Error).message }, "live punch handler failed"),
          ),
        );
      }
    });
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await chain;
    } finally {
      unsubscribe();
    }
  }

  async disconnect(): Promise<void> {
    return Promise.resolve();
  }

  private get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs ?? 2 * this.delayMs + 30_000;
  }

  private onlineStatus(): Readonly<TerminalStatus> {
    const serialNumber = this.options.serialNumber;
    if (!this.options.server.device(serialNumber)) {
      throw new DeviceError("ADMS_UNKNOWN_DEVICE", `terminal ${serialNumber} is not an approved ADMS device`);
    }
    const status = this.options.server.status(serialNumber);
    const now = this.options.server.nowMs();
    const offlineAfter = this.options.offlineAfterMs ?? 3 * this.delayMs + 30_000;
    if (!status || now - status.lastSeenMs > offlineAfter) {
      throw new DeviceError(
        "ADMS_DEVICE_OFFLINE",
        status
          ? `terminal ${serialNumber} last contacted the server ${Math.round((now - status.lastSeenMs) / 1000)} s ago`
          : `terminal ${serialNumber} has not contacted the server since it started (check its ADMS server address and port)`,
        { details: { serialNumber, lastSeenMs: status?.lastSeenMs ?? null } },
      );
    }
    return status;
  }
}
