import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How long a fresh connection may wait for its first request (real servers: a header timeout of seconds). */
const FIRST_REQUEST_MS = 2_000;

/**
 * How the device's web server treats connections (device-protocols.md: embedded servers vary):
 * - `polite`: Node's own behaviour: keep-alive, and `Connection: close` answered with `Connection: close`;
 * - `closeSilently`: closes the connection after every answer without sending a `Connection` header, whatever
 *   the client asked (many embedded servers); a client that reuses the socket writes into a closed one;
 * - `dropIdle`: always answers `Connection: keep-alive` and keeps the connection, even when the client asked
 *   to close, then drops it without a word once it has been idle for `idleMs` (default 30 ms).
 */
export type ConnectionQuirk = "polite" | "closeSilently" | "dropIdle";

export const CONNECTION_QUIRKS: readonly ConnectionQuirk[] = ["polite", "closeSilently", "dropIdle"];

export interface LoopbackHttpOptions {
  readonly host?: string;
  readonly port?: number;
  readonly connection?: ConnectionQuirk;
  /** For `dropIdle`. */
  readonly idleMs?: number;
}

/**
 * The HTTP side of a simulated device: listens on loopback (or the given host/port, 0 = a free port) and, on
 * stop, drops open keep-alive connections so a test ends at once instead of waiting for clients to hang up.
 */
export class LoopbackHttpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly idleTimers = new WeakMap<Socket, NodeJS.Timeout>();
  private readonly hungUp = new WeakSet<Socket>();
  private readonly quirk: ConnectionQuirk;
  /** Connections accepted: with one connection per request this equals the requests made. */
  connections = 0;

  constructor(
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly options: LoopbackHttpOptions = {},
  ) {
    this.quirk = options.connection ?? "polite";
  }

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => {
      // A request written into a connection this server has hung up on is never processed (a real server has
      // closed the socket; the client gets a reset).
      if (this.hungUp.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      this.applyQuirk(req, res);
      this.handler(req, res);
    });
    server.on("connection", (s: Socket) => {
      this.connections += 1;
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
      // A new connection gets the time a real server gives the first request (its header timeout); only a
      // connection kept after an answer is dropped after idleMs.
      if (this.quirk === "dropIdle")
        this.dropWhenIdle(s, Math.max(this.options.idleMs ?? 30, FIRST_REQUEST_MS));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", resolve);
    });
    this.server = server;
    return this.address;
  }

  get address(): { host: string; port: number } {
    if (!this.server) throw new Error("the simulator is not started");
    return { host: this.options.host ?? "127.0.0.1", port: (this.server.address() as AddressInfo).port };
  }

  /** Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private applyQuirk(req: IncomingMessage, res: ServerResponse): void {
    if (this.quirk === "closeSilently") {
      // Node would answer a client's `Connection: close` in kind; these servers say nothing and hang up.
      res.removeHeader("Connection");
      res.once("finish", () => {
        this.hungUp.add(req.socket);
        req.socket.end(() => req.socket.destroy());
      });
    } else if (this.quirk === "dropIdle") {
      // Setting the header makes Node keep the connection even though the client asked to close it.
      res.setHeader("Connection", "keep-alive");
      clearTimeout(this.idleTimers.get(req.socket));
      res.once("finish", () => this.dropWhenIdle(req.socket));
    }
  }

  /** Idle from now (connected, or answered): dropped without a word unless a request comes first. */
  private dropWhenIdle(socket: Socket, ms = this.options.idleMs ?? 30): void {
    clearTimeout(this.idleTimers.get(socket));
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    this.idleTimers.set(socket, timer);
  }
}
