import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { AbortedError, DeviceError } from "../../errors.js";
import { socketError } from "./socketErrors.js";

export interface HttpExchangeRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** The whole exchange (connect, send, receive) must finish within this. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** A longer response is cut off with a coded error. Default 32 MiB. */
  readonly maxResponseBytes?: number;
  /** HTTPS to a device with a self-signed certificate (most of them). */
  readonly allowSelfSigned?: boolean;
}

export interface HttpExchangeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * One HTTP request over node:http(s) with a hard deadline, an abort signal and a response size cap. Failures
 * are coded: DEVICE_TIMEOUT, DEVICE_REFUSED / DEVICE_UNREACHABLE / DEVICE_BUSY (from the socket error),
 * ABORTED. A connection per request, never a pooled one (`agent: false`): device web servers hang up after an
 * answer without saying so, or drop idle connections, and a request written into such a socket is reset (on
 * Node >= 19 the default agent keeps sockets alive whatever `Connection: close` says). A reset must mean the
 * device reset it, so a wrong password is one refused answer and not a retry storm.
 */
export function httpExchange(req: HttpExchangeRequest): Promise<HttpExchangeResponse> {
  const { url, signal } = req;
  const where = `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
  if (signal?.aborted) return Promise.reject(new AbortedError());
  const limit = req.maxResponseBytes ?? 32 * 1024 * 1024;
  return new Promise<HttpExchangeResponse>((resolve, reject) => {
    let settled = false;
    const body =
      req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const options = {
      agent: false,
      method: req.method,
      headers: {
        Connection: "close",
        ...req.headers,
        ...(body ? { "Content-Length": String(body.length) } : {}),
      },
      ...(url.protocol === "https:" && req.allowSelfSigned ? { rejectUnauthorized: false } : {}),
    };
    const client = url.protocol === "https:" ? httpsRequest(url, options) : httpRequest(url, options);
    const finish = (error: Error | null, response?: HttpExchangeResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (error) {
        client.destroy();
        reject(error);
      } else {
        resolve(response!);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          new DeviceError(
            "DEVICE_TIMEOUT",
            `${where} did not answer ${req.method} ${url.pathname} within ${req.timeoutMs} ms`,
          ),
        ),
      req.timeoutMs,
    );
    const onAbort = (): void => finish(new AbortedError());
    signal?.addEventListener("abort", onAbort, { once: true });
    client.on("error", (error: NodeJS.ErrnoException) => {
      finish(
        error.code
          ? socketError(error, url.hostname, Number(url.port) || 80)
          : new DeviceError("DEVICE_UNREACHABLE", `${where}: ${error.message}`, { cause: error }),
      );
    });
    client.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          finish(
            new DeviceError(
              "DEVICE_COMMAND_FAILED",
              `${where} sent more than ${limit} bytes for ${url.pathname}`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("error", (error: Error) =>
        finish(
          new DeviceError("DEVICE_CLOSED", `${where} closed the connection mid-answer`, { cause: error }),
        ),
      );
      res.on("aborted", () =>
        finish(new DeviceError("DEVICE_CLOSED", `${where} closed the connection mid-answer`)),
      );
      res.on("end", () =>
        finish(null, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks, size),
        }),
      );
    });
    client.end(body);
  });
}
