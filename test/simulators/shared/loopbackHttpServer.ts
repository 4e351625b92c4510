import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * The HTTP side of a simulated device: listens on loopback (or the given host/port, 0 = a free port) and, on
 * stop, drops open keep-alive connections so a test ends at once instead of waiting for clients to hang up.
 */
export class LoopbackHttpServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly host = "127.0.0.1",
    private readonly port = 0,
  ) {}

  async start(): Promise<{ host: string; port: number }> {
    const server = createServer(this.handler);
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, resolve);
    });
    this.server = server;
    return this.address;
  }

  get address(): { host: string; port: number } {
    if (!this.server) throw new Error("the simulator is not started");
    return { host: this.host, port: (this.server.address() as AddressInfo).port };
  }

  /** Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
