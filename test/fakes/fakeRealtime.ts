import http from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";

/**
 * Frappe v15.44's socket.io server as a Node client meets it (frappe-v15-facts.md §3): namespace = site,
 * Host and Origin hostnames must match, a Cookie header is required, then the server authenticates by
 * calling <Origin>/api/method/frappe.realtime.get_user_info with the client's Authorization header and puts
 * the socket in room user:<user>. A mock at the site boundary; the contract suite checks the real one.
 */
export class FakeRealtime {
  private server: http.Server | null = null;
  private io: Server | null = null;
  url = "";
  readonly refusals: string[] = [];

  constructor(
    readonly siteName: string,
    /** Answers get_user_info for an Authorization header: the user, or null if refused. */
    private readonly authenticate: (authorization: string) => Promise<string | null>,
  ) {}

  async start(port = 0): Promise<string> {
    this.server = http.createServer();
    this.io = new Server(this.server, { cors: { origin: true, credentials: true } });
    const realtime = this.io.of(/^\/.*$/);
    realtime.use((socket, next) => {
      const refuse = (message: string): void => {
        this.refusals.push(message);
        next(new Error(message));
      };
      const headers = socket.request.headers;
      const hostname = (value: string | undefined): string | undefined =>
        value ? new URL(value.includes("://") ? value : `http://${value}`).hostname : undefined;
      if (socket.nsp.name.slice(1) !== (headers["x-frappe-site-name"] ?? this.siteName))
        return refuse("Invalid namespace");
      if (hostname(headers.host) !== hostname(headers.origin)) return refuse("Invalid origin");
      if (!headers.cookie) return refuse("No cookie transmitted.");
      if (!headers.authorization)
        return refuse("No authentication method used. Use cookie or authorization header.");
      this.authenticate(headers.authorization).then(
        (user) => {
          if (!user) return refuse("Unauthorized: Error: Unauthorized");
          (socket.data as { user: string }).user = user;
          void socket.join(`user:${user}`);
          next();
        },
        (error: unknown) => refuse(`Unauthorized: ${String(error)}`),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** frappe.publish_realtime(event, message, user=user) */
  publish(event: string, message: unknown, user: string): void {
    this.io?.of(`/${this.siteName}`).to(`user:${user}`).emit(event, message);
  }

  connectedUsers(): string[] {
    const sockets = this.io?.of(`/${this.siteName}`).sockets ?? new Map<string, Socket>();
    return [...sockets.values()].map((s) => (s.data as { user: string }).user);
  }

  /** Drops every client connection (a socket server restart); clients reconnect on their own. */
  dropAll(): void {
    this.io?.of(`/${this.siteName}`).disconnectSockets(true);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.io ? void this.io.close(() => resolve()) : resolve()));
    this.io = null;
    this.server = null;
  }
}
