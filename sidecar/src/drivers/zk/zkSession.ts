import { AbortedError, DeviceError, ProtocolError, SidecarError } from "../../errors.js";
import { Cmd, USHRT_MAX } from "./protocol/constants.js";
import { type ZkPacket, encodePacket } from "./protocol/packet.js";
import type { ZkTransport } from "./transport.js";

/** An unsolicited realtime event (command 500, reply id 0). `ack` tells the device it may forget it. */
export type EventListener = (packet: ZkPacket) => void;

interface Waiter {
  resolve(packet: ZkPacket): void;
  reject(error: Error): void;
}

/**
 * Request/response correlation over one transport. One exchange at a time: every request gets a fresh reply
 * id, and only packets echoing it are delivered (late packets of an abandoned attempt are dropped, which is
 * what kept node-zklib's reads out of step). Realtime events (reply id 0, command 500) go to the listener.
 */
export class ZkSession {
  sessionId = 0;
  private replyId = USHRT_MAX - 1;
  private expectedReply: number | null = null;
  private queue: ZkPacket[] = [];
  private waiter: Waiter | null = null;
  private closedWith: Error | null = null;
  private eventListener: EventListener | null = null;
  private readonly closeListeners = new Set<(error: Error) => void>();
  staleDropped = 0;

  constructor(
    private readonly transport: ZkTransport,
    private readonly where: string,
  ) {}

  async open(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.transport.open(
      {
        onPacket: (packet) => this.onPacket(packet),
        onBadPacket: (error) => this.fail(error, false),
        onClose: () =>
          this.fail(new DeviceError("DEVICE_CLOSED", `${this.where} closed the connection`), true),
      },
      timeoutMs,
      signal,
    );
    this.closedWith = null;
  }

  get isOpen(): boolean {
    return this.closedWith === null;
  }

  get transportKind(): "tcp" | "udp" {
    return this.transport.kind;
  }

  get maxChunk(): number {
    return this.transport.maxChunk;
  }

  onEvent(listener: EventListener | null): void {
    this.eventListener = listener;
  }

  /**
   * Calls `listener` once when the connection closes (at once if it already has); returns an unsubscribe.
   * A live channel waits on this: a dead link must not look like a quiet device until the next keep-alive.
   */
  onClosed(listener: (error: Error) => void): () => void {
    if (this.closedWith) {
      listener(this.closedWith);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => void this.closeListeners.delete(listener);
  }

  /** Sends a command and returns its first reply. */
  async exchange(command: number, data: Buffer, timeoutMs: number, signal?: AbortSignal): Promise<ZkPacket> {
    this.beginExchange(command, data);
    return this.receive(timeoutMs, signal, command);
  }

  /** Sends a command whose replies the caller collects with `receive` (bulk reads). */
  beginExchange(command: number, data: Buffer): void {
    if (this.closedWith) throw this.closedWith;
    this.replyId = (this.replyId + 1) % (USHRT_MAX + 1);
    this.expectedReply = this.replyId;
    this.queue = [];
    this.transport.send(encodePacket({ command, session: this.sessionId, reply: this.replyId, data }));
  }

  /** Sends a packet that expects no answer (ACK_OK for an event). */
  sendWithoutReply(command: number, reply: number, data: Buffer = Buffer.alloc(0)): void {
    if (this.closedWith) return;
    this.transport.send(encodePacket({ command, session: this.sessionId, reply, data }));
  }

  /** The next packet of the current exchange. */
  receive(timeoutMs: number, signal?: AbortSignal, command?: number): Promise<ZkPacket> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise<ZkPacket>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiter = null;
      };
      const onAbort = (): void => {
        cleanup();
        reject(new AbortedError());
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new DeviceError(
            "DEVICE_TIMEOUT",
            `${this.where} did not answer ${command === undefined ? "" : `command ${command} `}within ${timeoutMs} ms`,
            {
              details: command === undefined ? {} : { command },
            },
          ),
        );
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiter = {
        resolve: (packet) => {
          cleanup();
          resolve(packet);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
    });
  }

  close(): void {
    this.transport.close();
    this.fail(new DeviceError("DEVICE_CLOSED", `connection to ${this.where} closed`), true);
  }

  private onPacket(packet: ZkPacket): void {
    if (packet.command === Cmd.REG_EVENT && packet.reply === 0 && this.eventListener) {
      this.eventListener(packet);
      return;
    }
    if (packet.reply !== this.expectedReply) {
      this.staleDropped++;
      return;
    }
    if (this.waiter) this.waiter.resolve(packet);
    else this.queue.push(packet);
  }

  private fail(error: Error, closed: boolean): void {
    const coded =
      error instanceof SidecarError
        ? error
        : new ProtocolError("PROTOCOL_BAD_FRAME", error.message, { cause: error });
    if (closed && !this.closedWith) {
      this.closedWith = coded;
      const listeners = [...this.closeListeners];
      this.closeListeners.clear();
      for (const listener of listeners) listener(coded);
    }
    this.waiter?.reject(coded);
  }
}
