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
  times: number;
}

export interface StoredPunch {
  readonly punch: Punch;
  readonly sidecar: string;
}

export class FakeSite {
  readonly stored = new Map<string, StoredPunch>();
  readonly calls: { method: string; items: number; status: number }[] = [];
  private readonly faults: FakeSiteFault[] = [];
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

  private send(res: http.ServerResponse, method: string, status: number, body: unknown, items = 0): void {
    this.calls.push({ method, items, status });
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? "").replace(/^\/api\/method\//, "");
    const fault = this.faults.find((f) => f.times > 0);
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
    if (method !== "biometric_sync.api.ingest.push_punches") {
      return this.send(res, method, 404, { exc_type: "DoesNotExistError" });
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      sidecar: string;
      device: string;
      punches: Punch[];
    };
    if (!Array.isArray(body.punches) || body.punches.length > 1000) {
      return this.send(res, method, 417, { code: "BATCH_TOO_LARGE", exc_type: "ValidationError" });
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
      return { uid: punch.uid, status: "new" };
    });
    this.send(res, method, 200, { message: { results } }, body.punches.length);
  }
}
