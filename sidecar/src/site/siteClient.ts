import { SiteError } from "../errors.js";

export interface SiteCredentials {
  /** e.g. https://erp.example.com */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface SiteClientOptions extends SiteCredentials {
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
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
 * Calls the site's whitelisted methods over REST with token auth. Every call has a timeout; failures are
 * classified by status so callers know what to do: 401/403 stop and alert, 417 is a request the site refuses,
 * 429, 5xx and network failures are retryable. The secret never appears in errors or logs.
 */
export class SiteClient {
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: SiteClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.authorization = `token ${options.apiKey}:${options.apiSecret}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** POSTs JSON to /api/method/<method> and returns Frappe's `message`. */
  async call<T>(method: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const url = `${this.base}/api/method/${method}`;
    // One controller for both the timeout and the caller's signal (AbortSignal.any needs Node 20).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const onAbort = (): void => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method: "POST",
        headers: {
          Authorization: this.authorization,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (timedOut)
        throw new SiteError(
          "SITE_TIMEOUT",
          `${method}: no answer from ${this.base} within ${this.timeoutMs} ms`,
        );
      throw new SiteError(
        "SITE_UNAVAILABLE",
        `${method}: cannot reach ${this.base}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (response.ok) {
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
}
