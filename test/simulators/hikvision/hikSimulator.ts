import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ConnectionQuirk, LoopbackHttpServer } from "../shared/loopbackHttpServer.js";
import { type HikAnswer, type HikUser, HikUserTable } from "./hikUsers.js";

/**
 * A Hikvision access-control terminal's ISAPI on loopback (device-protocols.md §4): Digest auth (MD5,
 * qop=auth, nonce counts, account lock after repeated failures), AcsEvent search with searchID sessions,
 * maxResults capped to the device's capability and paging by position, serialNo bounds, reverse order,
 * /ISAPI/System/time (POSIX-style inverted `CST-5:30:00`) GET and PUT, deviceInfo, and counts. Faults make it
 * misbehave the ways devices do.
 */

export interface HikEvent {
  readonly serialNo: number;
  readonly major?: number;
  readonly minor: number;
  /** As the device writes it: ISO 8601, usually with its offset ("2024-03-01T09:00:12+05:30"). */
  readonly time: string;
  readonly employeeNoString?: string;
  /** Older firmware: a number, no string form. */
  readonly employeeNo?: number;
  readonly attendanceStatus?: string;
  readonly name?: string;
}

export type HikFault =
  /** Pages hold at most `size` events although more were asked and the status stays MORE. */
  | { readonly kind: "shortPages"; readonly size: number; readonly times?: number }
  /** A page says MORE but lists nothing. */
  | { readonly kind: "moreWithZero"; readonly times?: number }
  /** No answer at all to requests on `path` (the connection hangs). */
  | { readonly kind: "hang"; readonly path?: string; readonly times?: number }
  /** An AcsEvent answer that is not JSON. */
  | { readonly kind: "malformed"; readonly times?: number }
  /** HTTP 500. */
  | { readonly kind: "serverError"; readonly times?: number }
  /** The nonce "expired": 401 with stale=true even for a correct answer. */
  | { readonly kind: "staleNonce"; readonly times?: number }
  /** beginSerialNo/endSerialNo are ignored (older firmware). */
  | { readonly kind: "ignoreSerialBounds"; readonly times?: number }
  /** The answer names another search. */
  | { readonly kind: "wrongSearchId"; readonly times?: number }
  /** alertStream: the next event part is cut off halfway and the connection dropped. */
  | { readonly kind: "streamDropMidEvent"; readonly times?: number }
  /** alertStream: before the next event, noise ("bytes", outside any part) or a part that is not an event body. */
  | { readonly kind: "streamGarbage"; readonly times?: number; readonly style?: "bytes" | "part" };

export interface HikSimulatorOptions {
  /** How the web server treats connections (default polite; see ConnectionQuirk). */
  readonly connection?: ConnectionQuirk;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  readonly username: string;
  readonly password: string;
  readonly events: readonly HikEvent[];
  /** The device's `<timeZone>`, POSIX style. Default "CST-5:30:00" (UTC+05:30). */
  readonly timeZone?: string;
  /** Device capability for maxResults. Default 30. */
  readonly maxResultsCap?: number;
  /** Failed logins before the account locks. Default 5. */
  readonly lockAfter?: number;
  readonly faults?: readonly HikFault[];
  readonly serialNumber?: string;
  /** Reject `major: 0` with 400, as some firmware does. Default true. */
  readonly rejectMajorZero?: boolean;
  /** The device's own stored searches; older ones are forgotten. Default 8. */
  readonly maxSearches?: number;
  /** Reusing a searchID with a new condition returns the old search's results (a firmware quirk). Default true. */
  readonly staleSearchReuse?: boolean;
  /** The person table (UserInfo Search/SetUp/Delete). Absent: empty, and UserInfo/Count counts event employees. */
  readonly users?: readonly HikUser[];
  /** alertStream part bodies. Default "json" (newer firmware); older firmware sends XML. */
  readonly streamFormat?: "json" | "xml";
  /** alertStream parts carry Content-Length. Default true (some firmware leaves it out). */
  readonly streamContentLength?: boolean;
  /** alertStream heartbeat ("videoloss", inactive) period. Default 10 s. */
  readonly heartbeatMs?: number;
}

export interface HikStats {
  requests: Record<string, number>;
  authFailures: number;
  /** Every AcsEventCond received, in order. */
  conditions: Record<string, unknown>[];
  pagesServed: number;
  timesSet: string[];
}

interface StoredSearch {
  readonly key: string;
  readonly results: HikEvent[];
}

