import { type NaiveDateTime, epochMsToNaive, naiveToEpochMs } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import { assertTimeZone, systemTimeZone, utcMsToWall } from "../../domain/timeZone.js";
import { DeviceError, ProtocolError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import type { DeviceDriver, DeviceInfo, DriverCapabilities, ReadOptions } from "../driver.js";
import type { CursorReadResult } from "../hikvision/hikvisionDriver.js";
import { type LogLinesParse, parseDeviceLogs } from "./logLines.js";
import { HistoryImport, readWithHistory } from "./historyImport.js";
import { type EsslStateStore, SeenPunches } from "./seenPunches.js";
import { getDeviceLogsCall } from "./soapRequest.js";
import { readSoapAnswer } from "./soapResponse.js";
import { serviceUrl, SoapTransport } from "./soapTransport.js";
import { datesBetween } from "./windows.js";

export interface EbioserverDriverOptions {
  /** The eBioServer: http://host:port (path defaults to /iclock/webservice.asmx) or the full URL. */
  readonly url: string;
  readonly userName: string;
  readonly password: string;
  /** The eBioServer location whose logs this driver reads. */
  readonly location: string;
  /** The punch's `device` (the Biometric Device name); default the location. */
  readonly deviceId?: string | null;
  /** IANA zone of the server's wall clock. Default: host zone. */
  readonly timeZone?: string | null;
  /** An unwindowed read covers today and this many days before. Default 2. */
  readonly lookbackDays?: number;
  /** The device's past is imported from here, a slice per read (default: DEFAULT_HISTORY_DAYS back). */
  readonly importSince?: NaiveDateTime | null;
  readonly timeoutMs?: number;
  readonly requestAttempts?: number;
  readonly retryDelayMs?: number;
  readonly state?: EsslStateStore | null;
  readonly minYear?: number;
  readonly logger?: Logger;
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

/**
 * DeviceDriver for one eBioServer location (device-protocols.md §5.2): `GetDeviceLogs(UserName, Password,
 * Location, LogDate=YYYY/MM/DD)`, one call per day. The answer's format is not documented, so it is parsed
 * defensively (logLines.ts parseDeviceLogs) and anything unreadable is kept as a coded reject with its raw text.
 */
export class EbioserverDriver implements DeviceDriver {
  readonly kind = "essl" as const;
  readonly capabilities = CAPABILITIES;
  private readonly transport: SoapTransport;
  private readonly log: Logger;
  private readonly zone: string;

  constructor(private readonly options: EbioserverDriverOptions) {
    const url = serviceUrl(options.url, "/iclock/webservice.asmx");
    this.zone = options.timeZone ?? systemTimeZone();
    assertTimeZone(this.zone);
    this.log = (options.logger ?? silentLogger).child({
      driver: "ebioserver",
      url: url.origin,
      location: options.location,
    });
    this.transport = new SoapTransport({
      url,
      timeoutMs: options.timeoutMs ?? 30_000,
      attempts: options.requestAttempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 500,
      log: this.log,
    });
  }

  get deviceId(): string {
    return this.options.deviceId ?? this.options.location;
  }

  private nowWall(): NaiveDateTime {
    return utcMsToWall((this.options.now ?? Date.now)(), this.zone);
  }

  async connect(signal?: AbortSignal): Promise<DeviceInfo> {
    return this.test(signal);
  }

  /** Reads today's logs: proves the URL, the credentials and the location. */
  async test(signal?: AbortSignal): Promise<DeviceInfo> {
    const parsed = await this.fetchDate(this.nowWall().slice(0, 10), signal);
    return {
      serialNumber: null,
      firmware: null,
      platform: "eBioServer",
      deviceName: this.options.location,
      userCount: null,
      punchCount: parsed.punches.length,
      userCapacity: null,
      punchCapacity: null,
      clock: null,
    };
  }

  getTime(): Promise<NaiveDateTime> {
    return Promise.reject(new DeviceError("DEVICE_UNSUPPORTED", "eBioServer does not expose device clocks"));
  }

  setTime(): Promise<void> {
    return Promise.reject(new DeviceError("DEVICE_UNSUPPORTED", "eBioServer cannot set device clocks"));
  }

  async disconnect(): Promise<void> {
    return Promise.resolve();
  }

  async readPunches(options: ReadOptions = {}): Promise<CursorReadResult> {
    const { signal, window } = options;
    const now = this.nowWall();
    const lookbackMs = (this.options.lookbackDays ?? 2) * 86_400_000;
    const since =
      window?.since ??
      (`${epochMsToNaive(naiveToEpochMs(now) - lookbackMs).slice(0, 10)} 00:00:00` as NaiveDateTime);
    const until = window?.until ?? (`${now.slice(0, 10)} 23:59:59` as NaiveDateTime);
    const state = window ? null : (this.options.state ?? null);
    const key = `ebioserver:seen:${this.deviceId}`;
    // A location's past, slice by slice, oldest first (see historyImport.ts).
    const history = HistoryImport.resume(state, `${key}:history`, this.options.importSince, since);
    const read = await readWithHistory(
      history,
      since,
      until,
      { units: datesBetween, fetch: (date) => this.fetchDate(date, signal) },
      options.onProgress,
    );
    const byTime = (a: Punch, b: Punch) =>
      a.time < b.time ? -1 : a.time > b.time ? 1 : a.user_id < b.user_id ? -1 : 1;
    const all = read.recent.sort(byTime);
    const seen = state ? new SeenPunches(state.get(key)) : null;
    const fresh = [...read.past.sort(byTime), ...(seen ? all.filter((p) => !seen.has(p)) : all)];
    const oldest = since;
    return {
      deviceRecordCount: all.length,
      punchCount: fresh.length,
      deviceClock: null,
      rejects: read.rejects,
      incremental: seen !== null,
      lastSerialNo: null,
      punches: () => fresh,
      commit: async () => {
        if (state && fresh.length > 0)
          await state.set(key, new SeenPunches(state.get(key)).next(fresh, oldest));
        await history?.commit();
      },
    };
  }

  private async fetchDate(date: string, signal?: AbortSignal): Promise<LogLinesParse> {
    const call = getDeviceLogsCall({
      userName: this.options.userName,
      password: this.options.password,
      location: this.options.location,
      date,
    });
    const attempts = this.options.requestAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const response = await this.transport.post(call, signal);
      let outcome;
      try {
        outcome = readSoapAnswer(response.status, response.body, "GetDeviceLogsResult", null);
      } catch (error) {
        if (!(error instanceof ProtocolError) || attempt >= attempts) throw error;
        this.log.warn({ attempt, err: error.message }, "unreadable eBioServer answer; asking again");
        continue;
      }
      switch (outcome.kind) {
        case "data":
          return parseDeviceLogs(outcome.dataText, this.deviceId, this.options.minYear ?? 2001);
        case "auth":
          throw new DeviceError(
            "DEVICE_AUTH_FAILED",
            `eBioServer refused user "${this.options.userName}" ("${outcome.text}")`,
            {
              details: { user: this.options.userName },
            },
          );
        case "error":
          throw new DeviceError(
            "ESSL_REJECTED",
            `eBioServer refused logs of ${this.options.location} for ${date}: "${outcome.text}"`,
          );
        case "fault":
          throw new DeviceError("ESSL_SOAP_FAULT", `eBioServer failed: ${outcome.text}`, {
            details: { status: outcome.status },
          });
      }
    }
  }
}
