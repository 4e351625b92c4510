import { type NaiveDateTime, naiveToEpochMs, epochMsToNaive } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import { assertTimeZone, systemTimeZone, utcMsToWall } from "../../domain/timeZone.js";
import { DeviceError, ProtocolError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import type { DeviceDriver, DeviceInfo, DriverCapabilities, ReadOptions } from "../driver.js";
import type { CursorReadResult } from "../hikvision/hikvisionDriver.js";
import { DIALECTS, type Dialect, dialectFromKey, dialectKey } from "./dateDialect.js";
import { type LogLinesParse, parseTransactionLines } from "./logLines.js";
import { HistoryImport, readWithHistory } from "./historyImport.js";
import { type EsslStateStore, SeenPunches } from "./seenPunches.js";
import { getTransactionsLogCall } from "./soapRequest.js";
import { readSoapAnswer, type SoapOutcome } from "./soapResponse.js";
import { serviceUrl, SoapTransport } from "./soapTransport.js";
import { splitWindows } from "./windows.js";

export interface EtimetrackDriverOptions {
  /** The eTimeTrackLite server: http://host:port (the path defaults to /iclock/WebAPIService.asmx) or the full URL. */
  readonly url: string;
  /** The device's serial number as registered in eTimeTrackLite: one driver per device. */
  readonly serialNumber: string;
  /** The Web API user (configured in eTimeTrackLite with API permission). */
  readonly userName: string;
  readonly password: string;
  /** IANA zone of the server's (and the devices') wall clock: "now" for unwindowed reads. Default: host zone. */
  readonly timeZone?: string | null;
  /** The punch's `device`; default the serial number. */
  readonly deviceId?: string | null;
  /** Width of one GetTransactionsLog call. Default 24 h. */
  readonly windowHours?: number;
  /** How far each window reaches back into the previous one. Default 30 min. */
  readonly overlapMinutes?: number;
  /** An unwindowed read covers this much of the past (punches reach eTimeTrackLite late). Default 48 h. */
  readonly lookbackHours?: number;
  /** The device's past is imported from here, a slice per read (default: DEFAULT_HISTORY_DAYS back). */
  readonly importSince?: NaiveDateTime | null;
  readonly timeoutMs?: number;
  readonly requestAttempts?: number;
  readonly retryDelayMs?: number;
  /** Skip probing: the parameter names and date format this installation wants. */
  readonly dialect?: Dialect | null;
  /** Keeps the probed dialect and the punches already handed on (unwindowed reads). */
  readonly state?: EsslStateStore | null;
  readonly minYear?: number;
  readonly logger?: Logger;
  /** Host clock, epoch ms. */
  readonly now?: () => number;
}

const CAPABILITIES: DriverCapabilities = {
  pull: true,
  live: false,
  getTime: false,
  setTime: false,
  clearLog: false,
  filtersByDate: true,
};

/** A time/format/parameter complaint means "wrong dialect", not "wrong request". */
const DIALECT_TROUBLE = /date|time|format|parameter|null|argument|string was not recognized/i;

/**
 * DeviceDriver for a device behind eTimeTrackLite's Web API (device-protocols.md §5.1): GetTransactionsLog
 * over SOAP 1.1, in small windows with overlap, de-duplicated by uid. The installation's dialect (parameter
 * names and date format) is probed once: a dialect counts as working only when it returns records and they
 * fall in the asked window (a day-first format misread as month-first returns another day). "Unathorised User"
 * (HTTP 200) is DEVICE_AUTH_FAILED, not retried.
 */
export class EtimetrackDriver implements DeviceDriver {
  readonly kind = "essl" as const;
  readonly capabilities = CAPABILITIES;
  private readonly transport: SoapTransport;
  private readonly log: Logger;
  private readonly zone: string;
  private readonly url: URL;
  private dialect: Dialect | null;

  constructor(private readonly options: EtimetrackDriverOptions) {
    this.url = serviceUrl(options.url, "/iclock/WebAPIService.asmx");
    this.zone = options.timeZone ?? systemTimeZone();
    assertTimeZone(this.zone);
    this.log = (options.logger ?? silentLogger).child({
      driver: "essl",
      url: this.url.origin,
      serialNumber: options.serialNumber,
    });
    this.transport = new SoapTransport({
      url: this.url,
      timeoutMs: options.timeoutMs ?? 30_000,
      attempts: options.requestAttempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 500,
      log: this.log,
    });
    this.dialect = options.dialect ?? dialectFromKey(options.state?.get(this.dialectStateKey));
  }

  get deviceId(): string {
    return this.options.deviceId ?? this.options.serialNumber;
  }

  /** The dialect in use (probed or configured), null until one is known. */
  get currentDialect(): Dialect | null {
    return this.dialect;
  }

  private get dialectStateKey(): string {
    return `essl:dialect:${this.url.origin}${this.url.pathname.toLowerCase()}`;
  }

  private get seenStateKey(): string {
    return `essl:seen:${this.deviceId}`;
  }

  private nowWall(): NaiveDateTime {
    return utcMsToWall((this.options.now ?? Date.now)(), this.zone);
  }

  async connect(signal?: AbortSignal): Promise<DeviceInfo> {
    return this.test(signal);
  }

  /** Calls GetTransactionsLog for the last hour: proves the URL, the credentials and the serial number. */
  async test(signal?: AbortSignal): Promise<DeviceInfo> {
    const to = this.nowWall();
    const from = epochMsToNaive(naiveToEpochMs(to) - 3600_000);
    const parsed = await this.fetchWindow(from, to, signal);
    return {
      serialNumber: this.options.serialNumber,
      firmware: null,
      platform: "eTimeTrackLite",
      deviceName: null,
      userCount: null,
      punchCount: parsed.punches.length,
      userCapacity: null,
      punchCapacity: null,
      clock: null,
    };
  }

  getTime(): Promise<NaiveDateTime> {
    return Promise.reject(
      new DeviceError("DEVICE_UNSUPPORTED", "eTimeTrackLite's web service does not expose the device clock"),
    );
  }

  setTime(): Promise<void> {
    return Promise.reject(
      new DeviceError("DEVICE_UNSUPPORTED", "eTimeTrackLite's web service cannot set the device clock"),
    );
  }

  async disconnect(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * With a window: every punch in it. Without: the last `lookbackHours`, minus the punches an earlier read
   * already handed on when a state store is given (`commit()` records them; call it once they are durable).
   */
  async readPunches(options: ReadOptions = {}): Promise<CursorReadResult> {
    const { signal, window } = options;
    const now = this.nowWall();
    const lookbackMs = (this.options.lookbackHours ?? 48) * 3600_000;
    const since = window?.since ?? epochMsToNaive(naiveToEpochMs(now) - lookbackMs);
    const until = window?.until ?? epochMsToNaive(naiveToEpochMs(now) + 3600_000);
    const state = window ? null : (this.options.state ?? null);
    // A device's past, slice by slice, oldest first (see historyImport.ts).
    const history = HistoryImport.resume(
      state,
      `${this.seenStateKey}:history`,
      this.options.importSince,
      since,
    );
    const read = await readWithHistory(
      history,
      since,
      until,
      {
        units: (from, to) =>
          splitWindows(
            from,
            to,
            (this.options.windowHours ?? 24) * 3600_000,
            (this.options.overlapMinutes ?? 30) * 60_000,
          ),
        fetch: (w) => this.fetchWindow(w.from, w.to, signal),
      },
      options.onProgress,
    );
    const all = read.recent.sort(byTimeThenUser);
    const seen = state ? new SeenPunches(state.get(this.seenStateKey)) : null;
    const fresh = [...read.past.sort(byTimeThenUser), ...(seen ? all.filter((p) => !seen.has(p)) : all)];
    const rejects = read.rejects;
    if (rejects.length > 0) this.log.warn({ rejects: rejects.length }, "eSSL log lines kept aside");
    const oldest = epochMsToNaive(naiveToEpochMs(now) - lookbackMs - 86_400_000);
    const key = this.seenStateKey;
    return {
      deviceRecordCount: all.length,
      punchCount: fresh.length,
      // Punches reach eTimeTrackLite late: no read proves every punch up to some time is in it.
      deviceClock: null,
      rejects,
      incremental: seen !== null,
      lastSerialNo: null,
      punches: () => fresh,
      commit: async () => {
        if (state && seen && fresh.length > 0) {
          // Re-read: another read may have committed meanwhile.
          await state.set(key, new SeenPunches(state.get(key)).next(fresh, oldest));
        }
        await history?.commit();
      },
    };
  }

  /** One window, in the known dialect, or probing for one. */
  private async fetchWindow(
    from: NaiveDateTime,
    to: NaiveDateTime,
    signal?: AbortSignal,
  ): Promise<LogLinesParse> {
    if (this.dialect) {
      const outcome = await this.call(this.dialect, from, to, signal);
      return this.expectData(outcome, this.dialect);
    }
    return this.probe(from, to, signal);
  }

  private async probe(from: NaiveDateTime, to: NaiveDateTime, signal?: AbortSignal): Promise<LogLinesParse> {
    let empty: LogLinesParse | null = null;
    const troubles: string[] = [];
    for (const dialect of DIALECTS) {
      const outcome = await this.call(dialect, from, to, signal);
      if (outcome.kind === "auth") throw this.authError(outcome.text);
      if (outcome.kind === "error" && !DIALECT_TROUBLE.test(outcome.text)) throw this.rejected(outcome.text);
      if (outcome.kind !== "data") {
        troubles.push(outcome.text);
        continue;
      }
      const parsed = this.parse(outcome);
      if (parsed.lines === 0) {
        empty ??= parsed;
        continue;
      }
      if (parsed.punches.some((p) => !nearWindow(p.time, from, to))) {
        troubles.push(`${dialectKey(dialect)} returned records outside the window`);
        continue;
      }
      this.dialect = dialect;
      this.log.info({ dialect: dialectKey(dialect) }, "eTimeTrackLite dialect found");
      await this.options.state?.set(this.dialectStateKey, dialectKey(dialect)).catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, "could not store the eTimeTrackLite dialect");
      });
      return parsed;
    }
    // Nothing proved a dialect: an empty answer is the best we have (probing goes on next time).
    if (empty) return empty;
    const allFaults =
      troubles.length > 0 && troubles.every((t) => t === troubles[0]) && !DIALECT_TROUBLE.test(troubles[0]!);
    if (allFaults) throw new DeviceError("ESSL_SOAP_FAULT", `eTimeTrackLite failed: ${troubles[0]}`);
    throw new DeviceError(
      "ESSL_DIALECT_UNKNOWN",
      `eTimeTrackLite accepted none of ${DIALECTS.length} parameter/date formats (last: ${troubles.at(-1) ?? "?"})`,
    );
  }

  private expectData(outcome: SoapOutcome, dialect: Dialect): LogLinesParse {
    switch (outcome.kind) {
      case "data":
        return this.parse(outcome);
      case "auth":
        throw this.authError(outcome.text);
      case "error":
        throw this.rejected(outcome.text);
      case "fault":
        throw new DeviceError(
          "ESSL_SOAP_FAULT",
          `eTimeTrackLite failed (${dialectKey(dialect)}): ${outcome.text}`,
          {
            details: { status: outcome.status },
          },
        );
    }
  }

  private parse(outcome: Extract<SoapOutcome, { kind: "data" }>): LogLinesParse {
    const parsed = parseTransactionLines(outcome.dataText, this.deviceId, this.options.minYear ?? 2001);
    if (outcome.declaredCount !== null && parsed.lines < outcome.declaredCount) {
      // Fewer lines than the server counted: the answer was cut short. Retryable.
      throw new ProtocolError(
        "ESSL_BAD_RESPONSE",
        `eTimeTrackLite said "Logs Count:${outcome.declaredCount}" but sent ${parsed.lines} lines`,
      );
    }
    return parsed;
  }

  private async call(
    dialect: Dialect,
    from: NaiveDateTime,
    to: NaiveDateTime,
    signal?: AbortSignal,
  ): Promise<SoapOutcome> {
    const call = getTransactionsLogCall({
      from,
      to,
      serialNumber: this.options.serialNumber,
      userName: this.options.userName,
      password: this.options.password,
      dialect,
    });
    const attempts = this.options.requestAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const response = await this.transport.post(call, signal);
      try {
        const outcome = readSoapAnswer(
          response.status,
          response.body,
          "GetTransactionsLogResult",
          "strDataList",
        );
        if (outcome.kind === "data") this.parse(outcome); // throws if truncated: retried below
        return outcome;
      } catch (error) {
        if (!(error instanceof ProtocolError) || !error.retryable || attempt >= attempts) throw error;
        this.log.warn({ attempt, err: error.message }, "unreadable eTimeTrackLite answer; asking again");
      }
    }
  }

  private authError(text: string): DeviceError {
    return new DeviceError(
      "DEVICE_AUTH_FAILED",
      `eTimeTrackLite refused user "${this.options.userName}" ("${text}"); check the Web API user and its API permission`,
      { details: { user: this.options.userName } },
    );
  }

  private rejected(text: string): DeviceError {
    return new DeviceError(
      "ESSL_REJECTED",
      `eTimeTrackLite refused the request for ${this.options.serialNumber}: "${text}"`,
    );
  }
}

function byTimeThenUser(a: Punch, b: Punch): number {
  return a.time < b.time
    ? -1
    : a.time > b.time
      ? 1
      : a.user_id < b.user_id
        ? -1
        : a.user_id > b.user_id
          ? 1
          : 0;
}

/** Within a day of the window: servers that filter by whole dates return a little more, a misread format far more. */
function nearWindow(time: NaiveDateTime, from: NaiveDateTime, to: NaiveDateTime): boolean {
  const t = naiveToEpochMs(time);
  return t >= naiveToEpochMs(from) - 86_400_000 && t <= naiveToEpochMs(to) + 86_400_000;
}
