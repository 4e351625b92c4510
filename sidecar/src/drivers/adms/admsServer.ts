import type { BiometricTemplate } from "../../domain/biometricTemplate.js";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { DirectionRules } from "../../domain/direction.js";
import { epochMsToNaive } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import { assertTimeZone, systemTimeZone } from "../../domain/timeZone.js";
import { ConfigError, DeviceError, toSidecarError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import type { RecordReject } from "../driver.js";
import { AccessPolicy } from "./accessPolicy.js";
import { parseAttlog, type TimeBounds } from "./attlog.js";
import { type CommandOptions, CommandQueue } from "./commandQueue.js";
import { type CommandReply, parseDeviceCmdBody } from "./deviceCmdReply.js";
import { DEFAULT_HANDSHAKE, type HandshakeSettings, handshakeReply, zoneOffsetMinutes } from "./handshake.js";
import { parseInfoParam, type TerminalStatus } from "./terminalStatus.js";
import { type TerminalUser, TerminalUserBook } from "./operlogUsers.js";
import { interpretUpload, usableStamp } from "./uploadBody.js";

/** A terminal the site approved: its serial number and the Biometric Device name its punches carry. */
export interface AdmsDevice {
  readonly serialNumber: string;
  readonly deviceName: string;
  /** IANA zone of the terminal's wall clock; sent as `TimeZone=`. Default: the server's `defaultTimeZone`. */
  readonly timeZone?: string | null;
}

/** Where punches go: resolves only once they are durable (the spool). */
export interface AdmsPunchSink {
  append(punches: readonly Punch[]): Promise<unknown>;
}

/** Small durable key/value state (spool/stateStore.ts StateStore fits): the per-terminal upload stamps. */
export interface AdmsStateStore {
  get(key: string): unknown;
  set(key: string, value: string): Promise<void>;
}

export interface AdmsServerOptions {
  /** Default "0.0.0.0": terminals are on the LAN. */
  readonly host?: string;
  /** Default 8081; 0 = a free port. */
  readonly port?: number;
  readonly devices: readonly AdmsDevice[];
  readonly sink: AdmsPunchSink;
  readonly state: AdmsStateStore;
  /** Zone for terminals without their own. Default: the host's zone. */
  readonly defaultTimeZone?: string;
  /**
   * Optional shared secret. A request must carry it as the `key` query parameter (…/iclock/cdata?key=S&SN=…,
   * for firmware or proxies whose server path can hold it) or as the `X-ADMS-Key` header. Min 8 characters.
   */
  readonly secret?: string | null;
  /** Optional allow-list of terminal addresses: IPs and CIDR blocks ("192.168.1.0/24", "fd00::/8"). */
  readonly allowFrom?: readonly string[] | null;
  /** Bodies larger than this are refused with 413. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** A terminal not in `devices` pushed to us: the site shows it as discovered, awaiting approval. */
  readonly onUnknownDevice?: (serialNumber: string, remoteAddress: string | null) => void;
  /** How often the same unknown terminal is reported. Default 60 s. */
  readonly unknownReportIntervalMs?: number;
  /**
   * Lines that could not become punches, with the raw line and a code. Awaited before the terminal gets OK,
   * so a durable reject log sees them before the terminal forgets them; a throw answers non-OK.
   */
  readonly onRejects?: (device: AdmsDevice, rejects: readonly RecordReject[]) => void | Promise<void>;
  readonly directionRules?: DirectionRules;
  /**
   * Users a terminal uploaded (OPERLOG USER lines; FP/FACE lines mark templates), on its own or in answer to
   * DATA QUERY USERINFO. Called after the terminal is answered; a throw is logged, never fails the upload.
   */
  readonly onUsers?: (device: AdmsDevice, users: readonly TerminalUser[]) => void;
  readonly handshake?: Partial<HandshakeSettings>;
  /** Pending commands fail after this. Default 120 s. */
  readonly commandTimeoutMs?: number;
  /** A delivered command without a reply is delivered again after this. Default 60 s. */
  readonly commandResendMs?: number;
  /** Stamps are written to `state` at most this often (ms). Default 1000. */
  readonly stampFlushMs?: number;
  /** Punches dated more than this past the host clock (+14 h for any zone) are rejects. Default 24 h. */
  readonly futureToleranceMs?: number;
  /** Punches before this year are rejects (a reset clock). Default 2001. */
  readonly minYear?: number;
  readonly logger?: Logger;
  /** Host clock, epoch ms. Default Date.now. */
  readonly now?: () => number;
}

export interface AdmsServerStats {
  readonly requests: number;
  readonly attlogUploads: number;
  readonly punchesStored: number;
  readonly rejects: number;
  readonly operlogLines: number;
  readonly sinkFailures: number;
  readonly refused: number;
}

/** Upload observers see each ATTLOG upload's punches after they are durable (DATA QUERY waits on them). */
export type UploadObserver = (punches: readonly Punch[]) => void;

/** User observers see the users of each OPERLOG upload (DATA QUERY USERINFO waits on them). */
export type UserObserver = (users: readonly TerminalUser[]) => void;

const STAMP_KEY = (serialNumber: string, table: string): string => `adms:${serialNumber}:${table}Stamp`;
const RECENT_REJECTS = 1000;
const SERIAL_NUMBER = /^[A-Za-z0-9_.-]{1,64}$/;

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly close?: boolean;
}

