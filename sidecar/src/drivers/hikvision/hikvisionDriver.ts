import { randomUUID } from "node:crypto";
import { DEFAULT_DIRECTION_RULES, type DirectionRules } from "../../domain/direction.js";
import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import type { NaiveDateTime } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import { assertTimeZone } from "../../domain/timeZone.js";
import { DeviceError, ProtocolError, type SidecarError, toSidecarError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import { sleep } from "../../util/abort.js";
import type {
  DeviceDriver,
  DeviceInfo,
  DriverCapabilities,
  LiveOptions,
  ReadOptions,
  ReadResult,
  RecordReject,
  TimeWindow,
} from "../driver.js";
import { elementText, parseXml } from "../shared/xmlReader.js";
import {
  type AcsEventCond,
  type AcsEventInfo,
  type AcsEventPage,
  acsEventRequestBody,
  isapiHttpError,
  parseAcsEventPage,
} from "./acsEvent.js";
import { readAlertStream } from "./alertStream.js";
import { DigestClient } from "./digestClient.js";
import { HikUsers } from "./hikUsers.js";
import { eventToPunch } from "./eventToPunch.js";
import {
  formatHikvisionTimeZone,
  formatIsapiTime,
  offsetAtWall,
  parseHikvisionTimeZone,
  parseIsapiTime,
  toDeviceWall,
} from "./isapiTime.js";
import { MAJOR_EVENT } from "./minors.js";
import { findSerialGaps, gapReject, resetReject } from "./serialGaps.js";

/** Durable small state for the serialNo cursor (spool/stateStore.ts StateStore fits). */
export interface SerialCursorStore {
  get(key: string): unknown;
  set(key: string, value: number): Promise<void>;
}

export interface HikvisionDriverOptions {
  readonly host: string;
  /** Default 80 (443 for https). */
  readonly port?: number;
  readonly protocol?: "http" | "https";
  /** HTTPS to a self-signed certificate (what terminals ship with). */
  readonly allowSelfSigned?: boolean;
  readonly username: string;
  readonly password: string;
  /**
   * IANA zone of the device's wall clock. Event times (ISO with offset) are converted to it. Null: event
   * times are taken as the device writes them, and query bounds use the device's own `<timeZone>`.
   */
  readonly timeZone?: string | null;
  /** The punch's `device` (the Biometric Device name); default the device's serial number, else host:port. */
  readonly deviceId?: string | null;
  readonly timeoutMs?: number;
  /** maxResults per page; the device silently caps it to its capability (often 30). Default 30. */
  readonly pageSize?: number;
  /** A search longer than this many pages is stuck. Default 20,000. */
  readonly maxPages?: number;
  /** Attempts per request for retryable failures (timeouts, resets, bad bodies). Default 3. */
  readonly requestAttempts?: number;
  readonly retryDelayMs?: number;
  /** Where the serialNo cursor lives. Without one, an unwindowed read reads the whole log. */
  readonly cursors?: SerialCursorStore | null;
  /** Default `hikvision:serial:<deviceId>`. */
  readonly cursorKey?: string;
  /** Report serialNo gaps as HIK_SERIAL_GAP rejects. Default true. */
  readonly gapDetection?: boolean;
  readonly directionRules?: DirectionRules;
  readonly minYear?: number;
  readonly logger?: Logger;
  /** Event stream: nothing (event or heartbeat) for this long means the link is dead. Default 90 s. */
  readonly streamIdleMs?: number;
}

/**
 * A read that continues from a cursor: `commit()` moves the cursor past what was read. Call it only once the
 * punches are durable (after the spool append), exactly like a pull cursor; until then a re-read returns them again.
 */
export interface CursorReadResult extends ReadResult {
  readonly incremental: boolean;
  /** Highest serialNo seen, or null. */
  readonly lastSerialNo: number | null;
  commit(): Promise<void>;
}

const CAPABILITIES: DriverCapabilities = {
  pull: true,
  live: true,
  getTime: true,
  setTime: true,
  clearLog: false,
  filtersByDate: true,
  users: true,
  disableUser: true,
};

const MAX_SERIAL = 2 ** 31 - 1;
const ACS_EVENT_PATH = "/ISAPI/AccessControl/AcsEvent?format=json";

interface DeviceClock {
  readonly wall: NaiveDateTime;
  /** Minutes east of UTC the device says it is in (from localTime's offset, else its timeZone). */
  readonly offsetMinutes: number | null;
  readonly timeZoneText: string | null;
}

interface Search {
  readonly infos: AcsEventInfo[];
  readonly totalMatches: number | null;
  readonly stuck: RecordReject | null;
}

/**
 * DeviceDriver for Hikvision access-control / attendance terminals over ISAPI (device-protocols.md §4): Digest
 * auth, `AcsEvent` searches paged on `numOfMatches` with one `searchID`, successful-authentication minors as
 * punches, event times converted to the device's zone, and a `serialNo` cursor with gap detection.
 * A 401 is final (DigestClient latches it): the device would lock the account after a few more.
 */
export class HikvisionDriver implements DeviceDriver {
  readonly kind = "hikvision" as const;
  readonly capabilities = CAPABILITIES;
  private readonly client: DigestClient;
  private readonly log: Logger;
  private readonly zone: string | null;
  private serialNumber: string | null = null;
  private readonly users: HikUsers;

  constructor(private readonly options: HikvisionDriverOptions) {
    this.zone = options.timeZone ?? null;
    if (this.zone !== null) assertTimeZone(this.zone);
    const protocol = options.protocol ?? "http";
    const port = options.port ?? (protocol === "https" ? 443 : 80);
    const host =
      options.host.includes(":") && !options.host.startsWith("[") ? `[${options.host}]` : options.host;
    this.client = new DigestClient({
      baseUrl: new URL(`${protocol}://${host}:${port}`),
      username: options.username,
      password: options.password,
      timeoutMs: options.timeoutMs ?? 15_000,
      allowSelfSigned: options.allowSelfSigned,
    });
    this.log = (options.logger ?? silentLogger).child({ driver: "hikvision", host: options.host, port });
    this.users = new HikUsers(
      (req) => this.exchange({ ...req, contentType: "application/json" }, (response) => response),
      options.pageSize ?? 30,
    );
  }

  async readUsers(signal?: AbortSignal): Promise<UserRecord[]> {
    return this.users.read(signal);
  }

  async setUser(user: UserInput, signal?: AbortSignal, options?: SetUserOptions): Promise<SetUserResult> {
    return this.users.set(user, signal, options);
  }

  async deleteUser(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult> {
    return this.users.delete(userId, mode, signal);
  }

  get deviceId(): string {
    return this.options.deviceId ?? this.serialNumber ?? `${this.options.host}:${this.options.port ?? 80}`;
  }

  private get cursorKey(): string {
    return this.options.cursorKey ?? `hikvision:serial:${this.deviceId}`;
  }

  /** Forget a latched authentication failure (after the credentials were changed). */
  resetAuth(): void {
    this.client.resetAuth();
  }

  async connect(signal?: AbortSignal): Promise<DeviceInfo> {
    const identity = await this.deviceInfo(signal);
    return { ...identity, clock: null };
  }

  async test(signal?: AbortSignal): Promise<DeviceInfo> {
    const identity = await this.deviceInfo(signal);
    const clock = await this.readClock(signal);
    const [punchCount, userCount] = await Promise.all([
      this.optionalCount(
        "/ISAPI/AccessControl/AcsEventTotalNum?format=json",
        "AcsEventTotalNum",
        "totalNum",
        signal,
        {
          AcsEventTotalNumCond: { major: MAJOR_EVENT, minor: 0 },
        },
      ),
      this.optionalCount(
        "/ISAPI/AccessControl/UserInfo/Count?format=json",
        "UserInfoCount",
        "userNumber",
        signal,
      ),
    ]);
    return { ...identity, punchCount, userCount, clock: clock.wall };
  }

  async getTime(signal?: AbortSignal): Promise<NaiveDateTime> {
    return (await this.readClock(signal)).wall;
  }

  /** Sets the clock (`PUT /ISAPI/System/time`, manual mode) to a wall-clock time of the device's zone. */
  async setTime(time: NaiveDateTime, signal?: AbortSignal): Promise<void> {
    const current = await this.readClock(signal);
    const offset = this.zone !== null ? offsetAtWall(time, this.zone) : current.offsetMinutes;
    if (offset === null)
      throw new DeviceError(
        "HIK_BAD_RESPONSE",
        "the device reports no time zone, and none is configured for it",
      );
    // Keep the device's own zone text (with its DST rule) unless the configured zone disagrees with it.
    const deviceOffset = current.timeZoneText === null ? null : parseHikvisionTimeZone(current.timeZoneText);
    const zoneText =
      deviceOffset === offset && current.timeZoneText !== null
        ? current.timeZoneText
        : formatHikvisionTimeZone(offset);
    if (deviceOffset !== null && deviceOffset !== offset)
      this.log.warn(
        { device: current.timeZoneText, configured: this.zone },
        "device time zone differs from the configured one; setting it",
      );
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<Time version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">' +
      `<timeMode>manual</timeMode><localTime>${formatIsapiTime(time, offset)}</localTime><timeZone>${zoneText}</timeZone></Time>`;
    await this.exchange(
      { method: "PUT", path: "/ISAPI/System/time", body, contentType: "application/xml", signal },
      (response) => {
        if (response.status < 200 || response.status >= 300)
          throw isapiHttpError("setting the time", response.status, response.body);
      },
    );
  }

  /**
   * Holds the device's alertStream: each successful authentication (the same filter as a pull) becomes a punch
   * at once. The serialNo cursor is not moved: the next pull reads these again (the uid makes them one punch)
   * and finds whatever the stream missed.
   */
  async live(
    onPunch: (punch: Punch) => Promise<void>,
    signal: AbortSignal,
    options: LiveOptions = {},
  ): Promise<void> {
    if (this.serialNumber === null && this.options.deviceId == null) await this.deviceInfo(signal);
    const rules = this.options.directionRules ?? DEFAULT_DIRECTION_RULES;
    const reading = readAlertStream({
      client: this.client,
      signal,
      idleTimeoutMs: options.keepAliveMs ?? this.options.streamIdleMs ?? 90_000,
      ...(options.onReady && { onReady: options.onReady }),
      onPart: async (part) => {
        if (part.kind !== "event") return;
        const converted = eventToPunch(
          part.info,
          this.deviceId,
          this.zone,
          this.options.minYear ?? 2001,
          rules,
        );
        if (converted.kind === "punch") await onPunch(converted.punch);
        else if (converted.kind === "reject")
          this.log.warn(
            { code: converted.reject.code, err: converted.reject.message },
            "a streamed event cannot become a punch; the pull keeps it aside",
          );
      },
      onGarbage: (error) =>
        this.log.warn({ code: error.code, err: error.message }, "skipped an unreadable event stream part"),
    });
    try {
      await reading;
    } catch (error) {
      // Asked to stop while connecting: that is a stop, not a failure.
      if (!signal.aborted) throw error;
    }
  }

  async disconnect(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * With a window: every successful authentication in it. Without: the events after the stored serialNo
   * cursor (the whole log without a cursor store); `commit()` on the result advances the cursor.
   */
  async readPunches(options: ReadOptions = {}): Promise<CursorReadResult> {
    const { signal, window } = options;
    if (this.serialNumber === null && this.options.deviceId == null) await this.deviceInfo(signal);
    const clock = await this.readClock(signal).catch((error: unknown) => {
      const coded = toSidecarError(error);
      if (coded.code === "DEVICE_AUTH_FAILED" || coded.code === "ABORTED") throw coded;
      this.log.warn({ code: coded.code, err: coded.message }, "could not read the device clock");
      return null;
    });
    const rejects: RecordReject[] = [];
    const cursors = window ? null : (this.options.cursors ?? null);
    const stored = cursors ? serialOrNull(cursors.get(this.cursorKey)) : null;
    let search: Search;
    let after: number | null = stored;
    if (window) {
      const offsetFor = (wall: NaiveDateTime): number => {
        if (this.zone !== null) return offsetAtWall(wall, this.zone);
        if (clock?.offsetMinutes == null)
          throw new DeviceError(
            "HIK_BAD_RESPONSE",
            "the device reports no time zone, and none is configured for it",
          );
        return clock.offsetMinutes;
      };
      search = await this.search(
        {
          ...(options.userId !== undefined && { employeeNoString: options.userId }),
          ...(window.since && { startTime: formatIsapiTime(window.since, offsetFor(window.since)) }),
          ...(window.until && { endTime: formatIsapiTime(window.until, offsetFor(window.until)) }),
        },
        signal,
      );
    } else {
      search = await this.search(
        stored === null ? {} : { beginSerialNo: stored + 1, endSerialNo: MAX_SERIAL },
        signal,
      );
      if (stored !== null && !search.infos.some((i) => i.serialNo !== null && i.serialNo > stored)) {
        // Nothing newer: was the log cleared (serials restarted below the cursor)?
        const newest = await this.newestSerial(signal);
        if (newest !== null && newest < stored) {
          rejects.push(resetReject(stored, newest, this.deviceId));
          this.log.warn(
            { stored, newest },
            "event serials went backwards; reading the log again from the start",
          );
          search = await this.search({}, signal);
          after = null;
        }
      }
    }
    if (search.stuck) rejects.push(search.stuck);
    return this.toResult(search, after, cursors, window, clock, rejects);
  }

  private toResult(
    search: Search,
    after: number | null,
    cursors: SerialCursorStore | null,
    window: TimeWindow | undefined,
    clock: DeviceClock | null,
    rejects: RecordReject[],
  ): CursorReadResult {
    const windowed = window !== undefined;
    const { since, until } = window ?? {};
    const seen = new Set<string>();
    const events: AcsEventInfo[] = [];
    for (const info of search.infos) {
      // Firmware ignoring beginSerialNo, or pages overlapping after the log moved: each event once.
      if (after !== null && info.serialNo !== null && info.serialNo <= after) continue;
      const key = info.serialNo !== null ? `#${info.serialNo}` : info.raw;
      if (seen.has(key)) continue;
      seen.add(key);
      events.push(info);
    }
    events.sort((a, b) => (a.serialNo ?? 0) - (b.serialNo ?? 0));
    const serials = events.flatMap((e) => (e.serialNo === null ? [] : [e.serialNo]));
    if (this.options.gapDetection ?? true) {
      for (const gap of findSerialGaps(serials, windowed ? null : after))
        rejects.push(gapReject(gap, this.deviceId));
    }
    const punches: Punch[] = [];
    const skipped = new Map<string, number>();
    const rules = this.options.directionRules ?? DEFAULT_DIRECTION_RULES;
    for (const info of events) {
      const converted = eventToPunch(info, this.deviceId, this.zone, this.options.minYear ?? 2001, rules);
      if (converted.kind === "punch") {
        // The device filtered on its own clock; after conversion to the configured zone, keep the window exact.
        const t = converted.punch.time;
        if ((!since || t >= since) && (!until || t <= until)) punches.push(converted.punch);
      } else if (converted.kind === "reject") rejects.push(converted.reject);
      else skipped.set(String(converted.minor), (skipped.get(String(converted.minor)) ?? 0) + 1);
    }
    if (skipped.size > 0)
      this.log.debug({ skippedByMinor: Object.fromEntries(skipped) }, "events that are not attendance");
    if (rejects.length > 0)
      this.log.warn({ rejects: rejects.length, first: rejects[0]?.code }, "events kept aside");
    const lastSerialNo = serials.length ? serials[serials.length - 1]! : null;
    const key = this.cursorKey;
    return {
      deviceRecordCount: search.totalMatches ?? events.length,
      punchCount: punches.length,
      deviceClock: windowed ? null : (clock?.wall ?? null),
      rejects,
      incremental: cursors !== null && after !== null,
      lastSerialNo,
      punches: () => punches,
      commit: async () => {
        if (!cursors || lastSerialNo === null) return;
        const current = serialOrNull(cursors.get(key));
        // A reset read (after === null) may move the cursor back; otherwise it only moves forward.
        if (current === null || lastSerialNo > current || after === null)
          await cursors.set(key, lastSerialNo);
      },
    };
  }

  /** One AcsEvent search, all pages, with one searchID; advances by what each page actually held. */
  private async search(bounds: Partial<AcsEventCond>, signal?: AbortSignal): Promise<Search> {
    const searchID = randomUUID();
    const pageSize = this.options.pageSize ?? 30;
    const maxPages = this.options.maxPages ?? 20_000;
    const infos: AcsEventInfo[] = [];
    let position = 0;
    let totalMatches: number | null = null;
    for (let pages = 1; ; pages++) {
      if (pages > maxPages)
        throw new DeviceError("HIK_PAGING_STUCK", `the search did not end after ${maxPages} pages`, {
          details: { position },
        });
      const cond: AcsEventCond = {
        searchID,
        searchResultPosition: position,
        maxResults: pageSize,
        major: MAJOR_EVENT,
        minor: 0,
        ...bounds,
      };
      let page = await this.fetchPage(cond, signal);
      if (page.status === "MORE" && page.infos.length === 0) {
        // MORE with nothing in it: ask once more, then stop rather than spin on a stuck cursor.
        page = await this.fetchPage(cond, signal);
        if (page.status === "MORE" && page.infos.length === 0) {
          totalMatches ??= page.totalMatches;
          const stuck: RecordReject = {
            code: "HIK_PAGING_STUCK",
            message: `the device said MORE but sent no events at position ${position}${totalMatches !== null ? ` of ${totalMatches}` : ""}; the search stopped there`,
            raw: JSON.stringify({ searchID, position, totalMatches }),
            userId: null,
            time: null,
          };
          this.log.warn({ position, totalMatches }, "AcsEvent search stuck: MORE with no events");
          return { infos, totalMatches, stuck };
        }
      }
      totalMatches ??= page.totalMatches;
      infos.push(...page.infos);
      if (page.numOfMatches !== page.infos.length)
        this.log.debug(
          { numOfMatches: page.numOfMatches, listed: page.infos.length },
          "numOfMatches differs from the list",
        );
      if (page.status !== "MORE" || page.infos.length === 0) return { infos, totalMatches, stuck: null };
      position += page.infos.length;
    }
  }

  private fetchPage(cond: AcsEventCond, signal?: AbortSignal): Promise<AcsEventPage> {
    return this.exchange(
      {
        method: "POST",
        path: ACS_EVENT_PATH,
        body: acsEventRequestBody(cond),
        contentType: "application/json",
        signal,
      },
      (response) => {
        if (response.status < 200 || response.status >= 300)
          throw isapiHttpError("the AcsEvent search", response.status, response.body);
        const page = parseAcsEventPage(response.body);
        if (page.searchID && page.searchID !== cond.searchID)
          throw new ProtocolError(
            "HIK_BAD_RESPONSE",
            `the device answered search ${page.searchID} to search ${cond.searchID}`,
          );
        return page;
      },
    );
  }

  /** The newest event's serial (one event, newest first), for noticing a cleared log. */
  private async newestSerial(signal?: AbortSignal): Promise<number | null> {
    const page = await this.fetchPage(
      {
        searchID: randomUUID(),
        searchResultPosition: 0,
        maxResults: 1,
        major: MAJOR_EVENT,
        minor: 0,
        timeReverseOrder: true,
      },
      signal,
    );
    let newest: number | null = null;
    for (const info of page.infos)
      if (info.serialNo !== null && (newest === null || info.serialNo > newest)) newest = info.serialNo;
    return newest;
  }

  private readClock(signal?: AbortSignal): Promise<DeviceClock> {
    return this.exchange({ method: "GET", path: "/ISAPI/System/time", signal }, (response) => {
      if (response.status !== 200) throw isapiHttpError("reading the time", response.status, response.body);
      const xml = parseXml(response.body, "HIK_BAD_RESPONSE");
      const localTime = elementText(xml, "localTime");
      const timeZoneText = elementText(xml, "timeZone")?.trim() ?? null;
      const parsed = localTime === null ? null : parseIsapiTime(localTime);
      if (parsed === null)
        throw new ProtocolError(
          "HIK_BAD_RESPONSE",
          `the device time ${JSON.stringify(localTime)} is not an ISO time`,
        );
      const zoneOffset = timeZoneText === null ? null : parseHikvisionTimeZone(timeZoneText);
      const offsetMinutes = parsed.offsetMinutes ?? zoneOffset;
      return {
        wall: toDeviceWall({ wall: parsed.wall, offsetMinutes }, this.zone),
        offsetMinutes,
        timeZoneText,
      };
    });
  }

  private async deviceInfo(signal?: AbortSignal): Promise<Omit<DeviceInfo, "clock">> {
    const xml = await this.exchange(
      { method: "GET", path: "/ISAPI/System/deviceInfo", signal },
      (response) => {
        if (response.status !== 200)
          throw isapiHttpError("reading device information", response.status, response.body);
        return parseXml(response.body, "HIK_BAD_RESPONSE");
      },
    );
    const text = (name: string): string | null => elementText(xml, name)?.trim().slice(0, 200) || null;
    this.serialNumber = text("serialNumber");
    return {
      serialNumber: this.serialNumber,
      firmware: [text("firmwareVersion"), text("firmwareReleasedDate")].filter(Boolean).join(" ") || null,
      platform: text("model"),
      deviceName: text("deviceName"),
      userCount: null,
      punchCount: null,
      userCapacity: null,
      punchCapacity: null,
    };
  }

  /** A count from an optional endpoint: null when the firmware lacks it (auth failures still throw). */
  private async optionalCount(
    path: string,
    object: string,
    field: string,
    signal?: AbortSignal,
    body?: unknown,
  ): Promise<number | null> {
    try {
      return await this.exchange(
        body === undefined
          ? { method: "GET", path, signal }
          : { method: "POST", path, body: JSON.stringify(body), contentType: "application/json", signal },
        (response) => {
          if (response.status !== 200) return null;
          const json = JSON.parse(response.body) as Record<string, Record<string, unknown> | undefined>;
          const value = json[object]?.[field];
          return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
        },
      );
    } catch (error) {
      const coded = toSidecarError(error);
      if (coded.code === "DEVICE_AUTH_FAILED" || coded.code === "ABORTED") throw coded;
      return null;
    }
  }

  /**
   * One request and the reading of its answer, retried whole for retryable failures (timeouts, resets, 5xx,
   * bodies that do not parse); never for a refused login or a request the device rejects.
   */
  private async exchange<T>(
    req: {
      method: "GET" | "POST" | "PUT";
      path: string;
      body?: string;
      contentType?: string;
      signal?: AbortSignal;
    },
    read: (response: { status: number; body: string }) => T,
  ): Promise<T> {
    const attempts = this.options.requestAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.client.request(req);
        return read({ status: response.status, body: response.body.toString("utf8") });
      } catch (error) {
        const coded: SidecarError = toSidecarError(error);
        if (!coded.retryable || attempt >= attempts || req.signal?.aborted) throw coded;
        this.log.warn(
          { attempt, attempts, code: coded.code, err: coded.message, path: req.path.split("?")[0] },
          "ISAPI request failed; retrying",
        );
        await sleep((this.options.retryDelayMs ?? 500) * attempt, req.signal);
      }
    }
  }
}

function serialOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}
