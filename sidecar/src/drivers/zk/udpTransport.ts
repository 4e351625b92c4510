import dgram from "node:dgram";
import { SidecarError } from "../../errors.js";
import { decodePacket } from "./protocol/packet.js";
import { UDP_MAX_CHUNK } from "./protocol/constants.js";
import type { TransportHandlers, ZkTransport } from "./transport.js";
import { socketError } from "../shared/socketErrors.js";

/** UDP: one datagram is one packet. Binds an ephemeral local port (node-zklib's fixed port collided). */
export class UdpTransport implements ZkTransport {
  readonly kind = "udp" as const;
  readonly maxChunk = UDP_MAX_CHUNK;
  private socket: dgram.Socket | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  open(handlers: TransportHandlers, _timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket("udp4");
      this.socket = socket;
      let opened = false;
      socket.on("message", (message: Buffer) => {
        try {
          handlers.onPacket(decodePacket(message));
        } catch (error) {
          handlers.onBadPacket(error as Error);
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        const coded = socketError(error, this.host, this.port);
        if (!opened) {
          socket.close();
          reject(coded);
        } else handlers.onBadPacket(coded);
      });
      socket.on("close", () => {
        this.socket = null;
        if (opened) handlers.onClose(null);
      });
      socket.connect(this.port, this.host, () => {
        opened = true;
        resolve();
      });
    });
  }

  send(encodedPacket: Buffer): void {
    if (!this.socket) throw new SidecarError("DEVICE_CLOSED", "not connected");
    this.socket.send(encodedPacket);
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }
}
