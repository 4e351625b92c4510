import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { AbortedError, DeviceError } from "../../errors.js";
import { socketError } from "./socketErrors.js";

export interface HttpStreamRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Connect and receive the response headers within this; the body then flows for as long as it lasts. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly allowSelfSigned?: boolean;
}

export interface HttpStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives; ends when the device closes it, errors when the connection drops. */
  readonly body: IncomingMessage;
  /** Reads the rest of a short body (an error answer), at most `limit` bytes. */
  readAll(limit: number): Promise<Buffer>;
  close(): void;
}

/**
 * A request whose response body is a long-lived stream (Hikvision's alertStream): the deadline covers only
 * the connection and the response headers. One connection per stream, never pooled (see httpExchange.ts).
 * Failures before the headers are coded like httpExchange's: DEVICE_TIMEOUT, socket errors, ABORTED.
 */
export function openHttpStream(req: HttpStreamRequest): Promise<HttpStream> {
  const { url, signal } = req;
  const where = `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise<HttpStream>((resolve, reject) => {
    let settled = false;
    const options = {
      agent: false,
      method: req.method,
      headers: { Connection: "close", ...req.headers },
      ...(url.protocol === "https:" && req.allowSelfSigned ? { rejectUnauthorized: false } : {}),
    };
    const client = url.protocol === "https:" ? httpsRequest(url, options) : httpRequest(url, options);
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      client.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new DeviceError(
            "DEVICE_TIMEOUT",
            `${where} did not answer ${req.method} ${url.pathname} within ${req.timeoutMs} ms`,
          ),
        ),
      req.timeoutMs,
    );
    const onAbort = (): void => fail(new AbortedError());
    signal?.addEventListener("abort", onAbort, { once: true });
    client.on("error", (error: NodeJS.ErrnoException) => {
      fail(
        error.code
          ? socketError(error, url.hostname, Number(url.port) || 80)
          : new DeviceError("DEVICE_UNREACHABLE", `${where}: ${error.message}`, { cause: error }),
      );
    });
    client.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: res,
        close: () => {
          res.destroy();
          client.destroy();
        },
        readAll: async (limit) => {
          const chunks: Buffer[] = [];
          let size = 0;
          try {
            for await (const chunk of res as AsyncIterable<Buffer>) {
              size += chunk.length;
              if (size > limit) break;
              chunks.push(chunk);
            }
          } catch {
            // A short error body cut off: what arrived is enough to read a challenge or a status.
          } finally {
            client.destroy();
          }
          return Buffer.concat(chunks);
        },
      });
    });
    client.end();
  });
}
