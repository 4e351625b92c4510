import { io, type Socket } from "socket.io-client";
import { silentLogger, type Logger } from "../logging/logger.js";

export const COMMAND_EVENT = "biometric_sync:command";

export interface CommandChannelOptions {
  /** Frappe's socket.io server, e.g. http://127.0.0.1:9000 in development or https://erp.example.com behind nginx. */
  readonly socketUrl: string;
  /** The site's web address; Frappe v15 checks that its host matches the socket URL's and calls it back to authenticate. */
  readonly siteUrl: string;
  /** The site name: Frappe v15 uses it as the socket.io namespace. */
  readonly siteName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly logger?: Logger;
}

export type ChannelState = "connecting" | "connected" | "disconnected";

/**
 * Frappe's realtime nudges for this sidecar's API user ("a command is waiting"). Only a nudge: events sent
 * while disconnected are lost, so `onNudge` also fires on every (re)connect and the caller polls on a timer
 * too. The handshake carries what Frappe v15.44 wants from a Node client: namespace /<site>, a token
 * Authorization header, an Origin whose host matches, and a Cookie header without `sid`.
 */
export class CommandChannel {
  private socket: Socket | null = null;
  private readonly log: Logger;
  state: ChannelState = "disconnected";
  lastError: string | null = null;

  constructor(private readonly options: CommandChannelOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "realtime" });
  }

  start(onNudge: (reason: "connect" | "event", command?: string) => void): void {
    if (this.socket) return;
    const base = this.options.socketUrl.replace(/\/+$/, "");
    this.state = "connecting";
    const socket = io(`${base}/${this.options.siteName}`, {
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
      extraHeaders: {
        Authorization: `token ${this.options.apiKey}:${this.options.apiSecret}`,
        Origin: this.options.siteUrl.replace(/\/+$/, ""),
        Cookie: "biometric_sync=1",
        "X-Frappe-Site-Name": this.options.siteName,
      },
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.state = "connected";
      this.lastError = null;
      this.log.info({}, "realtime connected");
      onNudge("connect");
    });
    socket.on("disconnect", (reason) => {
      this.state = "disconnected";
      this.log.warn({ reason }, "realtime disconnected; commands are still claimed on a timer");
      // socket.io leaves reconnecting to us when the server closed the socket deliberately.
      if (reason === "io server disconnect")
        setTimeout(() => this.socket === socket && socket.connect(), 1_000).unref();
    });
    socket.on("connect_error", (error) => {
      this.state = "disconnected";
      this.lastError = error.message;
      this.log.warn({ err: error.message }, "realtime connection refused; retrying");
      // A middleware refusal stops socket.io's own retries; keep trying on our schedule.
      if (!socket.active) setTimeout(() => this.socket === socket && socket.connect(), 5_000).unref();
    });
    socket.on(COMMAND_EVENT, (payload: unknown) => {
      const command =
        typeof payload === "object" && payload !== null
          ? (payload as { command?: unknown }).command
          : undefined;
      onNudge("event", typeof command === "string" ? command : undefined);
    });
  }

  stop(): void {
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.state = "disconnected";
  }
}
