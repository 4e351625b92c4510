import type { Agent } from "node:http";
import { decodePackedTime } from "../../../sidecar/src/drivers/zk/protocol/packedTime.js";
import {
  epochMsToNaive,
  formatNaive,
  isValidParts,
  parseNaive,
  naiveToEpochMs,
} from "../../../sidecar/src/domain/naiveTime.js";
import { type AdmsFault, AdmsFaultBook } from "./faults.js";
import { terminalRequest, type TerminalResponse } from "./terminalHttp.js";

/**
 * A ZKTeco terminal in ADMS / iClock push mode, as firmware behaves (device-protocols.md §3), on loopback:
 * it handshakes (`options=all`) and takes the server's stamp and settings, uploads its attendance log in
 * batches and resends a batch until the server answers `OK`, keeps its own stamp (the sequence number of the
 * last acknowledged record), polls getrequest every Delay and runs the commands (DATA QUERY ATTLOG uploads a
 * range, CHECK re-handshakes and re-uploads from the server's stamp, INFO reports, SET OPTION DateTime sets
 * its clock), and answers them on devicecmd.
 */

export interface TerminalPunch {
  readonly userId: string;
  /** Device wall clock, YYYY-MM-DD HH:MM:SS. */
  readonly time: string;
  readonly state?: number;
  readonly verify?: number;
}

/** A user in the terminal's memory (what DATA UPDATE/DELETE/QUERY USERINFO act on). */
export interface AdmsTerminalUser {
  readonly pin: string;
  readonly name: string;
  /** 0 user, 2 enroller, 6 admin, 14 super admin. */
  readonly pri?: number;
  readonly card?: string;
  readonly passwd?: string;
  readonly grp?: string;
  /** Enrolled templates: FP / FACE lines are uploaded with the user. */
  readonly fingerprints?: number;
  readonly face?: boolean;
}

export interface AdmsTerminalOptions {
  readonly host: string;
  readonly port: number;
  readonly serialNumber: string;
  /** Sent as `?key=` on every request. */
  readonly key?: string | null;
  /** Use the `.aspx` paths some firmware uses. */
  readonly aspx?: boolean;
  /** Send ATTLOG as `table=ATTLOG&Stamp=..&data=<url-encoded>` in the body (eSSL F22 style). */
  readonly formEncoded?: boolean;
  readonly lineEnding?: "\n" | "\r\n";
  /** Newer firmware's 12-field lines (MaskFlag, Temperature, TimeOffset …). */
  readonly extraFields?: boolean;
  /** Records per upload. Default 100. */
  readonly batchSize?: number;
  /** Override the server's Delay (poll interval) / ErrorDelay, for fast tests. */
  readonly pollIntervalMs?: number;
  readonly errorDelayMs?: number;
  readonly requestTimeoutMs?: number;
  readonly punches?: readonly TerminalPunch[];
  readonly faults?: readonly AdmsFault[];
  /** Keep-alive agent (benchmarks); default: a connection per request, as most firmware does. */
  readonly agent?: Agent;
  /** Called with each request's kind and round-trip time (ms). */
  readonly onReply?: (
    kind: "handshake" | "attlog" | "poll" | "devicecmd",
    ms: number,
    status: number,
  ) => void;
  readonly firmware?: string;
  /** Upload a DATA QUERY's range before answering the command (default) or after. */
  readonly replyBeforeQueryUpload?: boolean;
  readonly users?: readonly AdmsTerminalUser[];
  /**
   * The template commands this firmware runs (default all three); any other answers Return=-1002 (unsupported),
   * as a terminal without faces does for DATA UPDATE FACE.
   */
  readonly templateTables?: readonly TemplateTable[];
}

export type TemplateTable = "FINGERTMP" | "FACE" | "BIODATA";

/** A template the terminal holds, as a DATA UPDATE command wrote it; uploaded in the same form (FP/FACE/BIODATA). */
export interface StoredTemplate {
  readonly pin: string;
  readonly table: TemplateTable;
  /** FID of FP and FACE lines; BIODATA's No. */
  readonly fid: number;
  readonly tmp: string;
  /** BIODATA only. */
  readonly biodata?: {
    readonly index: number;
    readonly type: string;
    readonly major: string;
    readonly minor: string;
  };
}