const OK: Reply = { status: 200, body: "OK" };

/**
 * The ADMS / iClock push endpoint (device-protocols.md §3): terminals are HTTP clients that poll us. Routes
 * `/iclock/cdata`, `/iclock/getrequest`, `/iclock/devicecmd` and `/iclock/ping`, with or without `.aspx`.
 *
 * The one rule that matters: an ATTLOG upload is answered `OK` only after its punches are in the sink (the
 * spool, fsync'd); anything else gets a non-OK status and the terminal keeps the records and sends them again.
 * A second copy of a punch is harmless: its uid is the same, and the site answers "duplicate".
 */
export class AdmsServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private devices = new Map<string, AdmsDevice>();
  private readonly statuses = new Map<string, TerminalStatus>();
  private readonly unknownReported = new Map<string, number>();
  private readonly recent = new Map<string, RecordReject[]>();
  private readonly observers = new Map<string, Set<UploadObserver>>();
  private readonly userObservers = new Map<string, Set<UserObserver>>();
  private readonly userBook = new TerminalUserBook();
  private readonly stampWrites = new Set<Promise<void>>();
  private readonly pendingStamps = new Map<string, string>();
  private stampTimer: NodeJS.Timeout | null = null;
  private readonly access: AccessPolicy;
  private readonly commands: CommandQueue;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly settings: HandshakeSettings;
  private readonly defaultZone: string;
  private readonly maxBodyBytes: number;
  private counters = {
    requests: 0,
    attlogUploads: 0,
    punchesStored: 0,
    rejects: 0,
    operlogLines: 0,
    sinkFailures: 0,
    refused: 0,
  };

  constructor(private readonly options: AdmsServerOptions) {
    this.access = new AccessPolicy({ allowFrom: options.allowFrom, secret: options.secret });
    this.now = options.now ?? Date.now;
    this.settings = { ...DEFAULT_HANDSHAKE, ...options.handshake };
    this.defaultZone = options.defaultTimeZone ?? systemTimeZone();
    assertTimeZone(this.defaultZone);
    this.maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
    this.log = (options.logger ?? silentLogger).child({ module: "adms" });
    this.commands = new CommandQueue({
      timeoutMs: options.commandTimeoutMs ?? 120_000,
      resendAfterMs: options.commandResendMs ?? 60_000,
      now: this.now,
    });
    this.setDevices(options.devices);
  }

  /** Replaces the approved terminals (the site approved or removed one); takes effect on the next request. */
  setDevices(devices: readonly AdmsDevice[]): void {
    const problems: string[] = [];
    const next = new Map<string, AdmsDevice>();
    for (const device of devices) {
      if (!device.serialNumber) problems.push(`ADMS device "${device.deviceName}" has no serial number`);
      if (next.has(device.serialNumber))
        problems.push(`serial number ${device.serialNumber} is listed twice`);
      if (device.timeZone) {
        try {
          assertTimeZone(device.timeZone);
        } catch (error) {
          problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
        }
      }
      next.set(device.serialNumber, device);
    }
    if (problems.length) throw new ConfigError(problems);
    this.devices = next;
  }

  device(serialNumber: string): AdmsDevice | undefined {
    return this.devices.get(serialNumber);
  }

  status(serialNumber: string): Readonly<TerminalStatus> | undefined {
    return this.statuses.get(serialNumber);
  }

  get handshakeSettings(): HandshakeSettings {
    return this.settings;
  }

  /** The last rejected lines of a terminal (at most 1000), newest last. */
  recentRejects(serialNumber: string): readonly RecordReject[] {
    return this.recent.get(serialNumber) ?? [];
  }

  stats(): AdmsServerStats {
    return { ...this.counters };
  }

  get address(): { host: string; port: number } {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error("ADMS server not started");
    return { host: address.address, port: address.port };
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) return this.address;
    const server = createServer((req, res) => void this.handle(req, res));
    // Slow or stuck terminals must not hold sockets forever.
    server.requestTimeout = 30_000;
    server.headersTimeout = 15_000;
    server.keepAliveTimeout = 15_000;
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // A deep accept queue: after a restart every terminal reconnects at once, and a full queue drops SYNs
      // (the terminal then waits a whole SYN retransmit, 1 s and more, before trying again).
      server.listen(
        { port: this.options.port ?? 8081, host: this.options.host ?? "0.0.0.0", backlog: 2048 },
        () => {
          server.off("error", reject);
          resolve();
        },
      );
    });
    this.server = server;
    this.log.info({ ...this.address, devices: this.devices.size }, "ADMS push server listening");
    return this.address;
  }

  /** Stops listening, drops open connections and fails pending commands. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.commands.failAll(new DeviceError("ADMS_SERVER_STOPPED", "the ADMS push server stopped"));
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
    }
    if (this.stampTimer) clearTimeout(this.stampTimer);
    this.stampTimer = null;
    this.flushStamps();
    while (this.stampWrites.size > 0) await Promise.allSettled([...this.stampWrites]);
  }

  /** Queues a command for a terminal; resolves with its reply (Return=0), rejects coded otherwise. */
  sendCommand(serialNumber: string, command: string, options?: CommandOptions): Promise<CommandReply> {
    return this.commands.enqueue(serialNumber, command, options);
  }

  pendingCommands(serialNumber: string): number {
    return this.commands.pending(serialNumber);
  }

  /** Calls `observer` with each ATTLOG upload of a terminal once it is durable; returns the unsubscribe. */
  observeUploads(serialNumber: string, observer: UploadObserver): () => void {
    const set = this.observers.get(serialNumber) ?? new Set<UploadObserver>();
    set.add(observer);
    this.observers.set(serialNumber, set);
    return () => {
      set.delete(observer);
      if (set.size === 0) this.observers.delete(serialNumber);
    };
  }

  /** Calls `observer` with the users of each OPERLOG upload of a terminal; returns the unsubscribe. */
  observeUsers(serialNumber: string, observer: UserObserver): () => void {
    const set = this.userObservers.get(serialNumber) ?? new Set<UserObserver>();
    set.add(observer);
    this.userObservers.set(serialNumber, set);
    return () => {
      set.delete(observer);
      if (set.size === 0) this.userObservers.delete(serialNumber);
    };
  }

  /** A terminal's user as it last uploaded it (its fields, for an update that keeps what it does not change). */
  knownUser(serialNumber: string, pin: string): TerminalUser | undefined {
    return this.userBook.get(serialNumber, pin);
  }

  /** The terminal confirmed deleting this user. */
  /** Templates the terminal uploaded (FP / FACE / BIODATA lines; issue 13, opt-in). */
  templatesOf(serialNumber: string): BiometricTemplate[] {
    return this.userBook.templatesOf(serialNumber);
  }

  forgetUser(serialNumber: string, pin: string): void {
    this.userBook.forget(serialNumber, pin);
  }

  /** The server's clock (epoch ms): what `status().lastSeenMs` is measured on. */
  nowMs(): number {
    return this.now();
  }

  /** The zone a terminal's wall clock is in. */
  timeZoneOf(serialNumber: string): string {
    return this.devices.get(serialNumber)?.timeZone ?? this.defaultZone;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.requests++;
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (error) {
      const coded = toSidecarError(error);
      if (coded.code === "DEVICE_CLOSED") {
        // The terminal gave up mid-request; it resends what it did not get an OK for.
        this.log.debug({ err: coded.message }, "terminal dropped a request");
        return;
      }
      this.log.error({ code: coded.code, err: coded.message }, "ADMS request failed");
      reply = { status: 500, body: "ERROR" };
    }
    if (reply.status !== 200) this.counters.refused++;
    if (res.writableEnded || res.destroyed) return;
    const body = Buffer.from(reply.body, "utf8");
    res.writeHead(reply.status, {
      "Content-Type": "text/plain",
      "Content-Length": body.length,
      ...(reply.close ? { Connection: "close" } : {}),
    });
    res.end(body);
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://terminal.invalid");
    } catch {
      return drain(req, { status: 400, body: "BAD REQUEST", close: true });
    }
    const route = url.pathname
      .toLowerCase()
      .replace(/\/+$/, "")
      .replace(/\.aspx$/, "");
    // IPv4 terminals on a dual-stack socket show as ::ffff:a.b.c.d; report them as a.b.c.d.
    const remote = req.socket.remoteAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "") ?? null;
    if (!this.access.addressAllowed(remote ?? undefined)) {
      this.log.warn({ remoteAddress: remote, route }, "ADMS request from an address outside the allow-list");
      return drain(req, { status: 403, body: "FORBIDDEN", close: true });
    }
    const header = req.headers["x-adms-key"];
    if (
      !this.access.secretMatches(url.searchParams.get("key") ?? (Array.isArray(header) ? header[0] : header))
    ) {
      // Never log the key that was given: a near-miss may be the real one mistyped.
      this.log.warn({ remoteAddress: remote, route }, "ADMS request without the shared secret");
      return drain(req, { status: 403, body: "FORBIDDEN", close: true });
    }
    const serialNumber = url.searchParams.get("SN") ?? url.searchParams.get("sn");
    // Serial numbers are short and alphanumeric; anything else is not a terminal (and must not reach logs or the site).
    if (!serialNumber || !SERIAL_NUMBER.test(serialNumber))
      return drain(req, { status: 400, body: "BAD REQUEST: SN missing or malformed", close: true });
    const device = this.devices.get(serialNumber);
    if (!device) {
      this.reportUnknown(serialNumber, remote);
      // Non-OK: the terminal keeps its records, and sends them once the site approves it.
      return drain(req, { status: 403, body: "UNKNOWN DEVICE", close: true });
    }
    const status = this.touch(serialNumber, remote);
    const method = req.method ?? "GET";
    switch (route) {
      case "/iclock/cdata":
      case "/iclock/querydata": {
        if (method === "GET") return this.handshake(device, status, url.searchParams);
        const body = await readBody(req, this.maxBodyBytes);
        if (body === null) return this.tooLarge(device);
        return this.upload(device, status, url.searchParams, body);
      }
      case "/iclock/getrequest": {
        await drainBody(req, this.maxBodyBytes);
        const info = url.searchParams.get("INFO");
        if (info !== null) status.infoParam = parseInfoParam(info);
        const lines = this.commands.deliver(serialNumber);
        return lines.length ? { status: 200, body: `${lines.join("\n")}\n` } : OK;
      }
      case "/iclock/devicecmd": {
        const body = await readBody(req, this.maxBodyBytes);
        if (body === null) return this.tooLarge(device);
        return this.deviceCmd(device, status, body);
      }
      case "/iclock/ping":
        await drainBody(req, this.maxBodyBytes);
        return OK;
      default:
        this.log.debug({ route, serialNumber }, "ADMS request to an unknown route");
        return drain(req, { status: 404, body: "NOT FOUND" });
    }
  }

  private touch(serialNumber: string, remoteAddress: string | null): TerminalStatus {
    let status = this.statuses.get(serialNumber);
    if (!status) {
      status = {
        serialNumber,
        lastSeenMs: 0,
        remoteAddress,
        pushVersion: null,
        lastHandshakeMs: null,
        infoParam: null,
        infoReply: null,
        lastStamp: null,
        attlogUploads: 0,
        punchesStored: 0,
        rejects: 0,
      };
      this.statuses.set(serialNumber, status);
    }
    status.lastSeenMs = this.now();
    status.remoteAddress = remoteAddress;
    return status;
  }

  private reportUnknown(serialNumber: string, remoteAddress: string | null): void {
    const now = this.now();
    const last = this.unknownReported.get(serialNumber);
    if (last !== undefined && now - last < (this.options.unknownReportIntervalMs ?? 60_000)) return;
    if (this.unknownReported.size > 10_000) this.unknownReported.clear();
    this.unknownReported.set(serialNumber, now);
    this.log.warn({ serialNumber, remoteAddress }, "ADMS push from an unknown terminal refused");
    try {
      this.options.onUnknownDevice?.(serialNumber, remoteAddress);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, "onUnknownDevice callback failed");
    }
  }

  private handshake(device: AdmsDevice, status: TerminalStatus, query: URLSearchParams): Reply {
    const table = query.get("table");
    // RemoteAtt asks for a user the terminal does not know; we hold no users to send.
    if (table !== null && table.toLowerCase() === "remoteatt") return { status: 200, body: "" };
    status.pushVersion = query.get("pushver") ?? status.pushVersion;
    status.lastHandshakeMs = this.now();
    const zone = device.timeZone ?? this.defaultZone;
    const body = handshakeReply(
      device.serialNumber,
      {
        ATTLOG: this.stampOf(device.serialNumber, "ATTLOG"),
        OPERLOG: this.stampOf(device.serialNumber, "OPERLOG"),
      },
      zoneOffsetMinutes(zone, this.now()),
      this.settings,
    );
    this.log.info(
      { serialNumber: device.serialNumber, device: device.deviceName, pushver: status.pushVersion },
      "ADMS terminal handshake",
    );
    return { status: 200, body };
  }

  private async upload(
    device: AdmsDevice,
    status: TerminalStatus,
    query: URLSearchParams,
    body: string,
  ): Promise<Reply> {
    const upload = interpretUpload(query, body);
    switch (upload.table) {
      case "ATTLOG":
        return this.attlog(device, status, upload.content, usableStamp(upload.stamp));
      case "OPERLOG":
      case "BIODATA":
      case "ERRORLOG":
      case "IDCARD": {
        // Not attendance: counted and acknowledged (so the terminal moves on), the stamp kept.
        const lines = countLines(upload.content);
        this.counters.operlogLines += lines;
        const stamp = usableStamp(upload.stamp);
        if (upload.table === "OPERLOG" && stamp !== null)
          this.saveStamp(device.serialNumber, "OPERLOG", stamp);
        if (upload.table === "OPERLOG" || upload.table === "BIODATA") this.users(device, upload.content);
        return { status: 200, body: `OK:${lines}` };
      }
      case "OPTIONS":
      case "ATTPHOTO":
        return OK;
      case null:
        this.log.warn({ serialNumber: device.serialNumber }, "ADMS upload names no table; refused");
        return { status: 400, body: "BAD REQUEST: table missing" };
      default:
        this.log.debug(
          { serialNumber: device.serialNumber, table: upload.table },
          "ADMS upload of an unused table",
        );
        return { status: 200, body: `OK:${countLines(upload.content)}` };
    }
  }

  private async attlog(
    device: AdmsDevice,
    status: TerminalStatus,
    content: string,
    stamp: string | null,
  ): Promise<Reply> {
    const parsed = parseAttlog(content, device.deviceName, this.bounds(), this.options.directionRules);
    try {
      if (parsed.punches.length > 0) await this.options.sink.append(parsed.punches);
    } catch (error) {
      this.counters.sinkFailures++;
      const coded = toSidecarError(error, "ADMS_SINK_FAILED");
      this.log.error(
        {
          serialNumber: device.serialNumber,
          code: coded.code,
          err: coded.message,
          punches: parsed.punches.length,
        },
        "ADMS upload not stored; the terminal was told to resend",
      );
      return { status: 503, body: "ERROR: not stored" };
    }
    if (parsed.rejects.length > 0) {
      try {
        await this.options.onRejects?.(device, parsed.rejects);
      } catch (error) {
        this.counters.sinkFailures++;
        this.log.error(
          { serialNumber: device.serialNumber, err: (error as Error).message },
          "ADMS rejected lines could not be recorded; the terminal was told to resend",
        );
        return { status: 503, body: "ERROR: not stored" };
      }
      this.keepRecent(device.serialNumber, parsed.rejects);
      this.log.warn(
        {
          serialNumber: device.serialNumber,
          rejects: parsed.rejects.length,
          first: parsed.rejects[0]?.code,
        },
        "ADMS lines that cannot become punches were kept aside",
      );
    }
    this.counters.attlogUploads++;
    this.counters.punchesStored += parsed.punches.length;
    this.counters.rejects += parsed.rejects.length;
    status.attlogUploads++;
    status.punchesStored += parsed.punches.length;
    status.rejects += parsed.rejects.length;
    if (stamp !== null) {
      status.lastStamp = stamp;
      this.saveStamp(device.serialNumber, "ATTLOG", stamp);
    }
    const observers = this.observers.get(device.serialNumber);
    if (observers) for (const observer of [...observers]) observer(parsed.punches);
    return { status: 200, body: `OK:${parsed.lines}` };
  }

  /**
   * User metadata needs no spool: it is acknowledged at once and reported after; a line that cannot be read is
   * logged with a code, and a failing observer never fails the terminal's upload.
   */
  private users(device: AdmsDevice, content: string): void {
    const { changed, rejects } = this.userBook.ingest(device.serialNumber, content);
    if (rejects.length)
      this.log.warn(
        { serialNumber: device.serialNumber, rejects: rejects.length, code: rejects[0]!.code },
        "ADMS user lines that cannot be read were skipped",
      );
    if (!changed.length) return;
    try {
      for (const observer of [...(this.userObservers.get(device.serialNumber) ?? [])]) observer(changed);
      this.options.onUsers?.(device, changed);
    } catch (error) {
      this.log.warn(
        { serialNumber: device.serialNumber, err: (error as Error).message },
        "ADMS user observer failed",
      );
    }
  }

  private deviceCmd(device: AdmsDevice, status: TerminalStatus, body: string): Reply {
    const { replies, orphans } = parseDeviceCmdBody(body);
    for (const reply of replies) {
      if (reply.cmd.toUpperCase() === "INFO" && Object.keys(reply.info).length > 0)
        status.infoReply = reply.info;
      if (!this.commands.settle(device.serialNumber, reply)) {
        this.log.debug(
          { serialNumber: device.serialNumber, id: reply.id },
          "reply to a command we are not waiting for",
        );
      }
    }
    if (orphans.length) {
      this.log.warn(
        { serialNumber: device.serialNumber, lines: orphans.length },
        "devicecmd lines without an ID",
      );
    }
    return OK;
  }

  private tooLarge(device: AdmsDevice): Reply {
    this.log.warn(
      { serialNumber: device.serialNumber, limit: this.maxBodyBytes },
      "ADMS upload larger than the body limit refused",
    );
    return { status: 413, body: "BODY TOO LARGE", close: true };
  }

  private bounds(): TimeBounds {
    const tolerance = this.options.futureToleranceMs ?? 24 * 3600_000;
    // Whatever the terminal's zone, its wall clock is within 14 h of UTC.
    return {
      minYear: this.options.minYear ?? 2001,
      latest: epochMsToNaive(this.now() + 14 * 3600_000 + tolerance),
    };
  }

  private keepRecent(serialNumber: string, rejects: readonly RecordReject[]): void {
    const list = this.recent.get(serialNumber) ?? [];
    list.push(...rejects);
    if (list.length > RECENT_REJECTS) list.splice(0, list.length - RECENT_REJECTS);
    this.recent.set(serialNumber, list);
  }

  /**
   * Stamps only save re-uploads, so they are written after the punches are durable, not awaited before the
   * OK, and batched: at most one state write per `stampFlushMs` (every write costs fsyncs the spool needs
   * more). Losing the last ones costs a re-upload (duplicates the site absorbs), never a punch.
   */
  private saveStamp(serialNumber: string, table: string, stamp: string): void {
    this.pendingStamps.set(STAMP_KEY(serialNumber, table), stamp);
    if (this.stampTimer) return;
    this.stampTimer = setTimeout(() => {
      this.stampTimer = null;
      this.flushStamps();
    }, this.options.stampFlushMs ?? 1000);
    this.stampTimer.unref();
  }

  private flushStamps(): void {
    const stamps = [...this.pendingStamps];
    this.pendingStamps.clear();
    // Set in one tick: the state store writes them all in one go.
    for (const [key, stamp] of stamps) {
      const write = this.options.state
        .set(key, stamp)
        .catch((error: unknown) => {
          this.log.warn(
            { key, err: (error as Error).message },
            "could not store an ADMS stamp; the terminal may re-upload",
          );
        })
        .finally(() => this.stampWrites.delete(write));
      this.stampWrites.add(write);
    }
  }

  /** The stamp to offer a terminal: the newest one, stored or about to be. */
  private stampOf(serialNumber: string, table: string): string | null {
    const key = STAMP_KEY(serialNumber, table);
    return usableStamp(this.pendingStamps.get(key) ?? stringOrNull(this.options.state.get(key)));
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function countLines(text: string): number {
  let lines = 0;
  for (const line of text.split(/\r?\n/)) if (line.trim() !== "") lines++;
  return lines;
}

/** Reads the whole body as UTF-8, or null (and stops reading) once it passes `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) return null;
      chunks.push(chunk);
    }
  } catch (error) {
    throw new DeviceError("DEVICE_CLOSED", "the terminal closed the connection mid-body", { cause: error });
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/** Consumes a body nobody needs, within the limit (a GET normally has none). */
async function drainBody(req: IncomingMessage, limit: number): Promise<void> {
  if (req.readableEnded) return;
  await readBody(req, limit);
}

/** A refusal sent without reading the body; `close` makes Node drop the connection after it. */
function drain(req: IncomingMessage, reply: Reply): Reply {
  req.resume();
  return reply;
}
