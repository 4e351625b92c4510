/**
 * What went wrong with a request, for people. frappe-ui's frappeRequest throws an Error with `messages`
 * (from _server_messages), `exc_type` and `response`; a site that cannot be reached gives a TypeError from
 * fetch. The app's own errors carry a stable `code` in the JSON body (biometric_sync.errors).
 */

export type ErrorKind =
  "offline" | "session" | "permission" | "not_found" | "conflict" | "invalid" | "server";

export interface PageError {
  kind: ErrorKind;
  title: string;
  message: string;
  status: number | null;
  code: string | null;
}

interface RequestErrorLike {
  name?: string;
  message?: string;
  messages?: unknown;
  exc_type?: string;
  code?: string;
  status?: number;
  response?: { status?: number } | null;
}

const TITLES: Record<ErrorKind, string> = {
  offline: "The site cannot be reached",
  session: "Your session has ended",
  permission: "Not permitted",
  not_found: "Not found",
  conflict: "Cannot do that",
  invalid: "Check the input",
  server: "The site had a problem",
};

function statusOf(error: RequestErrorLike): number | null {
  const status = error.response?.status ?? error.status;
  return typeof status === "number" && status > 0 ? status : null;
}

function kindOf(status: number | null, error: RequestErrorLike): ErrorKind {
  if (status === null) {
    const text = `${error.name ?? ""} ${error.message ?? ""}`;
    if (/TypeError|Failed to fetch|NetworkError|Load failed|ECONNREFUSED/i.test(text)) return "offline";
    return "server";
  }
  if (status === 401 || error.exc_type === "AuthenticationError" || error.exc_type === "CSRFTokenError")
    return "session";
  if (status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 400 || status === 413 || status === 417) return "invalid";
  if (status === 502 || status === 503 || status === 504) return "offline";
  return "server";
}

function firstMessage(error: RequestErrorLike): string | null {
  const messages = Array.isArray(error.messages) ? error.messages : [];
  const text = messages
    .map((m) => (typeof m === "string" ? m : ""))
    .map((m) => m.replace(/<[^>]*>/g, "").trim())
    .filter(Boolean);
  return text.length ? text.join(" ") : null;
}

/** The stable code of a biometric_sync error (see parseErrorBody), or null. */
export function errorCode(error: unknown): string | null {
  const e = (error ?? {}) as RequestErrorLike;
  return typeof e.code === "string" ? e.code : null;
}

export function describeError(error: unknown): PageError {
  const e = (error ?? {}) as RequestErrorLike;
  const status = statusOf(e);
  const kind = kindOf(status, e);
  let message = firstMessage(e);
  if (kind === "offline") message = "Check the network connection; the page will try again.";
  else if (kind === "session") message = message ?? "Sign in again to continue.";
  else if (!message) message = status ? `HTTP ${status}` : (e.message ?? "Unknown error");
  return { kind, title: TITLES[kind], message, status, code: errorCode(e) };
}

export interface SiteErrorFields {
  status: number;
  code: string | null;
  exc_type: string | null;
  messages: string[];
}

/**
 * Frappe's error body: {"exc_type", "exception", "_server_messages": "[\"{\\\"message\\\": ...}\"]", "code"?}.
 * biometric_sync errors put their code in `code` (and as the message title).
 */
export function parseErrorBody(status: number, body: string): SiteErrorFields {
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") json = parsed as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's HTML page): no details
  }
  const messages: string[] = [];
  let titleCode: string | null = null;
  if (typeof json._server_messages === "string") {
    try {
      const list: unknown = JSON.parse(json._server_messages);
      for (const item of Array.isArray(list) ? list : []) {
        let message: unknown = item;
        if (typeof item === "string") {
          try {
            message = JSON.parse(item);
          } catch {
            message = item;
          }
        }
        if (typeof message === "string") messages.push(message);
        else if (message && typeof message === "object") {
          const m = message as { message?: unknown; title?: unknown };
          if (typeof m.message === "string") messages.push(m.message);
          if (typeof m.title === "string" && /^[A-Z][A-Z_]+$/.test(m.title)) titleCode ??= m.title;
        }
      }
    } catch {
      // malformed _server_messages: ignore
    }
  }
  if (!messages.length && typeof json.exception === "string") {
    messages.push(json.exception.replace(/^[\w.]+:\s*/, ""));
  }
  return {
    status,
    code: typeof json.code === "string" ? json.code : titleCode,
    exc_type: typeof json.exc_type === "string" ? json.exc_type : null,
    messages,
  };
}