export interface AdmsTerminalStats {
  handshakes: number;
  uploads: number;
  okReplies: number;
  nonOkReplies: number;
  networkErrors: number;
  /** Batches sent again after a non-OK or failed upload. */
  resends: number;
  polls: number;
  commands: Record<string, number>;
  /** Records in uploads that got OK (resends and query uploads included). */
  recordsAcknowledged: number;
  lastStatus: number | null;
}

interface Handshake {
  readonly delayMs: number;
  readonly errorDelayMs: number;
  readonly timeZoneMinutes: number;
  readonly attlogStamp: number | null;
}

export class AdmsTerminal {
  private readonly log: TerminalPunch[] = [];
  /** Sequence number (1-based) of the last record the server acknowledged. */
  private stampValue = 0;
  private handshake: Handshake | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private nextPollAt = 0;
  private sentInfo = false;
  private clockOffsetMs = 0;
  private readonly queryQueue: { records: TerminalPunch[]; onDone?: () => void }[] = [];
  private userTable: AdmsTerminalUser[];
  /** OPERLOG uploads waiting (user lines), each answered OK before the next. */
  private readonly operlogQueue: { lines: string[]; onDone?: () => void }[] = [];
  private readonly pendingReplies: string[] = [];
  private readonly faults: AdmsFaultBook;
  private lastFailedBatch: string | null = null;
  readonly stats: AdmsTerminalStats = {
    handshakes: 0,
    uploads: 0,
    okReplies: 0,
    nonOkReplies: 0,
    networkErrors: 0,
    resends: 0,
    polls: 0,
    commands: {},
    recordsAcknowledged: 0,
    lastStatus: null,
  };

  constructor(private readonly options: AdmsTerminalOptions) {
    this.log.push(...(options.punches ?? []));
    this.faults = new AdmsFaultBook(options.faults ?? []);
    this.userTable = [...(options.users ?? [])];
  }

  /** Templates written with DATA UPDATE FINGERTMP / FACE / BIODATA (uploaded with the user in the same form). */
  get templates(): readonly StoredTemplate[] {
    return this.templateTable;
  }

  private templateTable: StoredTemplate[] = [];

  /** The users in the terminal's memory now. */
  get users(): readonly AdmsTerminalUser[] {
    return this.userTable;
  }

  /**
   * Someone enrols (or edits) a user at the terminal: it keeps the user and pushes the USER line, and its
   * FP/FACE lines, as an OPERLOG on its own. Extra raw lines (even garbage) can ride along.
   */
  enrol(user: AdmsTerminalUser, extraLines: readonly string[] = []): void {
    this.userTable = [...this.userTable.filter((u) => u.pin !== user.pin), user];
    this.operlogQueue.push({ lines: [...this.userLines(user), ...extraLines] });
    this.wake();
  }

  get serialNumber(): string {
    return this.options.serialNumber;
  }

  /** The terminal's own stamp: how many of its records the server acknowledged (in order). */
  get stamp(): number {
    return this.stampValue;
  }

  get punches(): readonly TerminalPunch[] {
    return this.log;
  }

  /** Server settings from the last handshake, null before one succeeded. */
  get settings(): Readonly<Handshake> | null {
    return this.handshake;
  }

  /** The terminal's wall clock now (set by SET OPTION DateTime and the server's TimeZone). */
  deviceNow(): string {
    return epochMsToNaive(Date.now() + (this.handshake?.timeZoneMinutes ?? 0) * 60_000 + this.clockOffsetMs);
  }

  addFault(fault: AdmsFault): void {
    this.faults.add(fault);
  }

  faultsFired(): ReturnType<AdmsFaultBook["fired"]> {
    return this.faults.fired();
  }

  /** People punch: appended to the log, pushed at once (Realtime). */
  punch(...punches: TerminalPunch[]): void {
    this.log.push(...punches);
    this.wake();
  }

