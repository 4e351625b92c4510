import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import {
  DESK_USERS,
  SITE_TIME_ZONE,
  naive,
  naiveToMs,
  seedDeskData,
  type CommandDoc,
  type DeskData,
  type DeskUser,
  type DeviceDoc,
  type EmployeeDoc,
  type PunchDoc,
  type SyncLogDoc,
} from "./fakeDeskData.js";
import { punchFilters } from "../../frontend/src/utils/filters.js";

/**
 * A stand-in for a Frappe v15 site as the HR page at /biometric meets it, for the browser suite:
 *
 * - the page itself: GET /biometric[/<path>] renders biometric_sync/www/biometric.html (the vite build) with the
 *   boot data of www/biometric.py in place of its Jinja block; guests are redirected to /login?redirect-to=…,
 *   users without Biometric Manager, HR Manager or System Manager to /login; /assets/biometric_sync/frontend/*
 *   serves the build;
 * - session login: POST /api/method/login {usr, pwd} sets the `sid` cookie; POSTs must carry the session's
 *   X-Frappe-CSRF-Token (Frappe answers 400 CSRFTokenError otherwise);
 * - exactly the whitelisted methods the page calls, with the app's role rules and error shapes (HTTP status +
 *   `code` + _server_messages): biometric_sync.api.ui.{overview, devices, device, sidecars, unmapped_groups
 *   (with device names and name suggestions), find_employees, map_user_id, accept_suggestions}, biometric_sync.api.desk.{sync_now, test_connection, command_status},
 *   frappe.client.{get_list, get, set_value}, frappe.desk.reportview.get_count, biometric_sync.api.ui.punches;
 * - Frappe's socket.io server on its own port (boot socketio_port): namespace /<site>, Origin host = Host host,
 *   the `sid` cookie authenticates, rooms user:<user> / all, doc_subscribe (only for users who may read the
 *   doctype). Commands run as a sidecar would run them: Claimed, then progress steps, then Done, each step
 *   publishing `biometric_sync:progress` {command, device} to the device's and the command's rooms, and
 *   processing publishes `biometric_sync:refresh` {device} — id-only, like biometric_sync.outbox / ingest.
 *
 * A mock at the site boundary: the whitelisted methods themselves are tested on a bench
 * (biometric_sync/tests/test_ui_api.py).
 */

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, "../..");

const SYSTEM_MANAGER = "System Manager";
const BIOMETRIC_MANAGER = "Biometric Manager";
const HR_MANAGER = "HR Manager";
const HR_USER = "HR User";
const PAGE_ROLES = [BIOMETRIC_MANAGER, HR_MANAGER, SYSTEM_MANAGER];
const MANAGER_ROLES = [BIOMETRIC_MANAGER, SYSTEM_MANAGER];
const READ_ROLES: Record<string, string[]> = {
  "Biometric Device": MANAGER_ROLES,
  "Biometric Sidecar": MANAGER_ROLES,
  "Biometric Command": MANAGER_ROLES,
  "Biometric Punch": [...MANAGER_ROLES, HR_MANAGER, HR_USER],
  "Biometric Sync Log": [...MANAGER_ROLES, HR_MANAGER, HR_USER],
  Employee: [SYSTEM_MANAGER, HR_MANAGER, HR_USER],
};
const WRITE_ROLES: Record<string, string[]> = {
  "Biometric Device": MANAGER_ROLES,
  Employee: [SYSTEM_MANAGER, HR_MANAGER, HR_USER],
};
const OPEN = ["Queued", "Claimed", "Running"];
const PROGRESS_EVENT = "biometric_sync:progress";
const REFRESH_EVENT = "biometric_sync:refresh";
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".map": "application/json",
};

