import { reactive } from "vue";
import { boot } from "./boot";
import { parseErrorBody } from "./utils/errors";

/**
 * The resource fetcher of the page (frappe-ui setConfig("resourceFetcher")): Frappe's /api/method REST with
 * the session cookie and the CSRF token from boot. Errors carry the HTTP status and the app's stable `code`;
 * whether the site answers at all is tracked for the "site unreachable" banner.
 */
export class SiteRequestError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly exc_type: string | null;
  readonly messages: string[];
  readonly response: { status: number };

  constructor(url: string, fields: ReturnType<typeof parseErrorBody>) {
    super(`${url}: ${fields.code ?? fields.exc_type ?? `HTTP ${fields.status}`}`);
    this.name = "SiteRequestError";
    this.status = fields.status;
    this.code = fields.code;
    this.exc_type = fields.exc_type;
    this.messages = fields.messages;
    this.response = { status: fields.status };
  }
}

export const site = reactive({ reachable: true, failures: 0 });

export interface FetchOptions {
  url: string;
  params?: Record<string, unknown> | null;
  method?: string;
}

function methodUrl(url: string): string {
  return url.startsWith("/") || url.startsWith("http") ? url : `/api/method/${url}`;
}

export async function siteFetch<T = unknown>(options: FetchOptions): Promise<T> {
  const method = (options.method ?? "POST").toUpperCase();
  let url = methodUrl(options.url);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (boot.csrf_token) headers["X-Frappe-CSRF-Token"] = boot.csrf_token;
  let body: string | undefined;
  const params = options.params ?? {};
  if (method === "GET") {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null)
        query.append(key, typeof value === "string" ? value : JSON.stringify(value));
    }
    if ([...query].length) url += `?${query.toString()}`;
  } else {
    headers["Content-Type"] = "application/json; charset=utf-8";
    body = JSON.stringify(params);
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (error) {
    site.reachable = false;
    site.failures++;
    throw error;
  }
  const gateway = response.status === 502 || response.status === 503 || response.status === 504;
  site.reachable = !gateway;
  if (gateway) site.failures++;
  if (response.ok) {
    const json = (await response.json()) as { message?: T };
    return json.message as T;
  }
  throw new SiteRequestError(url, parseErrorBody(response.status, await response.text()));
}

export function call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return siteFetch<T>({ url: method, params });
}
