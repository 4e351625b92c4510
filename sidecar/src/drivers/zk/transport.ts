import type { ZkPacket } from "./protocol/packet.js";

/** What a transport reports upward; the client decides what each means. */
export interface TransportHandlers {
  onPacket(packet: ZkPacket): void;
  /** A packet that failed to decode (bad checksum, short, bad framing). TCP closes itself after framing errors. */
  onBadPacket(error: Error): void;
  onClose(error: Error | null): void;
}

/** TCP (length-framed stream) or UDP (one datagram, one packet) to one device. */
export interface ZkTransport {
  readonly kind: "tcp" | "udp";
  /** Largest chunk to request per DATA_RDY on this transport. */
  readonly maxChunk: number;
  open(handlers: TransportHandlers, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Sends one encoded packet (header + data). */
  send(encodedPacket: Buffer): void;
  close(): void;
}