const MAX_SERIAL = 2 ** 31 - 1;

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

/** UTC ms of an ISO time with an offset (a time without one is taken as UTC, like the device's own clock). */
export function isoToUtcMs(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return NaN;
  const base = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  const zone = m[7];
  if (!zone || zone === "Z") return base;
  const digits = zone.slice(1).replace(":", "");
  const offset =
    (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * (zone.startsWith("-") ? -1 : 1);
  return base - offset * 60_000;
}

const BOUNDARY = "MIME_boundary";

/** What `punchNow` takes: a person authenticating at the terminal now. */
export interface HikPunchInput {
  readonly employeeNoString: string;
  /** Default 75 (face). */
  readonly minor?: number;
  readonly attendanceStatus?: string;
  /** Default: the device clock's now, with its offset. */
  readonly time?: string;
}

export class HikSimulator {
  private http: LoopbackHttpServer;
  private readonly streams = new Set<ServerResponse>();
  private readonly nonces = new Map<string, number>();
  private readonly searches = new Map<string, StoredSearch>();
  private armed: { fault: HikFault; remaining: number }[];
  private failures = 0;
  private locked = false;
  private events: HikEvent[];
  private clockOffsetMs = 0;
  private timeZoneText: string;
  private readonly userTable: HikUserTable;
  readonly stats: HikStats = { requests: {}, authFailures: 0, conditions: [], pagesServed: 0, timesSet: [] };

  constructor(private readonly options: HikSimulatorOptions) {
    this.http = new LoopbackHttpServer((req, res) => void this.handle(req, res), {
      host: options.host,
      port: options.port,
      connection: options.connection,
    });
    this.events = [...options.events].sort((a, b) => a.serialNo - b.serialNo);
    this.armed = (options.faults ?? []).map((fault) => ({ fault, remaining: fault.times ?? 1 }));
    this.timeZoneText = options.timeZone ?? "CST-5:30:00";
    this.userTable = new HikUserTable(options.users ?? [], options.maxResultsCap ?? 30);
  }

  /** The person table as the device holds it now. */
  get users(): readonly HikUser[] {
    return this.userTable.all;
  }

  /** Every UserInfoSearchCond received, in order. */
  get userSearches(): readonly Record<string, unknown>[] {
    return this.userTable.searches;
  }

  start(): Promise<{ host: string; port: number }> {
    return this.http.start();
  }

  get address(): { host: string; port: number } {
    return this.http.address;
  }

  stop(): Promise<void> {
    this.streams.clear();
    return this.http.stop();
  }

  /**
   * The terminal reboots: every connection (event streams included) drops, and it listens again on the same
   * port after `downMs`. Its log survives and serials continue.
   */
  async reboot(downMs = 0): Promise<void> {
    const { port } = this.address;
    await this.stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    this.http = new LoopbackHttpServer((req, res) => void this.handle(req, res), {
      host: this.options.host,
      port,
      connection: this.options.connection,
    });
    await this.http.start();
  }

  /** The device's log now. */
  get log(): readonly HikEvent[] {
    return this.events;
  }

  /** Clients holding an alertStream open now. */
  get streamSubscribers(): number {
    return this.streams.size;
  }

  /** The device ends every event stream politely (end of body), as some firmware does now and then. */
  endStreams(): void {
    for (const res of this.streams) res.end(`\r\n--${BOUNDARY}--\r\n`);
    this.streams.clear();
  }

  /**
   * Someone authenticates at the terminal now: the event is logged (the next serial) and sent at once to every
   * open alertStream. Returns the event.
   */
  punchNow(input: HikPunchInput): HikEvent {
    const serialNo = (this.events.at(-1)?.serialNo ?? 0) + 1;
    const event: HikEvent = {
      serialNo,
      minor: input.minor ?? 75,
      time: input.time ?? this.deviceNowIso(),
      employeeNoString: input.employeeNoString,
      ...(input.attendanceStatus !== undefined && { attendanceStatus: input.attendanceStatus }),
    };
    this.record(event);
    for (const res of this.streams) this.streamEvent(res, event);
    return event;
  }

  /** TCP connections the device accepted. */
  get connections(): number {
    return this.http.connections;
  }

  addFault(fault: HikFault): void {
    this.armed.push({ fault, remaining: fault.times ?? 1 });
  }

  /** New events are recorded (people keep punching). */
  record(...events: HikEvent[]): void {
    this.events.push(...events);
    this.events.sort((a, b) => a.serialNo - b.serialNo);
  }

  /** The log is cleared and serials restart (or the device is replaced). */
  replaceLog(events: readonly HikEvent[]): void {
    this.events = [...events].sort((a, b) => a.serialNo - b.serialNo);
    this.searches.clear();
  }

  get isLocked(): boolean {
    return this.locked;
  }

  /** The device clock's offset from the host clock, ms (changed by PUT /ISAPI/System/time). */
  get clockOffset(): number {
    return this.clockOffsetMs;
  }

  get timeZone(): string {
    return this.timeZoneText;
  }

  private take<K extends HikFault["kind"]>(
    kind: K,
    match: (f: Extract<HikFault, { kind: K }>) => boolean = () => true,
  ) {
    for (const a of this.armed) {
      if (a.fault.kind !== kind || a.remaining <= 0) continue;
      const fault = a.fault as Extract<HikFault, { kind: K }>;
      if (!match(fault)) continue;
      a.remaining--;
      return fault;
    }
    return undefined;
  }

  private offsetMinutes(): number {
    const m = /^[A-Za-z]+([+-]?)(\d{1,2})(?::(\d{2}))?/.exec(this.timeZoneText);
    if (!m) return 0;
    const posix = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
    return -posix;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://device");
    const path = url.pathname;
    this.stats.requests[path] = (this.stats.requests[path] ?? 0) + 1;
    if (this.take("hang", (f) => f.path === undefined || f.path === path)) return; // never answered
    if (!this.authenticate(req, res)) return;
    if (this.take("serverError")) return this.send(res, 500, "text/plain", "Internal Server Error");
    const method = req.method ?? "GET";
    if (path === "/ISAPI/AccessControl/AcsEvent" && method === "POST") return this.acsEvent(res, body);
    if (path === "/ISAPI/Event/notification/alertStream" && method === "GET") return this.alertStream(res);
    if (path === "/ISAPI/System/time" && method === "GET") return this.getTime(res);
    if (path === "/ISAPI/System/time" && method === "PUT") return this.putTime(res, body);
    if (path === "/ISAPI/System/deviceInfo" && method === "GET") {
      return this.send(
        res,
        200,
        "application/xml",
        `<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><deviceName>Lobby Terminal</deviceName><deviceID>1</deviceID><model>DS-K1T671M</model><serialNumber>${this.options.serialNumber ?? "DS-K1T671M20230101AAWRJ00000000"}</serialNumber><firmwareVersion>V3.2.30</firmwareVersion><firmwareReleasedDate>build 221104</firmwareReleasedDate></DeviceInfo>`,
      );
    }
    if (path === "/ISAPI/AccessControl/AcsEventTotalNum" && method === "POST")
      return this.json(res, 200, {
        AcsEventTotalNum: { totalNum: this.events.filter((e) => (e.major ?? 5) === 5).length },
      });
    if (path === "/ISAPI/AccessControl/UserInfo/Count" && method === "GET")
      return this.json(res, 200, {
        UserInfoCount: {
          userNumber: this.options.users
            ? this.userTable.all.length
            : new Set(this.events.map((e) => e.employeeNoString)).size,
        },
      });
    if (path === "/ISAPI/AccessControl/UserInfo/Search" && method === "POST")
      return this.answer(res, this.userTable.search(body));
    if (path === "/ISAPI/AccessControl/UserInfo/SetUp" && method === "PUT")
      return this.answer(res, this.userTable.setUp(body));
    if (path === "/ISAPI/AccessControl/UserInfo/Delete" && method === "PUT")
      return this.answer(res, this.userTable.delete(body));
    return this.json(res, 404, {
      statusCode: 4,
      statusString: "Invalid Operation",
      subStatusCode: "notSupport",
    });
  }

  /** RFC 7616 Digest, MD5, qop=auth; counts failures and locks the account like a device. */
  private authenticate(req: IncomingMessage, res: ServerResponse): boolean {
    const challenge = (stale: boolean): void => {
      const nonce = randomBytes(16).toString("hex");
      this.nonces.set(nonce, 0);
      res.setHeader(
        "WWW-Authenticate",
        `Digest qop="auth", realm="DS-K1T671M", nonce="${nonce}", stale="${stale ? "TRUE" : "FALSE"}", opaque="", algorithm="MD5"`,
      );
      this.send(
        res,
        401,
        "application/xml",
        this.locked
          ? "<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString><lockStatus>locked</lockStatus><unlockTime>1800</unlockTime></userCheck>"
          : "<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString><lockStatus>unlock</lockStatus><retryLoginTime>3</retryLoginTime></userCheck>",
      );
    };
    const header = req.headers.authorization;
    if (!header?.startsWith("Digest ")) {
      challenge(false);
      return false;
    }
    const params: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
      params[m[1]!] = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1");
    const nonce = params.nonce ?? "";
    const nc = parseInt(params.nc ?? "0", 16);
    const known = this.nonces.get(nonce);
    if (known === undefined || !(nc > known)) {
      challenge(known !== undefined || nonce !== "");
      return false;
    }
    const ha1 = md5(`${params.username}:DS-K1T671M:${this.options.password}`);
    const ha2 = md5(`${req.method}:${params.uri}`);
    const expected = md5(`${ha1}:${nonce}:${params.nc}:${params.cnonce}:auth:${ha2}`);
    const correct =
      params.username === this.options.username &&
      params.response === expected &&
      params.qop === "auth" &&
      params.uri === req.url;
    if (this.locked || !correct) {
      this.stats.authFailures++;
      this.failures++;
      if (this.failures >= (this.options.lockAfter ?? 5)) this.locked = true;
      challenge(false);
      return false;
    }
    if (this.take("staleNonce")) {
      this.nonces.delete(nonce);
      challenge(true);
      return false;
    }
    this.nonces.set(nonce, nc);
    this.failures = 0;
    return true;
  }

  private acsEvent(res: ServerResponse, body: string): void {
    let cond: Record<string, unknown>;
    try {
      cond = (JSON.parse(body) as { AcsEventCond: Record<string, unknown> }).AcsEventCond;
      if (typeof cond !== "object" || cond === null) throw new Error("no cond");
    } catch {
      return this.json(res, 400, {
        statusCode: 6,
        statusString: "Invalid Content",
        subStatusCode: "badJsonContent",
      });
    }
    this.stats.conditions.push(cond);
    const searchID = typeof cond.searchID === "string" ? cond.searchID : "";
    const position = Number(cond.searchResultPosition);
    const maxResults = Number(cond.maxResults);
    if (!searchID || !Number.isInteger(position) || !Number.isInteger(maxResults))
      return this.json(res, 400, {
        statusCode: 6,
        statusString: "Invalid Content",
        subStatusCode: "badParameters",
      });
    if (cond.major === 0 && (this.options.rejectMajorZero ?? true))
      return this.json(res, 400, {
        statusCode: 6,
        statusString: "Invalid Content",
        subStatusCode: "badParameters",
        errorMsg: "major",
      });
    for (const field of ["startTime", "endTime"] as const) {
      const value = cond[field];
      if (
        value !== undefined &&
        (typeof value !== "string" || !/T/.test(value) || Number.isNaN(isoToUtcMs(value)))
      )
        return this.json(res, 400, {
          statusCode: 6,
          statusString: "Invalid Content",
          subStatusCode: "timeFormatError",
        });
    }
    const key = JSON.stringify({
      ...cond,
      searchID: undefined,
      searchResultPosition: undefined,
      maxResults: undefined,
    });
    let search = this.searches.get(searchID);
    const reuse = search && search.key !== key && position === 0 && (this.options.staleSearchReuse ?? true);
    if (!search || (search.key !== key && !reuse)) {
      search = { key, results: this.select(cond) };
      this.searches.set(searchID, search);
      while (this.searches.size > (this.options.maxSearches ?? 8))
        this.searches.delete(this.searches.keys().next().value!);
    }
    if (this.take("malformed")) return this.send(res, 200, "application/json", '{"AcsEvent":{"searchID":');
    const total = search.results.length;
    const short = this.take("shortPages");
    const size = Math.min(maxResults, this.options.maxResultsCap ?? 30, short ? short.size : Infinity);
    let page = search.results.slice(position, position + size);
    let status = position + page.length < total ? "MORE" : page.length === 0 ? "NO MATCH" : "OK";
    if (page.length > 0 && this.take("moreWithZero")) {
      page = [];
      status = "MORE";
    }
    if (total === 0) status = "NO MATCH";
    this.stats.pagesServed++;
    const answerId = this.take("wrongSearchId") ? "0000-other-search" : searchID;
    return this.json(res, 200, {
      AcsEvent: {
        searchID: answerId,
        responseStatusStrg: status,
        numOfMatches: page.length,
        totalMatches: total,
        ...(page.length ? { InfoList: page.map((e) => this.render(e)) } : {}),
      },
    });
  }

  private select(cond: Record<string, unknown>): HikEvent[] {
    const major = Number(cond.major ?? 0);
    const minor = Number(cond.minor ?? 0);
    const start = typeof cond.startTime === "string" ? isoToUtcMs(cond.startTime) : -Infinity;
    const end = typeof cond.endTime === "string" ? isoToUtcMs(cond.endTime) : Infinity;
    const ignoreSerial = this.take("ignoreSerialBounds") !== undefined;
    const begin = ignoreSerial || cond.beginSerialNo === undefined ? 0 : Number(cond.beginSerialNo);
    const endSerial = ignoreSerial || cond.endSerialNo === undefined ? MAX_SERIAL : Number(cond.endSerialNo);
    const selected = this.events.filter((e) => {
      const t = isoToUtcMs(e.time);
      return (
        (major === 0 || (e.major ?? 5) === major) &&
        (minor === 0 || e.minor === minor) &&
        (Number.isNaN(t) || (t >= start && t <= end)) &&
        e.serialNo >= begin &&
        e.serialNo <= endSerial &&
        (typeof cond.employeeNoString !== "string" || e.employeeNoString === cond.employeeNoString)
      );
    });
    return cond.timeReverseOrder === true ? selected.reverse() : selected;
  }

  private render(e: HikEvent): Record<string, unknown> {
    return {
      major: e.major ?? 5,
      minor: e.minor,
      time: e.time,
      ...(e.employeeNoString !== undefined ? { employeeNoString: e.employeeNoString } : {}),
      ...(e.employeeNo !== undefined ? { employeeNo: e.employeeNo } : {}),
      name: e.name ?? "",
      cardType: 1,
      cardReaderNo: 1,
      doorNo: 1,
      serialNo: e.serialNo,
      userType: "normal",
      currentVerifyMode: "cardOrFaceOrFp",
      attendanceStatus: e.attendanceStatus ?? "undefined",
      mask: "no",
      pictureURL: `http://127.0.0.1/LOCALS/pic/acsLinkCap/${e.serialNo}.jpeg`,
    };
  }

  private getTime(res: ServerResponse): void {
    const offset = this.offsetMinutes();
    const local = new Date(Date.now() + this.clockOffsetMs + offset * 60_000).toISOString().slice(0, 19);
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
    this.send(
      res,
      200,
      "application/xml",
      `<?xml version="1.0" encoding="UTF-8"?>\n<Time version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><timeMode>NTP</timeMode><localTime>${local}${zone}</localTime><timeZone>${this.timeZoneText}</timeZone></Time>`,
    );
  }

  private putTime(res: ServerResponse, body: string): void {
    const local = /<localTime>([^<]*)<\/localTime>/.exec(body)?.[1];
    const zone = /<timeZone>([^<]*)<\/timeZone>/.exec(body)?.[1];
    const utc = local === undefined ? NaN : isoToUtcMs(local);
    if (Number.isNaN(utc) || !/<timeMode>manual<\/timeMode>/.test(body))
      return this.send(
        res,
        400,
        "application/xml",
        "<ResponseStatus><statusCode>6</statusCode><statusString>Invalid Content</statusString><subStatusCode>badXmlContent</subStatusCode></ResponseStatus>",
      );
    this.stats.timesSet.push(local!);
    if (zone) this.timeZoneText = zone;
    this.clockOffsetMs = utc - Date.now();
    this.send(
      res,
      200,
      "application/xml",
      "<ResponseStatus><statusCode>1</statusCode><statusString>OK</statusString></ResponseStatus>",
    );
  }

  private answer(res: ServerResponse, answer: HikAnswer): void {
    this.json(res, answer.status, answer.body);
  }

  /** Opens a never-ending multipart/mixed answer: events as they happen, a heartbeat every `heartbeatMs`. */
  private alertStream(res: ServerResponse): void {
    res.writeHead(200, { "Content-Type": `multipart/mixed; boundary=${BOUNDARY}`, Connection: "close" });
    res.flushHeaders(); // a device answers at once, before its first event or heartbeat
    this.streams.add(res);
    const heartbeat = setInterval(
      () => this.writePart(res, this.heartbeatBody()),
      this.options.heartbeatMs ?? 10_000,
    );
    heartbeat.unref();
    res.once("close", () => {
      clearInterval(heartbeat);
      this.streams.delete(res);
    });
  }

  private streamEvent(res: ServerResponse, event: HikEvent): void {
    const garbage = this.take("streamGarbage");
    if (garbage?.style === "part")
      this.writePart(res, "\u0000\u0001not an event {{{ <<<", "application/json");
    else if (garbage) res.write(randomBytes(97));
    const body = this.eventBody(event);
    if (this.take("streamDropMidEvent")) {
      const part = this.partBytes(body);
      res.write(part.subarray(0, Math.floor(part.length / 2)), () => res.socket?.destroy());
      this.streams.delete(res);
      return;
    }
    this.writePart(res, body);
  }

  private writePart(res: ServerResponse, body: string, type?: string): void {
    if (!res.writableEnded) res.write(this.partBytes(body, type));
  }

  private partBytes(body: string, type?: string): Buffer {
    const xml = (this.options.streamFormat ?? "json") === "xml";
    const contentType =
      type ?? (xml ? 'application/xml; charset="UTF-8"' : 'application/json; charset="UTF-8"');
    const length =
      (this.options.streamContentLength ?? true) ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : "";
    return Buffer.from(`--${BOUNDARY}\r\nContent-Type: ${contentType}\r\n${length}\r\n${body}\r\n`);
  }

  private eventBody(e: HikEvent): string {
    const employee = e.employeeNoString ?? (e.employeeNo !== undefined ? String(e.employeeNo) : "");
    if ((this.options.streamFormat ?? "json") === "xml") {
      return `<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><ipAddress>127.0.0.1</ipAddress><portNo>80</portNo><protocol>HTTP</protocol><channelID>1</channelID><dateTime>${e.time}</dateTime><activePostCount>1</activePostCount><eventType>AccessControllerEvent</eventType><eventState>active</eventState><eventDescription>Access Controller Event</eventDescription><AccessControllerEvent><deviceName>Lobby Terminal</deviceName><majorEventType>${e.major ?? 5}</majorEventType><subEventType>${e.minor}</subEventType><name>${e.name ?? ""}</name><cardReaderNo>1</cardReaderNo><employeeNoString>${employee}</employeeNoString><serialNo>${e.serialNo}</serialNo><userType>normal</userType><currentVerifyMode>cardOrFaceOrFp</currentVerifyMode><attendanceStatus>${e.attendanceStatus ?? "undefined"}</attendanceStatus><mask>no</mask></AccessControllerEvent></EventNotificationAlert>`;
    }
    const { pictureURL: _p, major, minor, ...rest } = this.render(e);
    return JSON.stringify({
      ipAddress: "127.0.0.1",
      portNo: 80,
      protocol: "HTTP",
      macAddress: "c0:56:e3:00:00:01",
      channelID: 1,
      dateTime: e.time,
      activePostCount: 1,
      eventType: "AccessControllerEvent",
      eventState: "active",
      eventDescription: "Access Controller Event",
      AccessControllerEvent: {
        deviceName: "Lobby Terminal",
        majorEventType: major,
        subEventType: minor,
        ...rest,
      },
    });
  }

  private heartbeatBody(): string {
    const now = this.deviceNowIso();
    if ((this.options.streamFormat ?? "json") === "xml")
      return `<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><ipAddress>127.0.0.1</ipAddress><portNo>80</portNo><protocol>HTTP</protocol><channelID>1</channelID><dateTime>${now}</dateTime><activePostCount>0</activePostCount><eventType>videoloss</eventType><eventState>inactive</eventState><eventDescription>videoloss alarm</eventDescription></EventNotificationAlert>`;
    return JSON.stringify({
      ipAddress: "127.0.0.1",
      portNo: 80,
      protocol: "HTTP",
      channelID: 1,
      dateTime: now,
      activePostCount: 0,
      eventType: "videoloss",
      eventState: "inactive",
      eventDescription: "videoloss alarm",
    });
  }

  /** The device's clock now, as it writes times (ISO with its offset). */
  private deviceNowIso(): string {
    const offset = this.offsetMinutes();
    const local = new Date(Date.now() + this.clockOffsetMs + offset * 60_000).toISOString().slice(0, 19);
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    this.send(res, status, "application/json", JSON.stringify(value));
  }

  private send(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  }
}
