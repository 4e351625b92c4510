import { type Agent, request } from "node:http";

export interface TerminalResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface TerminalRequest {
  readonly host: string;
  readonly port: number;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly agent?: Agent;
  /** Send only the first half of the body, then drop the connection. */
  readonly abortMidBody?: boolean;
  /** Send the body in this many pieces, `gapMs` apart. */
  readonly trickle?: { readonly chunks: number; readonly gapMs: number };
}

/**
 * The HTTP a terminal speaks: plain text, `User-Agent: iClock Proxy/1.09`, and the misleading form
 * Content-Type firmware sends with raw text bodies.
 */
export function terminalRequest(req: TerminalRequest): Promise<TerminalResponse> {
  return new Promise<TerminalResponse>((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body, "utf8");
    const client = request({
      host: req.host,
      port: req.port,
      method: req.method,
      path: req.path,
      agent: req.agent ?? false,
      headers: {
        "User-Agent": "iClock Proxy/1.09",
        Accept: "*/*",
        ...(req.agent ? {} : { Connection: "close" }),
        ...(body
          ? { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(body.length) }
          : {}),
      },
    });
    const timer = setTimeout(() => client.destroy(new Error("terminal request timed out")), req.timeoutMs);
    client.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    client.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: res.headers,
        });
      });
    });
    if (!body) {
      client.end();
      return;
    }
    if (req.abortMidBody) {
      client.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => client.destroy(new Error("terminal dropped the upload")), 20);
      return;
    }
    if (req.trickle && req.trickle.chunks > 1) {
      const size = Math.ceil(body.length / req.trickle.chunks);
      let offset = 0;
      const next = (): void => {
        if (client.destroyed) return;
        const piece = body.subarray(offset, offset + size);
        offset += size;
        if (offset >= body.length) client.end(piece);
        else {
          client.write(piece);
          setTimeout(next, req.trickle!.gapMs);
        }
      };
      next();
      return;
    }
    client.end(body);
  });
}