  /** True once every record is acknowledged and no DATA QUERY upload is pending. */
  get idle(): boolean {
    return this.stampValue >= this.log.length && this.queryQueue.length === 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = null;
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private path(route: "cdata" | "getrequest" | "devicecmd", query: string): string {
    const key = this.options.key ? `&key=${encodeURIComponent(this.options.key)}` : "";
    return `/iclock/${route}${this.options.aspx ? ".aspx" : ""}?SN=${encodeURIComponent(this.options.serialNumber)}${key}${query}`;
  }

  private async send(
    kind: "handshake" | "attlog" | "poll" | "devicecmd",
    method: "GET" | "POST",
    path: string,
    body?: string,
    extra: { abortMidBody?: boolean; trickle?: { chunks: number; gapMs: number } } = {},
  ): Promise<TerminalResponse | null> {
    const started = performance.now();
    try {
      const response = await terminalRequest({
        host: this.options.host,
        port: this.options.port,
        method,
        path,
        body,
        timeoutMs: this.options.requestTimeoutMs ?? 5_000,
        agent: this.options.agent,
        ...extra,
      });
      this.stats.lastStatus = response.status;
      this.options.onReply?.(kind, performance.now() - started, response.status);
      return response;
    } catch {
      this.stats.networkErrors++;
      // Firmware starts over with a handshake after losing the server.
      this.handshake = null;
      return null;
    }
  }

  private get errorDelayMs(): number {
    return this.options.errorDelayMs ?? this.handshake?.errorDelayMs ?? 30_000;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.handshake) {
        if (!(await this.doHandshake())) await this.sleep(this.errorDelayMs);
        continue;
      }
      if (this.pendingReplies.length > 0) {
        await this.sendReplies();
        continue;
      }
      const operlog = this.operlogQueue[0];
      if (operlog) {
        if (await this.uploadOperlog(operlog.lines)) {
          this.operlogQueue.shift();
          operlog.onDone?.();
        } else await this.sleep(this.errorDelayMs);
        continue;
      }
      const query = this.queryQueue[0];
      if (query) {
        const size = this.options.batchSize ?? 100;
        if (query.records.length === 0 || (await this.upload(query.records.slice(0, size), null))) {
          query.records.splice(0, size);
          if (query.records.length === 0) {
            this.queryQueue.shift();
            query.onDone?.();
          }
        } else await this.sleep(this.errorDelayMs);
        continue;
      }
      if (this.stampValue < this.log.length) {
        const end = Math.min(this.log.length, this.stampValue + (this.options.batchSize ?? 100));
        if (await this.upload(this.log.slice(this.stampValue, end), end))
          this.stampValue = Math.max(this.stampValue, end);
        else await this.sleep(this.errorDelayMs);
        continue;
      }
      const wait = this.nextPollAt - Date.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      await this.poll();
    }
  }

  private async doHandshake(): Promise<boolean> {
    const response = await this.send(
      "handshake",
      "GET",
      this.path("cdata", "&options=all&pushver=2.4.1&language=69"),
    );
    if (!response || response.status !== 200 || !response.body.startsWith("GET OPTION FROM:")) return false;
    const options = new Map<string, string>();
    for (const line of response.body.split(/\r?\n/)) {
      const eq = line.indexOf("=");
      if (eq > 0) options.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const num = (key: string, fallback: number): number => {
      const value = Number(options.get(key));
      return Number.isFinite(value) ? value : fallback;
    };
    const tz = num("TimeZone", 0);
    const stampText = options.get("ATTLOGStamp");
    const attlogStamp = stampText && /^\d+$/.test(stampText) ? Number(stampText) : null;
    this.handshake = {
      delayMs: num("Delay", 10) * 1000,
      errorDelayMs: num("ErrorDelay", 30) * 1000,
      // Whole hours, or minutes for half and quarter hours (a value beyond ±14 is minutes).
      timeZoneMinutes: Math.abs(tz) <= 14 ? tz * 60 : tz,
      attlogStamp,
    };
    // The server's stamp is authoritative: 0/None means "send everything again".
    this.stampValue = Math.min(attlogStamp ?? 0, this.log.length);
    this.stats.handshakes++;
    this.sentInfo = false;
    this.nextPollAt = 0;
    return true;
  }

  private line(p: TerminalPunch): string {
    const fields = [p.userId, p.time, String(p.state ?? 0), String(p.verify ?? 1), "0", "0", "0"];
    if (this.options.extraFields) fields.push("0", "36.5", "97.7", "+19800", "");
    return fields.join("\t");
  }

  /** One ATTLOG POST; true when the server answered OK (and the OK was not "lost"). */
  private async upload(records: readonly TerminalPunch[], stampAfter: number | null): Promise<boolean> {
    const eol = this.options.lineEnding ?? "\n";
    const lines = records.map((r) => this.line(r));
    const garbage = this.faults.take("malformedLines");
    if (garbage) lines.push(...garbage.lines);
    const text = lines.join(eol) + eol;
    const stamp = stampAfter === null ? "" : `&Stamp=${stampAfter}`;
    const form = this.options.formEncoded;
    const path = form ? this.path("cdata", "") : this.path("cdata", `&table=ATTLOG${stamp}`);
    const body = form
      ? `table=ATTLOG${stampAfter === null ? "" : `&Stamp=${stampAfter}`}&data=${encodeURIComponent(text)}`
      : text;
    if (this.lastFailedBatch === body) this.stats.resends++;
    const slow = this.faults.take("slowBody");
    this.stats.uploads++;
    const response = await this.send("attlog", "POST", path, body, {
      abortMidBody: this.faults.take("abortUpload") !== undefined,
      ...(slow ? { trickle: { chunks: slow.chunks, gapMs: slow.gapMs } } : {}),
    });
    const ok = response !== null && response.status === 200 && response.body.startsWith("OK");
    if (ok && !this.faults.take("dropOk")) {
      this.stats.okReplies++;
      this.stats.recordsAcknowledged += records.length;
      this.lastFailedBatch = null;
      return true;
    }
    if (response) this.stats.nonOkReplies++;
    this.lastFailedBatch = body;
    return false;
  }

  private userLines(u: AdmsTerminalUser): string[] {
    const lines = [
      `USER PIN=${u.pin}\tName=${u.name}\tPri=${u.pri ?? 0}\tPasswd=${u.passwd ?? ""}\tCard=${u.card ?? ""}\tGrp=${u.grp ?? "1"}\tTZ=0000000000000000\tVerify=0\tViceCard=`,
    ];
    const stored = this.templateTable.filter((t) => t.pin === u.pin);
    for (let fid = 0; fid < (u.fingerprints ?? 0); fid++)
      if (!stored.some((t) => t.table === "FINGERTMP" && t.fid === fid))
        lines.push(`FP PIN=${u.pin}\tFID=${fid}\tSize=8\tValid=1\tTMP=U0lNRlBUTVA=`);
    if (u.face && !stored.some((t) => t.table === "FACE" && t.fid === 0))
      lines.push(`FACE PIN=${u.pin}\tFID=0\tSize=8\tValid=1\tTMP=U0lNRkFDRQ==`);
    for (const t of stored) {
      const size = Buffer.from(t.tmp, "base64").length;
      if (t.table === "FINGERTMP")
        lines.push(`FP PIN=${u.pin}\tFID=${t.fid}\tSize=${size}\tValid=1\tTMP=${t.tmp}`);
      else if (t.table === "FACE")
        lines.push(`FACE PIN=${u.pin}\tFID=${t.fid}\tValid=1\tSize=${size}\tTMP=${t.tmp}`);
      else
        lines.push(
          `BIODATA Pin=${u.pin}\tNo=${t.fid}\tIndex=${t.biodata!.index}\tValid=1\tDuress=0\tType=${t.biodata!.type}` +
            `\tMajorVer=${t.biodata!.major}\tMinorVer=${t.biodata!.minor}\tFormat=0\tTmp=${t.tmp}`,
        );
    }
    return lines;
  }

  private async uploadOperlog(lines: readonly string[]): Promise<boolean> {
    const eol = this.options.lineEnding ?? "\n";
    this.stats.uploads++;
    // The upload faults hit user uploads too (as they would any of the terminal's requests).
    const slow = this.faults.take("slowBody");
    const response = await this.send(
      "attlog",
      "POST",
      this.path("cdata", `&table=OPERLOG&Stamp=${Date.now() % 1_000_000}`),
      lines.join(eol) + eol,
      {
        abortMidBody: this.faults.take("abortUpload") !== undefined,
        ...(slow ? { trickle: { chunks: slow.chunks, gapMs: slow.gapMs } } : {}),
      },
    );
    const ok = response !== null && response.status === 200 && response.body.startsWith("OK");
    if (ok) this.stats.okReplies++;
    else if (response) this.stats.nonOkReplies++;
    return ok;
  }

  /**
   * DATA UPDATE FINGERTMP / FACE (PIN, FID, Size = bytes of the decoded template, Valid, TMP) and BIODATA (Pin,
   * No, Index, Type, MajorVer, MinorVer, Tmp): stored for a user the terminal holds. Returns the Return code.
   */
  private writeTemplate(table: TemplateTable, body: string): number {
    if (!(this.options.templateTables ?? ["FINGERTMP", "FACE", "BIODATA"]).includes(table)) return -1002;
    const f = new Map<string, string>();
    for (const part of body.split("\t")) {
      const eq = part.indexOf("=");
      if (eq > 0) f.set(part.slice(0, eq).trim(), part.slice(eq + 1));
    }
    const pin = f.get("PIN") ?? f.get("Pin") ?? "";
    const fid = Number(table === "BIODATA" ? f.get("No") : f.get("FID"));
    const tmp = f.get("TMP") ?? f.get("Tmp") ?? "";
    if (!this.userTable.some((u) => u.pin === pin)) return -10;
    if (!Number.isInteger(fid) || fid < 0 || fid > (table === "FACE" ? 99 : 9) || tmp === "") return -1;
    let biodata: StoredTemplate["biodata"];
    if (table === "BIODATA") {
      const type = f.get("Type") ?? "";
      const index = Number(f.get("Index") ?? "0");
      if (!["1", "2", "9"].includes(type) || !Number.isInteger(index)) return -1;
      biodata = { index, type, major: f.get("MajorVer") ?? "0", minor: f.get("MinorVer") ?? "0" };
    } else if (Buffer.from(tmp, "base64").length !== Number(f.get("Size"))) return -1;
    const same = (t: StoredTemplate): boolean =>
      t.pin === pin &&
      t.table === table &&
      t.fid === fid &&
      t.biodata?.type === biodata?.type &&
      t.biodata?.index === biodata?.index;
    this.templateTable = [
      ...this.templateTable.filter((t) => !same(t)),
      { pin, table, fid, tmp, ...(biodata && { biodata }) },
    ];
    return 0;
  }

  /** DATA UPDATE / DELETE / QUERY USERINFO, as ZK firmware runs them. */
  private userCommand(command: string, reply: (cmd: string, code?: number) => void): void {
    const m = /^DATA (UPDATE|DELETE|QUERY) USERINFO ?(.*)$/.exec(command)!;
    const fields = new Map<string, string>();
    for (const part of (m[2] ?? "").split("\t")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const pin = fields.get("PIN");
    const existing = pin === undefined ? undefined : this.userTable.find((u) => u.pin === pin);
    switch (m[1]) {
      case "UPDATE": {
        const name = fields.get("Name") ?? existing?.name ?? "";
        // Firmware limits: a PIN of 1–9 letters or digits, a 24-byte name.
        if (!pin || !/^[A-Za-z0-9]{1,9}$/.test(pin) || Buffer.byteLength(name) > 24) return reply("DATA", -1);
        const user: AdmsTerminalUser = {
          ...existing,
          pin,
          name,
          pri: Number(fields.get("Pri") ?? existing?.pri ?? 0),
          card: fields.get("Card") ?? existing?.card ?? "",
          passwd: fields.get("Passwd") ?? existing?.passwd ?? "",
          grp: fields.get("Grp") ?? existing?.grp ?? "1",
        };
        this.userTable = existing
          ? this.userTable.map((u) => (u === existing ? user : u))
          : [...this.userTable, user];
        return reply("DATA");
      }
      case "DELETE":
        if (!existing) return reply("DATA", -10);
        this.userTable = this.userTable.filter((u) => u !== existing);
        this.templateTable = this.templateTable.filter((t) => t.pin !== existing.pin);
        return reply("DATA");
      default: {
        if (pin !== undefined && !existing) return reply("DATA", -10);
        const users = existing ? [existing] : this.userTable;
        // The users go up as an OPERLOG, then the command is answered.
        this.operlogQueue.push({
          lines: users.flatMap((u) => this.userLines(u)),
          onDone: () => reply("DATA"),
        });
      }
    }
  }

  private async poll(): Promise<void> {
    const info = this.sentInfo
      ? ""
      : `&INFO=${encodeURIComponent(`${this.options.firmware ?? "Ver 8.0.4.2"},3,3,${this.log.length},127.0.0.1,10,7,15,0,111`)}`;
    const response = await this.send("poll", "GET", this.path("getrequest", info));
    this.stats.polls++;
    this.nextPollAt = Date.now() + (this.options.pollIntervalMs ?? this.handshake?.delayMs ?? 10_000);
    if (!response || response.status !== 200) return;
    this.sentInfo = true;
    for (const line of response.body.split(/\r?\n/)) {
      const m = /^C:([^:]+):(.*)$/.exec(line);
      if (m) this.runCommand(m[1]!, m[2]!);
    }
  }

  private async sendReplies(): Promise<void> {
    const body = this.pendingReplies.join("\n") + "\n";
    const response = await this.send("devicecmd", "POST", this.path("devicecmd", ""), body);
    if (response && response.status === 200) this.pendingReplies.length = 0;
    else await this.sleep(this.errorDelayMs);
  }

  private runCommand(id: string, command: string): void {
    const word = command.split(" ")[0] ?? "";
    this.stats.commands[word] = (this.stats.commands[word] ?? 0) + 1;
    if (this.faults.take("ignoreCommands")) return;
    const failing = this.faults.take("commandFails", (f) => f.command === word);
    const reply = (cmd: string, extra = ""): void => {
      this.pendingReplies.push(`ID=${id}&Return=${failing ? failing.returnCode : 0}&CMD=${cmd}${extra}`);
    };
    if (failing) {
      reply(word);
      return;
    }
    const template = /^DATA UPDATE (FINGERTMP|FACE|BIODATA) (.*)$/.exec(command);
    if (template) {
      const code = this.writeTemplate(template[1] as TemplateTable, template[2]!);
      this.pendingReplies.push(`ID=${id}&Return=${code}&CMD=DATA`);
      return;
    }
    if (/^DATA (UPDATE|DELETE|QUERY) USERINFO\b/.test(command)) {
      this.userCommand(command, (cmd, code = 0) =>
        this.pendingReplies.push(`ID=${id}&Return=${code}&CMD=${cmd}`),
      );
      return;
    }
    if (command.startsWith("DATA QUERY ATTLOG")) {
      const start = parseNaive(/StartTime=([^\t]*)/.exec(command)?.[1] ?? "");
      const end = parseNaive(/EndTime=([^\t]*)/.exec(command)?.[1] ?? "");
      const range = this.log.filter((p) => (!start || p.time >= start) && (!end || p.time <= end));
      if (this.options.replyBeforeQueryUpload) {
        reply("DATA");
        this.queryQueue.push({ records: range });
      } else {
        this.queryQueue.push({ records: range, onDone: () => reply("DATA") });
      }
      return;
    }
    switch (word) {
      case "CHECK":
        reply("CHECK");
        this.handshake = null;
        return;
      case "INFO":
        this.pendingReplies.push(
          [
            `ID=${id}&Return=0&CMD=INFO`,
            `~DeviceName=SIM-${this.options.serialNumber}`,
            `FirmVer=${this.options.firmware ?? "Ver 8.0.4.2"}`,
            `~Platform=ZMM220_TFT`,
            "UserCount=3",
            `TransactionCount=${this.log.length}`,
            "MaxUserCount=3000",
            "MaxAttLogCount=100000",
          ].join("\n"),
        );
        return;
      case "SET": {
        const value = /^SET OPTION DateTime=(.*)$/.exec(command)?.[1];
        if (value !== undefined) {
          const parts = /^\d+$/.test(value) ? decodePackedTime(Number(value)) : null;
          const wall = parts && isValidParts(parts) ? formatNaive(parts) : parseNaive(value);
          if (!wall) {
            this.pendingReplies.push(`ID=${id}&Return=-1&CMD=SET OPTION`);
            return;
          }
          const nowWall = Date.now() + (this.handshake?.timeZoneMinutes ?? 0) * 60_000;
          this.clockOffsetMs = naiveToEpochMs(wall) - nowWall;
        }
        reply("SET OPTION");
        return;
      }
      case "LOG":
      case "REBOOT":
        reply(word);
        if (word === "REBOOT") this.handshake = null;
        return;
      default:
        this.pendingReplies.push(`ID=${id}&Return=-1002&CMD=${word}`);
    }
  }
}
