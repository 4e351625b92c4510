import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Punch } from "../../sidecar/src/domain/punch.js";
import { punchUid } from "../../sidecar/src/domain/punch.js";

/**
 * A stand-in for a Frappe site's REST endpoints, implementing exactly the documented contract of
 * biometric_sync.api.ingest.push_punches (design.md "Ingest") with Frappe's token auth and error shapes.
 * It is a mock at the site boundary: the real endpoint is tested on a bench by the contract suite.
 */
export interface FakeSiteFault {
  /** Answer the next `times` calls with this HTTP status (Frappe-style error body). */
  readonly status?: number;
  /** Delay the answer. */
  readonly delayMs?: number;
  /** Close the connection without answering. */
  readonly hangUp?: boolean;
  /** Only calls of methods ending so (e.g. "push_punches"); every call when absent. */
  readonly method?: string;
  times: number;
}

export interface FakeCommand {
  readonly name: string;
  readonly command_type: string;
  readonly device: string | null;
  readonly payload: unknown;
  readonly syncLog: string | null;
  status: "Queued" | "Claimed" | "Running" | "Done" | "Failed";
  progress: { done: number; total: number; message: string }[];
  result: Record<string, unknown> | null;
}

export interface StoredPunch {
  readonly punch: Punch;
  readonly sidecar: string;
}

/** A push_punches body as the sidecar sends it. */
export interface PushBody {
  readonly sidecar: string;
  readonly device: string;
  readonly punches: Punch[];
  readonly sync_log?: string;
}

export class FakeSite {
  readonly stored = new Map<string, StoredPunch>();
  /** When each stored punch was first stored (epoch ms): the "staged" moment for latency figures. */
  readonly receivedAt = new Map<string, number>();
  /**
   * Benchmarks against a real bench: push_punches is answered by this instead (the real ingest), and only what
   * it answered new or duplicate is stored here. Null: the fake answers itself.
   */
  relay: ((body: PushBody) => Promise<{ uid: string; status: string }[]>) | null = null;
  readonly calls: { method: string; items: number; status: number }[] = [];
  /** The sync_log each push_punches call named (null when none). */
  readonly pushSyncLogs: (string | null)[] = [];
  private readonly faults: FakeSiteFault[] = [];
  readonly commands = new Map<string, FakeCommand>();
  readonly heartbeats: unknown[] = [];
  /** Device users as report_device_users left them, per device, by user_id. */
  readonly deviceUsers = new Map<string, Map<string, Record<string, unknown>>>();
  /** Every report_device_users call, in order. */
  readonly userReports: {
    device: string;
    users: Record<string, unknown>[];
    complete: boolean;
    removed: string[];
  }[] = [];

  /** Templates as report_templates left them, per device (issue 13, opt-in); `templatesOff`: answer "off". */
  readonly templates = new Map<string, Record<string, unknown>[]>();
  templatesOff = false;

  /** The device entries of the latest heartbeat. */
  heartbeatDevices(): {
    device: string;
    online?: boolean;
    error?: string;
    memory_used_percent?: number;
    read_through?: string;
    live?: "up" | "down" | "off";
    live_error?: string;
    live_since?: string;
  }[] {
    const last = this.heartbeats.at(-1) as { devices?: unknown } | undefined;
    return Array.isArray(last?.devices) ? (last.devices as ReturnType<FakeSite["heartbeatDevices"]>) : [];
  }
  /** Called on every confirm_punches (a clear waiting for the site): tests act between read and clear. */
  onConfirm: ((device: string, uids: readonly string[]) => void) | null = null;
  /** Serial numbers of ADMS terminals reported as unknown (report_unknown_device). */
  readonly discovered: string[] = [];
  devices: Record<string, unknown>[] = [];
  admsListenAddress: string | null = null;
  /** Hand out claimed commands again on the next claim (a claim answered twice). */
  reclaim = false;
  /** frappe.publish_realtime(biometric_sync:command) for queued commands. */
  onCommandQueued: ((command: string) => void) | null = null;
  private nextCommand = 1;
  readonly sidecarName = "Head Office";
  readonly sidecarUser = "sidecar-head-office@bsync.local";
  private server: http.Server | null = null;
  url = "";

