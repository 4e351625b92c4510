import net from "node:net";
import { DeviceError, SidecarError } from "../../errors.js";
import { decodePacket, wrapTcp } from "./protocol/packet.js";
import { TcpFramer } from "./protocol/tcpFramer.js";
import { TCP_MAX_CHUNK } from "./protocol/constants.js";
import type { TransportHandlers, ZkTransport } from "./transport.js";
import { socketError } from "../shared/socketErrors.js";

export class TcpTransport implements ZkTransport {
  readonly kind = "tcp" as const;
  readonly maxChunk = TCP_MAX_CHUNK;
  private socket: net.Socket | null = null;
  private readonly framer = new TcpFramer();

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  open(handlers: TransportHandlers, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.socket = socket;
      socket.setNoDelay(true);
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(new DeviceError("DEVICE_TIMEOUT", "connect aborted"));
      const timer = setTimeout(
        () =>
          fail(
            new DeviceError(
              "DEVICE_UNREACHABLE",
              `no TCP connection to ${this.host}:${this.port} within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
      socket.on("data", (chunk: Buffer) => {
        let frames: Buffer[];
        try {
          frames = this.framer.push(chunk);
        } catch (error) {
          // The stream is out of step; nothing after this point can be trusted.
          handlers.onBadPacket(error as Error);
          socket.destroy();
          return;
        }
        for (const frame of frames) {
          try {
            handlers.onPacket(decodePacket(frame));
          } catch (error) {
            handlers.onBadPacket(error as Error);
          }
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (!settled) fail(socketError(error, this.host, this.port));
      });
      socket.on("close", () => {
        this.socket = null;
        if (!settled) {
          fail(
            new DeviceError(
              "DEVICE_CLOSED",
              `${this.host}:${this.port} closed the connection while connecting`,
            ),
          );
          return;
        }
        handlers.onClose(null);
      });
    });
  }

  send(encodedPacket: Buffer): void {
    if (!this.socket) throw new SidecarError("DEVICE_CLOSED", "not connected");
    this.socket.write(wrapTcp(encodedPacket));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
    this.framer.reset();
  }
}