class DeskError extends Error {
  constructor(
    readonly status: number,
    readonly excType: string,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** biometric_sync.errors.fail(): HTTP status, `code`, and the message with the code as its title. */
/** Lower-case ASCII words (biometric_sync.users.name_match.normalise). */
function nameWords(name: string): string[] {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * The site's name matching, simplified for the fake: the same words are 1, the same words in another order
 * 0.95, else word by word (equal 1, cut short 0.8, an initial 0.6) over the longer name; confident at 0.9 or
 * more with no other employee within 0.05.
 */
function suggest(
  deviceName: string,
  employees: readonly EmployeeDoc[],
): { employee: string; employee_name: string; score: number; confident: boolean }[] {
  const mine = nameWords(deviceName);
  const word = (a: string, b: string): number => {
    if (a === b) return 1;
    const [s, l] = a.length <= b.length ? [a, b] : [b, a];
    if (!l.startsWith(s)) return 0;
    return s.length === 1 ? 0.6 : s.length >= 3 ? 0.8 : 0;
  };
  const scored = employees
    .map((e) => {
      const theirs = nameWords(e.employee_name);
      let score = 0;
      if (mine.join(" ") === theirs.join(" ")) score = 1;
      else if ([...mine].sort().join(" ") === [...theirs].sort().join(" ")) score = 0.95;
      else if (mine.length === theirs.length) {
        const parts = mine.map((w, i) => word(w, theirs[i]!));
        if (parts.every((p) => p > 0)) score = Math.min(0.94, parts.reduce((x, y) => x + y, 0) / mine.length);
      }
      return { employee: e.name, employee_name: e.employee_name, score };
    })
    .filter((s) => s.score >= 0.5)
    .sort((a, b) => b.score - a.score || a.employee_name.localeCompare(b.employee_name))
    .slice(0, 3);
  return scored.map((s, i) => ({
    ...s,
    confident: i === 0 && s.score >= 0.9 && s.score - (scored[1]?.score ?? 0) >= 0.05,
  }));
}

function fail(status: number, code: string, message: string): never {
  const excType = {
    400: "InvalidArgumentError",
    403: "NotPermittedError",
    404: "NotFoundError",
    409: "ConflictError",
  }[status];
  throw new DeskError(status, excType ?? "BiometricSyncError", message, code);
}

export interface DeskFault {
  /** Only methods (or paths) matching this; all /api calls when absent. */
  readonly match?: RegExp;
  /** Answer with this status (a gateway error: 502/503/504), or hang up when absent. */
  readonly status?: number;
  times: number;
}

export interface FakeDeskSiteOptions {
  /** Repository root holding biometric_sync/www/biometric.html and biometric_sync/public/frontend. */
  readonly root?: string;
  readonly seed?: "day" | "empty";
  /** Site-local wall time the fake's clock starts at. */
  readonly clockStart?: string;
  /** Milliseconds between a running pull's progress reports, and how many it makes. */
  readonly stepMs?: number;
  readonly steps?: number;
  /** Milliseconds between a replay (or a pull) and the processing of its punches. */
  readonly processMs?: number;
}

interface Session {
  readonly user: DeskUser;
  readonly csrf: string;
}

type Params = Record<string, unknown>;

interface Context {
  readonly user: DeskUser | null;
  readonly params: Params;
}

export class FakeDeskSite {
  readonly siteName = "bsync.test";
  readonly data: DeskData;
  readonly calls: { method: string; status: number; user: string }[] = [];
  /** Rooms joined through doc_subscribe, as "user → doc:<doctype>/<name>". */
  readonly subscriptions: { user: string; room: string }[] = [];
  readonly published: { event: string; room: string; payload: unknown }[] = [];
  url = "";
  socketioPort = 0;
  /** Every /api request fails as if the site were down (connection closed). */
  unreachable = false;
  private readonly faults: DeskFault[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private server: http.Server | null = null;
  private socketServer: http.Server | null = null;
  private io: Server | null = null;
  private readonly root: string;
  private readonly clockStart: number;
  private readonly startedAt = Date.now();
  private readonly stepMs: number;
  private readonly steps: number;
  private readonly processMs: number;
  private nextCommand = 1000;
  private nextLog = 9000;
  private nextPunch = 1;

  constructor(options: FakeDeskSiteOptions = {}) {
    this.root = options.root ?? REPO_ROOT;
    this.clockStart = naiveToMs(options.clockStart ?? "2026-11-21 11:42:00");
    this.stepMs = options.stepMs ?? 150;
    this.steps = options.steps ?? 10;
    this.processMs = options.processMs ?? 300;
    this.data = seedDeskData(this.clockStart, options.seed ?? "day");
  }

  /** The site's clock (site-local wall time as UTC ms): the seeded start plus the real time since. */
  now(): number {
    return this.clockStart + (Date.now() - this.startedAt);
  }

  nowNaive(): string {
    return naive(this.now());
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.socketServer = http.createServer();
    this.io = new Server(this.socketServer, { cors: { origin: true, credentials: true } });
    this.setupRealtime(this.io);
    await new Promise<void>((r) => this.socketServer!.listen(0, "127.0.0.1", r));
    this.socketioPort = (this.socketServer.address() as AddressInfo).port;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await new Promise<void>((r) => (this.io ? void this.io.close(() => r()) : r()));
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.io = null;
    this.server = null;
    this.socketServer = null;
  }

  fail(fault: DeskFault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.unreachable = false;
  }

  /** Drops every browser socket (a restart of the realtime server); clients reconnect on their own. */
  dropRealtime(): void {
    this.io?.of(`/${this.siteName}`).disconnectSockets(true);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  // ---------------------------------------------------------------- HTTP

  private sessionOf(req: http.IncomingMessage): Session | null {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
    return sid ? (this.sessions.get(sid) ?? null) : null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const path = decodeURIComponent(url.pathname);
    try {
      if (path.startsWith("/api/method/")) return await this.handleApi(req, res, url);
      if (req.method !== "GET") return this.text(res, 405, "Method Not Allowed");
      if (path === "/biometric" || path.startsWith("/biometric/")) return await this.page(req, res, url);
      if (path.startsWith("/assets/biometric_sync/frontend/")) return await this.asset(res, path);
      if (path === "/login") return this.loginPage(res, url);
      if (path === "/app" || path.startsWith("/app/")) return this.html(res, 200, "<h1>Desk</h1>");
      return this.text(res, 404, "Not Found");
    } catch (error) {
      return this.text(res, 500, String(error));
    }
  }

  private text(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(body);
  }

  private html(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
    res.end(body);
  }

  private redirect(res: http.ServerResponse, location: string): void {
    res.writeHead(302, { Location: location });
    res.end();
  }

  /** www/biometric.py: role check, then the built page with its boot data. */
  private async page(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const session = this.sessionOf(req);
    // www/biometric.py: quote(frappe.request.path) — the decoded path, encoded once.
    if (!session)
      return this.redirect(res, `/login?redirect-to=${encodeURIComponent(decodeURIComponent(url.pathname))}`);
    if (!this.hasRole(session.user, PAGE_ROLES)) return this.redirect(res, "/login");
    const template = await readFile(resolve(this.root, "biometric_sync/www/biometric.html"), "utf8");
    const boot: Params = {
      csrf_token: session.csrf,
      site_name: this.siteName,
      socketio_port: this.socketioPort,
      user: session.user.name,
      user_fullname: session.user.full_name,
      roles: session.user.roles.filter((r) => PAGE_ROLES.includes(r)).sort(),
      can_manage: this.hasRole(session.user, MANAGER_ROLES),
      lookup_field: this.data.settings.employee_lookup_field,
      time_zone: SITE_TIME_ZONE,
    };
    // Jinja's `tojson` escapes <, >, & and ' so the values cannot end the script element.
    const tojson = (value: unknown): string =>
      JSON.stringify(value)
        .replace(/</g, "\\u003c")
        .replace(/>/g, "\\u003e")
        .replace(/&/g, "\\u0026")
        .replace(/'/g, "\\u0027");
    const rendered = template.replace(
      /\{%\s*for key in boot\s*%\}[\s\S]*?\{%\s*endfor\s*%\}/,
      Object.entries(boot)
        .map(([key, value]) => `window["${key}"] = ${tojson(value)};`)
        .join("\n"),
    );
    if (/\{[{%]/.test(rendered.replace(/<script[\s\S]*?<\/script>/g, ""))) {
      throw new Error("biometric.html has Jinja this fake does not render");
    }
    this.html(res, 200, rendered);
  }

  private async asset(res: http.ServerResponse, path: string): Promise<void> {
    const base = resolve(this.root, "biometric_sync/public/frontend");
    const file = resolve(base, path.slice("/assets/biometric_sync/frontend/".length));
    if (!file.startsWith(base + sep)) return this.text(res, 404, "Not Found");
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return this.text(res, 404, "Not Found");
    }
    res.writeHead(200, {
      "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "Cache-Control": "max-age=31536000",
    });
    res.end(body);
  }

  private loginPage(res: http.ServerResponse, url: URL): void {
    const to = url.searchParams.get("redirect-to") ?? "/app";
    this.html(
      res,
      200,
      `<!doctype html><title>Login</title><h1 data-testid="login">Login</h1>
<form id="f"><input name="usr" placeholder="Email"><input name="pwd" type="password"><button>Login</button></form>
<script>document.getElementById("f").onsubmit=async(e)=>{e.preventDefault();const d=new FormData(e.target);
const r=await fetch("/api/method/login",{method:"POST",headers:{"Content-Type":"application/json"},
body:JSON.stringify({usr:d.get("usr"),pwd:d.get("pwd")})});if(r.ok)location.href=${JSON.stringify(to)};};</script>`,
    );
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = url.pathname.slice("/api/method/".length);
    const fault = this.faults.find((f) => f.times > 0 && (!f.match || f.match.test(method)));
    if (this.unreachable || fault) {
      if (fault) fault.times--;
      if (!fault?.status) {
        req.socket.destroy();
        return;
      }
      return this.html(res, fault.status, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let params: Params = Object.fromEntries(url.searchParams);
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === "string" && /^[[{]/.test(value)) {
        try {
          params[key] = JSON.parse(value) as unknown;
        } catch {
          // a plain string after all
        }
      }
    }
    if (req.method === "POST" && chunks.length) {
      const text = Buffer.concat(chunks).toString("utf8");
      params = { ...params, ...(JSON.parse(text || "{}") as Params) };
    }
    const session = this.sessionOf(req);
    const user = session?.user ?? null;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.calls.push({ method, status, user: user?.name ?? "Guest" });
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    try {
      if (method === "login") return this.login(params, send);
      if (req.method === "POST" && session && req.headers["x-frappe-csrf-token"] !== session.csrf) {
        throw new DeskError(400, "CSRFTokenError", "Invalid Request");
      }
      const handler = this.methods[method];
      if (!handler) throw new DeskError(404, "DoesNotExistError", `Method ${method} not found`);
      if (!user) throw new DeskError(403, "PermissionError", "Not permitted");
      const message = handler({ user, params });
      send(200, { message });
    } catch (error) {
      if (!(error instanceof DeskError)) throw error;
      send(error.status, {
        exc_type: error.excType,
        exception: `${error.excType}: ${error.message}`,
        _server_messages: JSON.stringify([
          JSON.stringify({ message: error.message, title: error.code ?? "Message", indicator: "red" }),
        ]),
        ...(error.code && { code: error.code }),
      });
    }
  }

  private login(
    params: Params,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    const user = DESK_USERS.find((u) => u.name === params.usr && u.password === params.pwd);
    if (!user) throw new DeskError(401, "AuthenticationError", "Invalid login credentials");
    const sid = randomBytes(16).toString("hex");
    this.sessions.set(sid, { user, csrf: randomBytes(12).toString("hex") });
    send(
      200,
      { message: "Logged In", home_page: "/app", full_name: user.full_name },
      { "Set-Cookie": `sid=${sid}; Path=/; HttpOnly; SameSite=Lax` },
    );
  }

  // ---------------------------------------------------------------- permissions

  private hasRole(user: DeskUser, roles: readonly string[]): boolean {
    return user.roles.some((r) => roles.includes(r));
  }

  private requirePageUser(user: DeskUser | null): DeskUser {
    if (!user || !this.hasRole(user, PAGE_ROLES))
      fail(403, "NOT_PERMITTED", "Only a Biometric Manager, HR Manager or System Manager may do this");
    return user;
  }

  private requireManager(user: DeskUser | null): DeskUser {
    if (!user || !this.hasRole(user, MANAGER_ROLES))
      fail(403, "NOT_PERMITTED", "Only a Biometric Manager may do this");
    return user;
  }

  private canRead(user: DeskUser, doctype: string): boolean {
    return this.hasRole(user, READ_ROLES[doctype] ?? [SYSTEM_MANAGER]);
  }

  private requireRead(user: DeskUser, doctype: string): void {
    if (!this.canRead(user, doctype))
      throw new DeskError(403, "PermissionError", `No permission for ${doctype}`);
  }

  // ---------------------------------------------------------------- whitelisted methods

  private readonly methods: Record<string, (ctx: Context) => unknown> = {
    "biometric_sync.api.ui.overview": ({ user }) => {
      this.requirePageUser(user);
      return this.overview();
    },
    "biometric_sync.api.ui.devices": ({ user }) => {
      this.requirePageUser(user);
      return {
        now: this.nowNaive(),
        can_manage: this.hasRole(user!, MANAGER_ROLES),
        thresholds: this.thresholds(),
        devices: this.data.devices
          .map((d) => ({
            ...this.publicDevice(d),
            last_sync: this.lastSync(d.name),
            open_command: this.openCommand(d.name),
          }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    },
    "biometric_sync.api.ui.device": ({ user, params }) => {
      this.requirePageUser(user);
      const device = this.device(params.name);
      const sidecar = this.data.sidecars.find((s) => s.name === device.sidecar);
      const commands = this.data.commands.filter((c) => c.device === device.name).slice(0, 10);
      const today = this.nowNaive().slice(0, 10);
      return {
        now: this.nowNaive(),
        can_manage: this.hasRole(user!, MANAGER_ROLES),
        thresholds: this.thresholds(),
        site_time_zone: SITE_TIME_ZONE,
        device: this.publicDevice(device),
        sidecar: sidecar
          ? {
              name: sidecar.name,
              status: sidecar.status,
              last_heartbeat: sidecar.last_heartbeat,
              location: sidecar.location,
            }
          : null,
        runs: this.data.logs
          .filter((l) => l.device === device.name)
          .slice(0, 10)
          .map(logRow),
        commands: commands.map(commandRow),
        open_command: commands.map(commandRow).find((c) => OPEN.includes(c.status)) ?? null,
        punches_today: this.data.punches.filter(
          (p) => p.device === device.name && p.site_time.startsWith(today),
        ).length,
        unmapped: this.data.punches.filter((p) => p.device === device.name && p.status === "Unmapped").length,
        can_clear: device.driver === "zk",
      };
    },
    "biometric_sync.api.ui.attendance": ({ user, params }) => {
      this.requirePageUser(user);
      const { marks, ...mode } = this.data.attendance;
      const yesterday = naive(naiveToMs(`${this.nowNaive().slice(0, 10)} 00:00:00`) - 86_400_000).slice(
        0,
        10,
      );
      const to = str(params.to_date) || yesterday;
      const from = str(params.from_date) || naive(naiveToMs(`${to} 00:00:00`) - 13 * 86_400_000).slice(0, 10);
      const inRange = marks.filter((m) => m.attendance_date >= from && m.attendance_date <= to);
      const days = [...new Set(inRange.map((m) => m.attendance_date))].sort().reverse();
      const day = str(params.day) || days[0] || null;
      const count = (d: string, pick: (m: (typeof marks)[number]) => boolean): number =>
        inRange.filter((m) => m.attendance_date === d && pick(m)).length;
      return {
        now: this.nowNaive(),
        ...mode,
        from_date: from,
        to_date: to,
        days: days.map((d) => ({
          day: d,
          present: count(d, (m) => m.outcome === "Present"),
          half_day: count(d, (m) => m.outcome === "Half Day"),
          absent: count(d, (m) => m.outcome === "Absent"),
          skipped: count(d, (m) => m.outcome === "Skipped"),
          late_punches: count(d, (m) => m.late_punch === 1),
        })),
        day,
        marks: marks
          .filter((m) => m.attendance_date === day)
          .sort((a, b) => a.employee_name.localeCompare(b.employee_name)),
        waiting: [],
      };
    },
    "biometric_sync.api.ui.sidecars": ({ user }) => {
      this.requirePageUser(user);
      return { now: this.nowNaive(), thresholds: this.thresholds(), sidecars: this.sidecarRows() };
    },
    "biometric_sync.api.ui.unmapped_groups": ({ user }) => {
      this.requirePageUser(user);
      const groups = new Map<
        string,
        {
          device_user_id: string;
          punches: number;
          first_seen: string;
          last_seen: string;
          devices: Set<string>;
        }
      >();
      const rows = this.data.punches.filter((p) => p.status === "Unmapped");
      for (const p of rows) {
        const g = groups.get(p.device_user_id) ?? {
          device_user_id: p.device_user_id,
          punches: 0,
          first_seen: p.site_time,
          last_seen: p.site_time,
          devices: new Set<string>(),
        };
        g.punches++;
        g.devices.add(p.device);
        if (p.site_time < g.first_seen) g.first_seen = p.site_time;
        if (p.site_time > g.last_seen) g.last_seen = p.site_time;
        groups.set(p.device_user_id, g);
      }
      const candidates = this.data.employees.filter((e) => e.status === "Active" && !e.attendance_device_id);
      return {
        now: this.nowNaive(),
        lookup_field: this.data.settings.employee_lookup_field,
        lookup_label: "Attendance Device ID (Biometric/RF tag ID)",
        total: rows.length,
        groups: [...groups.values()]
          .sort((a, b) => b.punches - a.punches || a.device_user_id.localeCompare(b.device_user_id))
          .map((g) => {
            const held = this.data.device_users.find(
              (u) => u.device_user_id === g.device_user_id && !u.removed_on && u.user_name,
            );
            const deviceName = held?.user_name ?? null;
            return {
              ...g,
              devices: [...g.devices].sort(),
              device_name: deviceName,
              suggestions: deviceName ? suggest(deviceName, candidates) : [],
            };
          }),
      };
    },
    "biometric_sync.api.ui.accept_suggestions": ({ user, params }) => {
      this.requirePageUser(user);
      const pairs = typeof params.pairs === "string" ? (JSON.parse(params.pairs) as unknown) : params.pairs;
      if (!Array.isArray(pairs)) fail(400, "INVALID_ARGUMENT", "pairs must be a list");
      const mapped = [];
      const failed = [];
      for (const pair of pairs as Params[]) {
        try {
          mapped.push(this.mapUserId(user, { device_user_id: pair.device_user_id, employee: pair.employee }));
        } catch (error) {
          if (!(error instanceof DeskError)) throw error;
          failed.push({
            device_user_id: pair.device_user_id,
            employee: pair.employee,
            code: error.code,
            error: error.message,
          });
        }
      }
      return { mapped, failed };
    },
    "biometric_sync.api.ui.find_employees": ({ user, params }) => {
      this.requirePageUser(user);
      this.requireRead(user!, "Employee");
      const txt = str(params.txt).trim().toLowerCase();
      return {
        lookup_field: this.data.settings.employee_lookup_field,
        employees: this.data.employees
          .filter((e) => e.status === "Active")
          .filter(
            (e) =>
              !txt ||
              e.name.toLowerCase().includes(txt) ||
              e.employee_name.toLowerCase().includes(txt) ||
              (e.attendance_device_id ?? "").toLowerCase().includes(txt),
          )
          .sort((a, b) => a.employee_name.localeCompare(b.employee_name))
          .slice(0, 20)
          .map((e) => ({
            name: e.name,
            employee_name: e.employee_name,
            department: e.department,
            designation: e.designation,
            lookup_value: e.attendance_device_id,
          })),
      };
    },
    "biometric_sync.api.ui.map_user_id": ({ user, params }) => this.mapUserId(user, params),
    "biometric_sync.api.desk.sync_now": ({ user, params }) => {
      this.requireManager(user);
      const device = this.device(params.device);
      const bound = (value: unknown, end: boolean): string | null => {
        if (!value) return null;
        const text = str(value).trim();
        if (!/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/.test(text))
          fail(400, "INVALID_ARGUMENT", `${text} is not a date or date and time`);
        return text.length === 10 ? `${text} ${end ? "23:59:59" : "00:00:00"}` : text;
      };
      const from = bound(params.from_time, false);
      const to = bound(params.to_time, true);
      if (from && to && from > to) fail(400, "INVALID_ARGUMENT", "From is after To");
      const type = from || to ? "pull_range" : "pull";
      return { command: this.createCommand(type, device, user!, from || to ? { from, to } : {}) };
    },
    "biometric_sync.api.desk.test_connection": ({ user, params }) => {
      this.requireManager(user);
      return { command: this.createCommand("test_connection", this.device(params.device), user!, {}) };
    },
    "biometric_sync.api.desk.clear_log": ({ user, params }) => {
      this.requireManager(user);
      const device = this.device(params.device);
      if (device.driver !== "zk" || !device.allow_clear_log)
        fail(400, "CLEAR_NOT_ALLOWED", `Allow Clear Log is off for ${device.name}`);
      const open = this.data.commands.find(
        (c) => c.device === device.name && c.command_type === "clear_log" && OPEN.includes(c.status),
      );
      return { command: open?.name ?? this.createCommand("clear_log", device, user!, {}) };
    },
    "biometric_sync.api.desk.command_status": ({ user, params }) => {
      this.requireManager(user);
      const command = this.data.commands.find((c) => c.name === params.command);
      if (!command)
        fail(404, "UNKNOWN_COMMAND", `Biometric Command ${String(params.command)} does not exist`);
      const log = command.sync_log ? this.data.logs.find((l) => l.name === command.sync_log) : undefined;
      return {
        ...commandRow(command),
        result: command.result ? (JSON.parse(command.result) as unknown) : null,
        ...(log && {
          sync_log_counts: {
            status: log.status,
            read_count: log.read_count,
            new_count: log.new_count,
            duplicate_count: log.duplicate_count,
            unmapped_count: log.unmapped_count,
            error_count: log.error_count,
          },
        }),
      };
    },
    "frappe.client.get_list": ({ user, params }) => {
      const doctype = String(params.doctype);
      this.requireRead(user!, doctype);
      let rows = this.filtered(doctype, params.filters, params.or_filters);
      rows = sortRows(rows, typeof params.order_by === "string" ? params.order_by : "modified desc");
      const start = Number(params.limit_start ?? 0) || 0;
      const length = params.limit_page_length === undefined ? 20 : Number(params.limit_page_length) || 0;
      const page = length ? rows.slice(start, start + length) : rows.slice(start);
      const fields = Array.isArray(params.fields) ? (params.fields as string[]) : ["name"];
      return page.map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? null])));
    },
    // As biometric_sync.api.ui.punches: the page's search, newest first.
    "biometric_sync.api.ui.punches": ({ user, params }) => {
      this.requirePageUser(user);
      this.requireRead(user!, "Biometric Punch");
      const { filters, or_filters } = punchFilters({
        employee: str(params.employee),
        user_id: params.user_id === undefined ? undefined : str(params.user_id),
        device: str(params.device),
        date: str(params.date),
        status: str(params.status),
      });
      const rows = sortRows(
        this.filtered("Biometric Punch", filters, or_filters),
        "site_time desc, name desc",
      );
      const start = Number(params.start ?? 0) || 0;
      return rows.slice(start, start + (Number(params.page_length) || 50));
    },
    "frappe.desk.reportview.get_count": ({ user, params }) => {
      const doctype = String(params.doctype);
      this.requireRead(user!, doctype);
      const count = this.filtered(doctype, params.filters, params.or_filters).length;
      const limit = Number(params.limit) || 0; // Frappe counts up to `limit` rows when one is given
      return limit ? Math.min(count, limit) : count;
    },
    "frappe.client.get": ({ user, params }) => {
      const doctype = String(params.doctype);
      this.requireRead(user!, doctype);
      const row = this.table(doctype).find((r) => r.name === params.name);
      if (!row) throw new DeskError(404, "DoesNotExistError", `${doctype} ${String(params.name)} not found`);
      return { doctype, ...row };
    },
    "frappe.client.set_value": ({ user, params }) => {
      const doctype = String(params.doctype);
      if (doctype !== "Biometric Device" || !this.hasRole(user!, WRITE_ROLES[doctype] ?? []))
        throw new DeskError(403, "PermissionError", `No permission for ${doctype}`);
      const device = this.device(params.name);
      const values = (
        typeof params.fieldname === "object" ? params.fieldname : { [str(params.fieldname)]: params.value }
      ) as Params;
      const port = values.port;
      if (port !== undefined && port !== null && !(Number(port) > 0 && Number(port) < 65536))
        throw new DeskError(417, "ValidationError", "Port must be between 1 and 65535");
      Object.assign(device, values, { modified: this.nowNaive() });
      this.createCommand("reload_config", null, user!, {}, device.sidecar);
      return { doctype, ...device };
    },
  };

  // ---------------------------------------------------------------- reads

  private thresholds() {
    const s = this.data.settings;
    return {
      clock_drift_seconds: s.clock_drift_alert_seconds,
      memory_percent: s.memory_alert_percent,
      sidecar_silence_minutes: s.sidecar_silence_minutes,
    };
  }

  private device(name: unknown): DeviceDoc {
    if (typeof name !== "string" || !name) fail(400, "INVALID_ARGUMENT", "device is required");
    const device = this.data.devices.find((d) => d.name === name);
    if (!device) fail(404, "UNKNOWN_DEVICE", `Biometric Device ${name} does not exist`);
    return device;
  }

  /** A device as the page may see it: no Password fields. */
  private publicDevice(device: DeviceDoc): Omit<DeviceDoc, "comm_key"> {
    const { comm_key: _secret, ...rest } = device;
    return rest;
  }

  private lastSync(device: string) {
    const log = this.data.logs.find((l) => l.device === device && l.trigger !== "replay");
    return log ? logRow(log) : null;
  }

  private openCommand(device: string) {
    const command = this.data.commands.find((c) => c.device === device && OPEN.includes(c.status));
    return command ? commandRow(command) : null;
  }

  private sidecarRows() {
    const silence = this.data.settings.sidecar_silence_minutes;
    return this.data.sidecars
      .map((s) => {
        const minutes = s.last_heartbeat
          ? Math.floor((this.now() - naiveToMs(s.last_heartbeat)) / 60_000)
          : null;
        const { api_user: _user, ...rest } = s;
        return {
          ...rest,
          devices: this.data.devices.filter((d) => d.sidecar === s.name).length,
          silent_minutes: minutes,
          silent: s.status !== "Online" || (silence > 0 && (minutes === null || minutes >= silence)),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private overview() {
    const t = this.thresholds();
    const devices = [...this.data.devices].sort((a, b) => a.name.localeCompare(b.name));
    const byStatus: Record<string, number> = { Online: 0, Offline: 0, Error: 0, Unknown: 0 };
    for (const d of devices) if (d.enabled) byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
    const today = this.nowNaive().slice(0, 10);
    const perHour = Array.from({ length: 24 }, () => 0);
    let punchesToday = 0;
    for (const p of this.data.punches) {
      if (p.site_time.startsWith(today)) {
        punchesToday++;
        perHour[Number(p.site_time.slice(11, 13))]!++;
      }
    }
    const unmapped = this.data.punches.filter((p) => p.status === "Unmapped");
    const sidecars = this.sidecarRows();
    const alerts: Record<string, unknown>[] = [];
    for (const d of devices.filter((x) => x.status === "Discovered"))
      alerts.push({
        kind: "discovered",
        severity: "orange",
        doctype: "Biometric Device",
        name: d.name,
        title: `ADMS terminal ${d.serial_number ?? d.name} wants to connect`,
        detail: `From ${d.host ?? "an unknown address"}: enable it to take its punches, or delete it`,
      });
    for (const d of devices.filter((x) => x.enabled && x.status !== "Discovered")) {
      if (d.last_error?.startsWith("DEVICE_AUTH_FAILED"))
        alerts.push({
          kind: "auth_failure",
          severity: "red",
          doctype: "Biometric Device",
          name: d.name,
          title: `${d.name} refused the credentials`,
          detail: d.last_error,
        });
      if (
        d.clock_drift_seconds !== null &&
        t.clock_drift_seconds > 0 &&
        Math.abs(d.clock_drift_seconds) > t.clock_drift_seconds
      )
        alerts.push({
          kind: "clock_drift",
          severity: "orange",
          doctype: "Biometric Device",
          name: d.name,
          title: `Clock of ${d.name} is off`,
          detail: `${d.clock_drift_seconds > 0 ? "+" : ""}${d.clock_drift_seconds} s (alert above ${t.clock_drift_seconds} s)`,
        });
      if (d.memory_used_percent !== null && t.memory_percent > 0 && d.memory_used_percent >= t.memory_percent)
        alerts.push({
          kind: "memory",
          severity: "orange",
          doctype: "Biometric Device",
          name: d.name,
          title: `Log memory of ${d.name} is nearly full`,
          detail: `${Math.round(d.memory_used_percent)}% used (alert at ${t.memory_percent}%)`,
        });
    }
    for (const s of sidecars) {
      if (s.silent && s.devices)
        alerts.push({
          kind: "sidecar_silent",
          severity: "red",
          doctype: "Biometric Sidecar",
          name: s.name,
          title: `Sidecar ${s.name} is silent`,
          detail:
            s.silent_minutes === null ? "It has never connected" : `No heartbeat for ${s.silent_minutes} min`,
        });
    }
    const order: Record<string, number> = { red: 0, orange: 1 };
    alerts.sort(
      (a, b) =>
        order[String(a.severity)]! - order[String(b.severity)]! ||
        String(a.kind).localeCompare(String(b.kind)) ||
        String(a.name).localeCompare(String(b.name)),
    );
    return {
      now: this.nowNaive(),
      enabled: this.data.settings.enabled === 1,
      thresholds: t,
      devices: {
        total: devices.length,
        disabled: devices.filter((d) => !d.enabled).length,
        by_status: byStatus,
      },
      sidecars: { total: sidecars.length, online: sidecars.filter((s) => s.status === "Online").length },
      last_sync: devices.map((d) => ({
        device: d.name,
        status: d.status,
        enabled: d.enabled,
        sidecar: d.sidecar,
        last_seen: d.last_seen,
        sync: this.lastSync(d.name),
      })),
      punches_today: punchesToday,
      punches_per_hour: perHour,
      unmapped: { punches: unmapped.length, user_ids: new Set(unmapped.map((p) => p.device_user_id)).size },
      alerts,
      latest_punches: [...this.data.punches]
        .sort((a, b) =>
          a.creation === b.creation ? b.name.localeCompare(a.name) : a.creation < b.creation ? 1 : -1,
        )
        .slice(0, 12)
        .map((p) => ({
          name: p.name,
          device: p.device,
          device_user_id: p.device_user_id,
          employee: p.employee,
          employee_name: p.employee_name,
          site_time: p.site_time,
          punch_time: p.punch_time,
          direction: p.direction,
          status: p.status,
          creation: p.creation,
        })),
    };
  }

  private table(doctype: string): Record<string, unknown>[] {
    const rows = {
      "Biometric Punch": this.data.punches,
      "Biometric Sync Log": this.data.logs,
      "Biometric Device": this.data.devices.map((d) => this.publicDevice(d)),
      "Biometric Command": this.data.commands,
      Employee: this.data.employees,
    }[doctype];
    if (!rows) throw new DeskError(404, "DoesNotExistError", `DocType ${doctype} not found`);
    return rows as unknown as Record<string, unknown>[];
  }

  /** Frappe filters: {field: value} or [[field, op, value]] / [[doctype, field, op, value]]; or_filters alike. */
  private filtered(doctype: string, filters: unknown, orFilters: unknown): Record<string, unknown>[] {
    const all = toConditions(filters);
    const any = toConditions(orFilters);
    return this.table(doctype).filter(
      (row) => all.every((c) => matches(row, c)) && (!any.length || any.some((c) => matches(row, c))),
    );
  }

  // ---------------------------------------------------------------- actions

  private mapUserId(user: DeskUser | null, params: Params) {
    this.requirePageUser(user);
    const userId = params.device_user_id;
    if (typeof userId !== "string" || userId === "")
      fail(400, "INVALID_ARGUMENT", "device_user_id is required");
    if (typeof params.employee !== "string" || !params.employee)
      fail(400, "INVALID_ARGUMENT", "employee is required");
    const employee = this.data.employees.find((e) => e.name === params.employee);
    if (!employee) fail(404, "UNKNOWN_EMPLOYEE", `Employee ${params.employee} does not exist`);
    if (!this.hasRole(user!, WRITE_ROLES.Employee!))
      fail(403, "NOT_PERMITTED", `You may not change Employee ${employee.name}`);
    const field = this.data.settings.employee_lookup_field;
    const holders = this.data.employees.filter((e) => e !== employee && e.attendance_device_id === userId);
    if (holders.length)
      fail(
        409,
        "ALREADY_MAPPED",
        `${holders.map((e) => e.name).join(", ")} already has ${field} = '${userId}'`,
      );
    const previous = employee.attendance_device_id || null;
    if (previous !== null && previous !== userId && !Number(params.replace))
      fail(409, "EMPLOYEE_HAS_ID", `${employee.employee_name} already has ${field} = '${previous}'`);
    employee.attendance_device_id = userId;
    // Employee.on_update → replay: the parked punches go back to Pending now, and are processed shortly.
    const parked = this.data.punches.filter((p) => p.status === "Unmapped" && p.device_user_id === userId);
    for (const p of parked) {
      p.status = "Pending";
      p.reason = `Replayed: Employee ${employee.name} now has ${field} = ${userId}`;
    }
    const devices = [...new Set(parked.map((p) => p.device))].sort();
    for (const device of devices) {
      this.addLog({
        device,
        sidecar: null,
        trigger: "replay",
        status: "Success",
        read_count: parked.filter((p) => p.device === device).length,
      });
    }
    this.later(this.processMs, () => {
      for (const p of parked) {
        if (p.status !== "Pending") continue;
        p.status = "Processed";
        p.employee = employee.name;
        p.employee_name = employee.employee_name;
        p.employee_checkin = `EMP-CKIN-11-2026-${String(900000 + this.nextPunch++)}`;
        p.reason = null;
      }
      for (const device of devices) this.publishDevice(REFRESH_EVENT, { device }, device);
    });
    return {
      employee: employee.name,
      employee_name: employee.employee_name,
      field,
      device_user_id: userId,
      previous,
      replayed: parked.length,
    };
  }

  private addLog(values: Partial<SyncLogDoc> & Pick<SyncLogDoc, "trigger" | "status">): SyncLogDoc {
    const now = this.nowNaive();
    const log: SyncLogDoc = {
      name: `BSL-${String(this.nextLog++).padStart(7, "0")}`,
      device: null,
      sidecar: null,
      command: null,
      started: now,
      finished: values.status === "Running" ? null : now,
      duration: values.status === "Running" ? null : 0,
      read_count: 0,
      new_count: 0,
      duplicate_count: 0,
      unmapped_count: 0,
      error_count: 0,
      error: null,
      request_excerpt: null,
      response_excerpt: null,
      ...values,
    };
    this.data.logs.unshift(log);
    return log;
  }

  /** outbox.create_command, then the sidecar's part when the sidecar is online (an offline one never claims). */
  private createCommand(
    type: CommandDoc["command_type"],
    device: DeviceDoc | null,
    user: DeskUser,
    payload: Params,
    sidecar = device?.sidecar ?? "",
  ): string {
    const now = this.now();
    const command: CommandDoc = {
      name: `CMD-${String(this.nextCommand++).padStart(7, "0")}`,
      command_type: type,
      device: device?.name ?? null,
      sidecar,
      status: "Queued",
      trigger: "manual",
      requested_by: user.name,
      creation: naive(now),
      expires_on: naive(now + this.data.settings.command_expiry_minutes * 60_000),
      claimed_on: null,
      finished_on: null,
      attempts: 0,
      progress_done: 0,
      progress_total: 0,
      progress_message: null,
      sync_log: null,
      payload: JSON.stringify(payload),
      result: null,
      error: null,
    };
    this.data.commands.unshift(command);
    if (this.data.sidecars.find((s) => s.name === sidecar)?.status === "Online")
      this.later(250, () => this.claim(command));
    return command.name;
  }

  private claim(command: CommandDoc): void {
    command.status = "Claimed";
    command.claimed_on = this.nowNaive();
    command.attempts = 1;
    const device = this.data.devices.find((d) => d.name === command.device);
    if (command.command_type === "pull" || command.command_type === "pull_range") {
      command.sync_log = this.addLog({
        device: command.device,
        sidecar: command.sidecar,
        trigger: "manual",
        status: "Running",
        command: command.name,
      }).name;
    }
    if (!device) return this.later(100, () => this.complete(command, "Done", { devices: 4 }));
    if (command.command_type === "clear_log") return this.clearLog(command, device);
    if (device.last_error?.startsWith("DEVICE_AUTH_FAILED")) {
      return this.later(400, () =>
        this.complete(command, "Failed", { error: device.last_error, code: "DEVICE_AUTH_FAILED" }),
      );
    }
    if (command.command_type === "test_connection") {
      return this.later(500, () =>
        this.complete(command, "Done", {
          serial_number: device.serial_number ?? "BJ2C183560123",
          firmware: "Ver 6.60 Apr 28 2017",
          platform: "ZMM220_TFT",
          device_name: "K40",
          users: 214,
          punches: 41_532,
          capacity: 100_000,
          device_clock: naive(this.now() + (device.clock_drift_seconds ?? 0) * 1000),
          clock_drift_seconds: device.clock_drift_seconds ?? 0,
          memory_used_percent: 41.5,
        }),
      );
    }
    const total = 96_000;
    for (let step = 1; step <= this.steps; step++) {
      this.later(step * this.stepMs, () => {
        if (command.status !== "Claimed" && command.status !== "Running") return;
        const done = Math.round((total * step) / this.steps);
        command.status = "Running";
        command.progress_done = done;
        command.progress_total = total;
        command.progress_message = `read ${Math.round((100 * done) / total)}%`;
        this.publishProgress(command);
        if (step === this.steps) this.later(this.stepMs, () => this.finishPull(command, device));
      });
    }
  }

  /** The sidecar's safe clear (service/logClearer.ts): read, wait for the site's confirmation, clear. */
  private clearLog(command: CommandDoc, device: DeviceDoc): void {
    const records = 41_532;
    const log = this.addLog({
      device: device.name,
      sidecar: command.sidecar,
      trigger: "manual",
      status: "Running",
      command: command.name,
      requested_by: command.requested_by,
    });
    command.sync_log = log.name;
    const steps = ["reading the whole log", `waiting for the site to confirm ${records} punches`, "clearing"];
    steps.forEach((message, index) =>
      this.later((index + 1) * this.stepMs, () => {
        command.status = "Running";
        Object.assign(command, { progress_done: index + 1, progress_total: 3, progress_message: message });
        this.publishProgress(command);
      }),
    );
    this.later((steps.length + 1) * this.stepMs, () => {
      const now = this.now();
      Object.assign(log, {
        status: "Success",
        finished: naive(now),
        duration: (now - naiveToMs(log.started)) / 1000,
        read_count: records,
        duplicate_count: records,
        cleared_count: records,
      });
      Object.assign(device, { status: "Online", last_seen: naive(now), memory_used_percent: 0 });
      this.complete(command, "Done", {
        read: records,
        confirmed: records,
        cleared: records,
        remaining: 0,
        memory_used_percent: 0,
      });
    });
  }

  private finishPull(command: CommandDoc, device: DeviceDoc): void {
    const log = this.data.logs.find((l) => l.name === command.sync_log);
    const now = this.now();
    const people = this.data.employees.filter((e) => e.status === "Active" && e.attendance_device_id);
    const fresh: PunchDoc[] = [0, 1, 2].map((k) => {
      const employee = people[(k * 5) % people.length]!;
      return {
        name: `${(this.nextPunch++).toString(16).padStart(8, "0")}aa55${randomBytes(6).toString("hex")}`,
        status: "Pending",
        device: device.name,
        device_user_id: employee.attendance_device_id!,
        punch_time: naive(now - (k + 1) * 40_000),
        site_time: naive(now - (k + 1) * 40_000),
        direction: "IN",
        employee: null,
        employee_name: null,
        employee_checkin: null,
        reason: null,
        sync_log: log?.name ?? null,
        creation: naive(now),
      };
    });
    this.data.punches.unshift(...fresh);
    if (log) {
      Object.assign(log, {
        status: "Success",
        finished: naive(now),
        duration: (now - naiveToMs(log.started)) / 1000,
        read_count: fresh.length,
        new_count: fresh.length,
        request_excerpt: JSON.stringify(
          fresh.slice(0, 3).map((p) => ({ uid: p.name, user_id: p.device_user_id, time: p.punch_time })),
          null,
          1,
        ),
        response_excerpt: JSON.stringify(
          fresh.slice(0, 3).map((p) => ({ uid: p.name, status: "new" })),
          null,
          1,
        ),
      });
    }
    Object.assign(device, {
      status: "Online",
      last_seen: naive(now),
      last_error: null,
      read_through: fresh[0]!.punch_time,
    });
    this.complete(command, "Done", {
      read: fresh.length,
      on_device: 41_535,
      rejected: 0,
      read_through: fresh[0]!.punch_time,
      clock_drift_seconds: device.clock_drift_seconds,
      memory_used_percent: device.memory_used_percent,
    });
    this.later(this.processMs, () => {
      for (const p of fresh) {
        const employee = people.find((e) => e.attendance_device_id === p.device_user_id)!;
        Object.assign(p, {
          status: "Processed",
          employee: employee.name,
          employee_name: employee.employee_name,
          employee_checkin: `EMP-CKIN-11-2026-${String(800000 + this.nextPunch++)}`,
        });
      }
      this.publishDevice(REFRESH_EVENT, { device: device.name }, device.name);
    });
  }

  /** outbox.complete: status, result, device health, then biometric_sync:progress. */
  private complete(command: CommandDoc, status: "Done" | "Failed", result: Params): void {
    command.status = status;
    command.result = JSON.stringify(result);
    command.error = typeof result.error === "string" ? result.error : null;
    command.finished_on = this.nowNaive();
    if (status === "Done" && command.progress_total) command.progress_done = command.progress_total;
    const device = this.data.devices.find((d) => d.name === command.device);
    if (device) {
      if (status === "Done")
        Object.assign(device, { status: "Online", last_seen: this.nowNaive(), last_error: null });
      else Object.assign(device, { status: "Error", last_error: command.error });
      if (typeof result.clock_drift_seconds === "number")
        device.clock_drift_seconds = result.clock_drift_seconds;
      if (typeof result.memory_used_percent === "number")
        device.memory_used_percent = result.memory_used_percent;
    }
    const log = this.data.logs.find((l) => l.name === command.sync_log);
    if (log && log.status === "Running") {
      Object.assign(log, {
        status: status === "Done" ? "Success" : "Failed",
        finished: this.nowNaive(),
        error: command.error,
      });
    }
    this.publishProgress(command);
  }

  /**
   * A sidecar pushes one punch now (push_punches): it is staged Pending and the device's room hears
   * biometric_sync:refresh; processing makes it a checkin (or Unmapped) a moment later and publishes again.
   */
  stagePunch(device: string, deviceUserId: string, direction: PunchDoc["direction"] = "IN"): string {
    const now = this.now();
    const punch: PunchDoc = {
      name: `${(this.nextPunch++).toString(16).padStart(8, "0")}bb66${randomBytes(6).toString("hex")}`,
      status: "Pending",
      device,
      device_user_id: deviceUserId,
      punch_time: naive(now),
      site_time: naive(now),
      direction,
      employee: null,
      employee_name: null,
      employee_checkin: null,
      reason: null,
      sync_log: null,
      creation: naive(now),
    };
    this.data.punches.unshift(punch);
    this.publishDevice(REFRESH_EVENT, { device }, device);
    this.later(this.processMs, () => {
      const employee = this.data.employees.find((e) => e.attendance_device_id === deviceUserId);
      Object.assign(
        punch,
        employee
          ? {
              status: "Processed",
              employee: employee.name,
              employee_name: employee.employee_name,
              employee_checkin: `EMP-CKIN-12-2026-${String(900000 + this.nextPunch++)}`,
            }
          : { status: "Unmapped", reason: `no Employee has Attendance Device ID ${deviceUserId}` },
      );
      this.publishDevice(REFRESH_EVENT, { device }, device);
    });
    return punch.name;
  }

  // ---------------------------------------------------------------- realtime

  private publish(event: string, payload: unknown, room: string): void {
    this.published.push({ event, room, payload });
    this.io?.of(`/${this.siteName}`).to(room).emit(event, payload);
  }

  private publishDevice(event: string, payload: unknown, device: string): void {
    this.publish(event, payload, `doc:Biometric Device/${device}`);
  }

  /** outbox.publish_progress: to the device's room and to the command's room. */
  private publishProgress(command: CommandDoc): void {
    const payload = { command: command.name, device: command.device };
    if (command.device) this.publishDevice(PROGRESS_EVENT, payload, command.device);
    this.publish(PROGRESS_EVENT, payload, `doc:Biometric Command/${command.name}`);
  }

  private setupRealtime(io: Server): void {
    const realtime = io.of(/^\/.*$/);
    realtime.use((socket, next) => {
      const headers = socket.request.headers;
      const hostname = (value: string | undefined): string | undefined =>
        value ? new URL(value.includes("://") ? value : `http://${value}`).hostname : undefined;
      if (socket.nsp.name.slice(1) !== this.siteName) return next(new Error("Invalid namespace"));
      if (hostname(headers.host) !== hostname(headers.origin)) return next(new Error("Invalid origin"));
      if (!headers.cookie) return next(new Error("No cookie transmitted."));
      const session = this.sessionOf(socket.request);
      if (!session) return next(new Error("Unauthorized: Error: Unauthorized"));
      (socket.data as { user: DeskUser }).user = session.user;
      next();
    });
    realtime.on("connection", (socket) => {
      const user = (socket.data as { user: DeskUser }).user;
      void socket.join(`user:${user.name}`);
      void socket.join("website");
      void socket.join("all");
      socket.on("ping", () => socket.emit("pong"));
      socket.on("doc_subscribe", (doctype: unknown, docname: unknown) => {
        if (typeof doctype !== "string" || typeof docname !== "string") return;
        if (!this.canRead(user, doctype)) return; // frappe.realtime.can_subscribe_doc raises: not joined
        const room = `doc:${doctype}/${docname}`;
        this.subscriptions.push({ user: user.name, room });
        void socket.join(room);
      });
      socket.on("doc_unsubscribe", (doctype: unknown, docname: unknown) => {
        void socket.leave(`doc:${String(doctype)}/${String(docname)}`);
      });
    });
  }
}

function logRow(log: SyncLogDoc) {
  const { request_excerpt: _req, response_excerpt: _res, ...row } = log;
  return row;
}

function commandRow(command: CommandDoc) {
  const {
    payload: _payload,
    result: _result,
    expires_on: _expires,
    claimed_on: _claimed,
    attempts: _attempts,
    sidecar: _sidecar,
    ...row
  } = command;
  return row;
}

/** A field value as Frappe compares it: text ("" for null). */
function str(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
}

type Condition = [string, string, unknown];

function toConditions(filters: unknown): Condition[] {
  if (!filters) return [];
  if (Array.isArray(filters)) {
    return filters.map((f) => {
      const list = f as unknown[];
      return (list.length === 4 ? list.slice(1) : list) as Condition;
    });
  }
  return Object.entries(filters as Params).map(([field, value]) =>
    Array.isArray(value)
      ? ([field, String(value[0]), value[1]] as Condition)
      : ([field, "=", value] as Condition),
  );
}

function matches(row: Record<string, unknown>, [field, op, value]: Condition): boolean {
  const actual = row[field];
  const text = str(actual);
  switch (op.toLowerCase()) {
    case "=":
      return text === str(value);
    case "!=":
      return text !== str(value);
    case "like": {
      const pattern = str(value)
        .toLowerCase()
        .split("%")
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
      return new RegExp(`^${pattern}$`).test(text.toLowerCase());
    }
    case "in":
      return (Array.isArray(value) ? value : str(value).split(",")).map(String).includes(text);
    case "between": {
      const [from, to] = (value as string[]).map(String);
      const lo = from!.length === 10 ? `${from} 00:00:00` : from!;
      const hi = to!.length === 10 ? `${to} 23:59:59.999999` : to!;
      return text >= lo && text <= hi;
    }
    case ">":
      return text > str(value);
    case "<":
      return text < str(value);
    default:
      throw new DeskError(417, "ValidationError", `Operator ${op} is not supported by this fake`);
  }
}

function sortRows(rows: Record<string, unknown>[], orderBy: string): Record<string, unknown>[] {
  const keys = orderBy
    .split(",")
    .map((part) => part.trim().replace(/`/g, "").split(/\s+/))
    .filter(([field]) => field)
    .map(([field, dir]) => [field!.replace(/^tab[\w ]+\./, ""), (dir ?? "asc").toLowerCase()] as const);
  return [...rows].sort((a, b) => {
    for (const [field, dir] of keys) {
      const x = str(a[field]);
      const y = str(b[field]);
      if (x !== y) return (x < y ? -1 : 1) * (dir === "desc" ? -1 : 1);
    }
    return 0;
  });
}
