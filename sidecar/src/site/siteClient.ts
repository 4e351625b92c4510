import http from "node:http";
import https from "node:https";
import { SiteError } from "../errors.js";

export interface SiteCredentials {
  /** e.g. https://erp.example.com */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Sent as X-Frappe-Site-Name, so the site is found whatever host name the URL uses (e.g. 127.0.0.1). */
  readonly siteName?: string;
}

export interface SiteClientOptions extends SiteCredentials {
  readonly timeoutMs?: number;
}

/** What a Frappe error response carries: our stable `code` when the app set one, else the exception type. */
interface FrappeErrorBody {
  code?: unknown;
  exc_type?: unknown;
  exception?: unknown;
  _server_messages?: unknown;
  message?: unknown;
}

function serverMessage(body: FrappeErrorBody): string | null {
  if (typeof body._server_messages === "string") {
    try {
      const messages = JSON.parse(body._server_messages) as unknown[];
      const first = messages
        .map((m) => (typeof m === "string" ? ((JSON.parse(m) as { message?: string }).message ?? m) : ""))
        .find(Boolean);
      if (first) return first.replace(/<[^>]+>/g, "");
    } catch {
      // fall through to the other fields
    }
  }
  if (typeof body.exception === "string") return body.exception;
  return null;
}

/**
 * Calls the site's whitelisted methods over REST with token auth on keep-alive connections. Every call has a timeout; failures are
 * classified by status so callers know what to do: 401/403 stop and alert, 417 is a request the site refuses,
 * 429, 5xx and network failures are retryable. The secret never appears in errors or logs.
 */
export class SiteClient {
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly siteName: string | undefined;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(options: SiteClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.authorization = `token ${options.apiKey}:${options.apiSecret}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.siteName = options.siteName;
  }

  /** POSTs JSON to /api/method/<method> and returns Frappe's `message`. */
  async call<T>(method: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const url = new URL(`${this.base}/api/method/${method}`);
    let response: { status: number; text: string };
    try {
      response = await this.postOnce(url, JSON.stringify(body), signal);
    } catch (error) {
      if ((error as { timedOut?: boolean }).timedOut) {
        throw new SiteError(
          "SITE_TIMEOUT",
          `${method}: no answer from ${this.base} within ${this.timeoutMs} ms`,
        );
      }
      throw new SiteError(
        "SITE_UNAVAILABLE",
        `${method}: cannot reach ${this.base}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const { text } = response;
    const ok = response.status >= 200 && response.status < 300;
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (ok) {
      if (parsed === null || typeof parsed !== "object") {
        throw new SiteError("SITE_BAD_RESPONSE", `${method}: ${response.status} answer is not JSON`, {
          details: { status: response.status },
        });
      }
      return (parsed as { message: T }).message;
    }
    const errorBody = (parsed ?? {}) as FrappeErrorBody;
    const siteCode =
      typeof errorBody.code === "string"
        ? errorBody.code
        : typeof errorBody.exc_type === "string"
          ? errorBody.exc_type
          : null;
    const reason = serverMessage(errorBody) ?? `HTTP ${response.status}`;
    const details = { status: response.status, siteCode };
    switch (true) {
      case response.status === 401:
        throw new SiteError(
          "SITE_AUTH_FAILED",
          `${method}: the site refused the API key (check key and secret): ${reason}`,
          { details },
        );
      case response.status === 403:
        throw new SiteError("SITE_FORBIDDEN", `${method}: not permitted for this API user: ${reason}`, {
          details,
        });
      case response.status === 429 || response.status >= 500:
        throw new SiteError(
          "SITE_UNAVAILABLE",
          `${method}: the site is busy or failing (HTTP ${response.status}): ${reason}`,
          { details },
        );
      default:
        throw new SiteError("SITE_REJECTED", `${method}: ${reason}`, { details });
    }
  }

  /**
   * A request on a kept-alive connection that the server had already closed (a proxy or gunicorn dropping idle
   * connections, without always saying so) fails before the server saw it: that one is sent again, once, on a
   * new connection. Any other failure is the caller's to retry.
   */
  private async postOnce(
    url: URL,
    payload: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    try {
      return await this.post(url, payload, signal);
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { reusedSocket?: boolean; answered?: boolean };
      const closedByServer =
        failure.code === "ECONNRESET" || failure.code === "EPIPE" || failure.code === "ECONNABORTED";
      if (!failure.reusedSocket || failure.answered || !closedByServer || signal?.aborted) throw error;
      return this.post(url, payload, signal);
    }
  }

  /** One request on a keep-alive connection; the timeout covers connecting, sending and the whole answer. */
  private post(url: URL, payload: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: "POST",
          agent: url.protocol === "https:" ? this.httpsAgent : this.httpAgent,
          headers: {
            Authorization: this.authorization,
            ...(this.siteName && { "X-Frappe-Site-Name": this.siteName }),
            "Content-Type": "application/json",
            Accept: "application/json",
            "Content-Length": Buffer.byteLength(payload),
          },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            cleanup();
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", fail);
        },
      );
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error("timeout"), { timedOut: true }));
      }, this.timeoutMs);
      const onAbort = (): void => void request.destroy(new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      function cleanup(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      }
      let answered = false;
      function fail(error: Error): void {
        cleanup();
        reject(Object.assign(error, { reusedSocket: request.reusedSocket, answered }));
      }
      request.on("error", fail);
      request.end(payload);
    });
  }
}