  constructor(
    readonly apiKey = "bsync-key",
    readonly apiSecret = "bsync-secret",
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  fail(fault: FakeSiteFault): void {
    this.faults.push(fault);
  }

  /** The site recovers: every injected fault is dropped. */
  clearFaults(): void {
    this.faults.splice(0);
  }

  /** The user behind an Authorization header, as frappe.realtime.get_user_info answers it. */
  userFor(authorization: string | undefined): string | null {
    return authorization === `token ${this.apiKey}:${this.apiSecret}` ? this.sidecarUser : null;
  }

  queueCommand(
    command_type: string,
    device: string | null,
    payload: unknown = {},
    syncLog: string | null = null,
  ): string {
    const name = `BCMD-${String(this.nextCommand++).padStart(5, "0")}`;
    this.commands.set(name, {
      name,
      command_type,
      device,
      payload,
      syncLog,
      status: "Queued",
      progress: [],
      result: null,
    });
    this.onCommandQueued?.(name);
    return name;
  }

  private send(res: http.ServerResponse, method: string, status: number, body: unknown, items = 0): void {
    this.calls.push({ method, items, status });
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? "").replace(/^\/api\/method\//, "");
    const fault = this.faults.find((f) => f.times > 0 && (!f.method || method.endsWith(f.method)));
    if (fault) {
      fault.times--;
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.hangUp) {
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        return this.send(res, method, fault.status, {
          exc_type: "ServerError",
          _server_messages: JSON.stringify([JSON.stringify({ message: "injected" })]),
        });
      }
    }
    if (req.headers.authorization !== `token ${this.apiKey}:${this.apiSecret}`) {
      return this.send(res, method, 401, {
        exc_type: "AuthenticationError",
        _server_messages: JSON.stringify([JSON.stringify({ message: "Invalid API key" })]),
      });
    }
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    const sidecarMethod = /^biometric_sync\.api\.sidecar\.(\w+)$/.exec(method)?.[1];
    if (sidecarMethod) return this.sidecarEndpoint(res, method, sidecarMethod, parsed);
    if (method !== "biometric_sync.api.ingest.push_punches") {
      return this.send(res, method, 404, { exc_type: "DoesNotExistError" });
    }
    const body = parsed as unknown as PushBody;
    this.pushSyncLogs.push(body.sync_log ?? null);
    if (!Array.isArray(body.punches) || body.punches.length > 1000) {
      return this.send(res, method, 413, { code: "BATCH_TOO_LARGE", exc_type: "PayloadTooLargeError" });
    }
    if (this.relay) {
      try {
        const results = await this.relay(body);
        const now = Date.now();
        for (const [i, result] of results.entries()) {
          const punch = body.punches[i];
          if (!punch || (result.status !== "new" && result.status !== "duplicate")) continue;
          if (!this.stored.has(punch.uid)) this.receivedAt.set(punch.uid, now);
          this.stored.set(punch.uid, { punch, sidecar: body.sidecar });
        }
        return this.send(res, method, 200, { message: { results } }, body.punches.length);
      } catch {
        return this.send(res, method, 503, { exc_type: "ServiceUnavailable" });
      }
    }
    const results = body.punches.map((punch) => {
      if (punch.device !== body.device)
        return {
          uid: punch.uid,
          status: "rejected",
          code: "DEVICE_MISMATCH",
          error: "punch is for another device",
        };
      if (punchUid(punch.device, punch.user_id, punch.time) !== punch.uid) {
        return {
          uid: punch.uid,
          status: "rejected",
          code: "UID_MISMATCH",
          error: "uid does not match device|user_id|time",
        };
      }
      if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(punch.time))
        return { uid: punch.uid, status: "rejected", code: "INVALID_TIME", error: "bad time" };
      if (this.stored.has(punch.uid)) return { uid: punch.uid, status: "duplicate" };
      this.stored.set(punch.uid, { punch, sidecar: body.sidecar });
      this.receivedAt.set(punch.uid, Date.now());
      return { uid: punch.uid, status: "new" };
    });
    this.send(res, method, 200, { message: { results } }, body.punches.length);
  }

  private sidecarEndpoint(
    res: http.ServerResponse,
    method: string,
    name: string,
    body: Record<string, unknown>,
  ): void {
    const commandOf = (): FakeCommand | undefined => this.commands.get(String(body.command));
    if (
      [
        "heartbeat",
        "get_config",
        "claim_commands",
        "report_unknown_device",
        "confirm_punches",
        "report_device_users",
        "report_templates",
      ].includes(name) &&
      body.sidecar !== this.sidecarName
    ) {
      return this.send(res, method, 403, { code: "NOT_YOUR_SIDECAR", exc_type: "PermissionError" });
    }
    switch (name) {
      case "report_unknown_device":
        if (!this.discovered.includes(String(body.serial_number)))
          this.discovered.push(String(body.serial_number));
        return this.send(res, method, 200, { message: { device: body.serial_number, created: true } });
      case "heartbeat":
        this.heartbeats.push(body.status);
        return this.send(res, method, 200, {
          message: { server_time: new Date().toISOString(), queued_commands: 0 },
        });
      case "get_config":
        return this.send(res, method, 200, {
          message: {
            sidecar: this.sidecarName,
            site_time_zone: "Asia/Kolkata",
            direction_rules: { in: [0, 4], out: [1, 5] },
            adms_listen_address: this.admsListenAddress,
            devices: this.devices,
          },
        });
      case "claim_commands": {
        const claimable = [...this.commands.values()].filter(
          (c) => c.status === "Queued" || (this.reclaim && c.status === "Claimed"),
        );
        for (const c of claimable) c.status = "Claimed";
        const commands = claimable.map(({ name: n, command_type, device, payload, syncLog }) => ({
          name: n,
          command_type,
          device,
          payload,
          sync_log: syncLog,
          attempts: 1,
        }));
        return this.send(res, method, 200, { message: { commands } });
      }
      case "confirm_punches": {
        // Missing: no punch of that device staged with that uid and time (the real endpoint reads Biometric
        // Punch by name, made of both); `uids` alone is what older sidecars send.
        const keys: { uid: string; time: string | null }[] = Array.isArray(body.punches)
          ? (body.punches as { uid?: unknown; time?: unknown }[]).map((p) => ({
              uid: String(p.uid),
              time: String(p.time),
            }))
          : Array.isArray(body.uids)
            ? body.uids.map((uid) => ({ uid: String(uid), time: null }))
            : [];
        const uids = keys.map((key) => key.uid);
        this.onConfirm?.(String(body.device), uids);
        const missing = keys
          .filter(({ uid, time }) => {
            const stored = this.stored.get(uid)?.punch;
            return stored?.device !== body.device || (time !== null && stored?.time !== time);
          })
          .map((key) => key.uid);
        return this.send(res, method, 200, { message: { missing } });
      }
      case "report_device_users": {
        // Complete: the list is every user on the device. Otherwise these changed and `removed` are gone.
        const device = String(body.device);
        const users = Array.isArray(body.users) ? (body.users as Record<string, unknown>[]) : [];
        const removed = Array.isArray(body.removed) ? body.removed.map(String) : [];
        const complete = body.complete === true;
        this.userReports.push({ device, users, complete, removed });
        const table = complete
          ? new Map<string, Record<string, unknown>>()
          : (this.deviceUsers.get(device) ?? new Map<string, Record<string, unknown>>());
        for (const user of users) table.set(String(user.user_id), user);
        for (const userId of removed) table.delete(userId);
        this.deviceUsers.set(device, table);
        return this.send(res, method, 200, { message: { received: users.length } });
      }
      case "report_templates": {
        if (this.templatesOff) return this.send(res, method, 200, { message: { stored: 0, skipped: "off" } });
        const list = Array.isArray(body.templates) ? (body.templates as Record<string, unknown>[]) : [];
        const device = String(body.device);
        this.templates.set(device, [...(this.templates.get(device) ?? []), ...list]);
        return this.send(res, method, 200, {
          message: { stored: list.length, changed: list.length, queued: 0 },
        });
      }
      case "report_progress": {
        const command = commandOf();
        if (!command)
          return this.send(res, method, 404, { code: "UNKNOWN_COMMAND", exc_type: "DoesNotExistError" });
        command.status = "Running";
        command.progress.push({
          done: Number(body.done),
          total: Number(body.total),
          message: String(body.message),
        });
        return this.send(res, method, 200, { message: { status: "Running" } });
      }
      case "complete_command": {
        const command = commandOf();
        if (!command)
          return this.send(res, method, 404, { code: "UNKNOWN_COMMAND", exc_type: "DoesNotExistError" });
        if (command.status === "Done" || command.status === "Failed") {
          return this.send(res, method, 409, { code: "COMMAND_FINISHED", exc_type: "ValidationError" });
        }
        command.status = body.status === "Done" ? "Done" : "Failed";
        command.result = (body.result ?? {}) as Record<string, unknown>;
        return this.send(res, method, 200, { message: { status: command.status } });
      }
      default:
        return this.send(res, method, 404, { exc_type: "DoesNotExistError" });
    }
  }
}
