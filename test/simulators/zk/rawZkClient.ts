import dgram from "node:dgram";
import net from "node:net";
import { Cmd } from "../../../sidecar/src/drivers/zk/protocol/constants.js";
import { decodePacket, encodePacket, wrapTcp } from "../../../sidecar/src/drivers/zk/protocol/packet.js";
import type { ZkPacket } from "../../../sidecar/src/drivers/zk/protocol/packet.js";
import { TcpFramer } from "../../../sidecar/src/drivers/zk/protocol/tcpFramer.js";

/**
 * A deliberately dumb ZK client for the simulator's own tests: sends exactly the packets a test asks for and
 * records every packet (and every raw 'data' event) it gets back. Not the sidecar's client.
 */

export interface Received {
  readonly packet: ZkPacket;
  /** ms since the client was created. */
  readonly at: number;
  /** Checksum as received on the wire was correct. */
  readonly checksumOk: boolean;
}

interface Waiter {
  readonly resolve: (r: Received) => void;
  readonly reject: (err: Error) => void;
}

abstract class RawClientBase {
  sessionId = 0;
  replyId = 0;
  protected readonly started = Date.now();
  protected readonly inbox: Received[] = [];
  private waiters: Waiter[] = [];

  protected deliver(raw: Buffer): void {
    let checksumOk = true;
    try {
      decodePacket(raw, true);
    } catch {
      checksumOk = false;
    }
    const r: Received = { packet: decodePacket(raw, false), at: Date.now() - this.started, checksumOk };
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(r);
    else this.inbox.push(r);
  }

  /** The device closed the link: nothing more will arrive. */
  protected failWaiters(reason: string): void {
    this.gone = reason;
    for (const w of this.waiters.splice(0)) w.reject(new Error(`connection closed (${reason})`));
  }

  private gone: string | null = null;

  /** Encodes a command with the current session and the next reply id. */
  protected build(
    command: number,
    data: Buffer,
    opts: { corruptChecksum?: boolean; reply?: number },
  ): Buffer {
    if (opts.reply === undefined) this.replyId = (this.replyId + 1) & 0xffff;
    const encoded = encodePacket({
      command,
      session: this.sessionId,
      reply: opts.reply ?? this.replyId,
      data,
    });
    if (opts.corruptChecksum) encoded.writeUInt16LE(encoded.readUInt16LE(2) ^ 0x1111, 2);
    return encoded;
  }

  abstract send(command: number, data?: Buffer, opts?: { corruptChecksum?: boolean; reply?: number }): void;

  /** The next packet from the device, or an error after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<Received> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.gone !== null) return Promise.reject(new Error(`connection closed (${this.gone})`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no packet within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** True when nothing arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  async request(command: number, data: Buffer = Buffer.alloc(0), timeoutMs = 2000): Promise<ZkPacket> {
    this.send(command, data);
    return (await this.next(timeoutMs)).packet;
  }

  /** CMD_CONNECT and adopt the session id from the reply. */
  async connect(): Promise<ZkPacket> {
    this.sessionId = 0;
    this.replyId = 0xffff;
    const reply = await this.request(Cmd.CONNECT);
    this.sessionId = reply.session;
    return reply;
  }

  /**
   * The whole bulk dataset for a DATA_WRRQ table: inline CMD_DATA, or chunk by chunk (one DATA_RDY at a time,
   * collecting PREPARE_DATA, the DATA packet(s) and ACK_OK), then FREE_DATA.
   */
  async readBuffer(table: number, fct = 0, chunk = 0xffc0): Promise<Buffer> {
    const req = Buffer.alloc(11);
    req.writeInt8(1, 0);
    req.writeInt16LE(table, 1);
    req.writeInt32LE(fct, 3);
    const first = await this.request(Cmd.DATA_WRRQ, req);
    if (first.command === Cmd.DATA) return first.data;
    if (first.command !== Cmd.ACK_OK) throw new Error(`DATA_WRRQ answered ${first.command}`);
    const total = first.data.readUInt32LE(1);
    const parts: Buffer[] = [];
    for (let start = 0; start < total; start += chunk) {
      const size = Math.min(chunk, total - start);
      const rdy = Buffer.alloc(8);
      rdy.writeInt32LE(start, 0);
      rdy.writeInt32LE(size, 4);
      const prepare = await this.request(Cmd.DATA_RDY, rdy);
      if (prepare.command !== Cmd.PREPARE_DATA) throw new Error(`DATA_RDY answered ${prepare.command}`);
      for (;;) {
        const p = (await this.next()).packet;
        if (p.command === Cmd.ACK_OK) break;
        if (p.command !== Cmd.DATA) throw new Error(`unexpected ${p.command} in a chunk`);
        parts.push(p.data);
      }
    }
    await this.request(Cmd.FREE_DATA);
    return Buffer.concat(parts);
  }
}

export class RawTcpClient extends RawClientBase {
  /** Every 'data' event: its ms and byte count (to observe how writes reached the client). */
  readonly dataEvents: { at: number; bytes: number }[] = [];
  /** Framing errors: bytes that were not a ZK TCP frame. */
  readonly frameErrors: string[] = [];
  /** Settles when the device closes: "end" (FIN) or the error code (e.g. ECONNRESET). */
  readonly closed: Promise<string>;
  private readonly framer = new TcpFramer();

  private constructor(private readonly socket: net.Socket) {
    super();
    let settle: (how: string) => void = () => undefined;
    this.closed = new Promise((resolve) => (settle = resolve));
    let how = "end";
    socket.on("error", (err: NodeJS.ErrnoException) => (how = err.code ?? err.message));
    socket.on("close", () => {
      this.failWaiters(how);
      settle(how);
    });
    socket.on("data", (chunk: Buffer) => {
      this.dataEvents.push({ at: Date.now() - this.started, bytes: chunk.length });
      let packets: Buffer[];
      try {
        packets = this.framer.push(chunk);
      } catch (err) {
        // Not a ZK frame (the garbage fault): record it, as a real client would report it.
        this.frameErrors.push(err instanceof Error ? err.message : String(err));
        return;
      }
      for (const p of packets) this.deliver(p);
    });
  }

  /**
   * How the device treats a new connection: "open" (usable), "end" (closed at once) or an error code such as
   * "ECONNRESET" (a reset can beat the connect event, so both orders are handled).
   */
  static async outcome(port: number, host = "127.0.0.1", settleMs = 100): Promise<string> {
    let client: RawTcpClient;
    try {
      client = await RawTcpClient.open(port, host);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? String(err);
    }
    const how = await Promise.race([
      client.closed,
      new Promise<string>((r) => setTimeout(() => r("open"), settleMs)),
    ]);
    client.close();
    return how;
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawTcpClient(socket));
      });
    });
  }

  send(
    command: number,
    data: Buffer = Buffer.alloc(0),
    opts: { corruptChecksum?: boolean; reply?: number } = {},
  ): void {
    this.socket.write(wrapTcp(this.build(command, data, opts)));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

export class RawUdpClient extends RawClientBase {
  /** Data length of every datagram received. */
  readonly datagramSizes: number[] = [];
  private constructor(
    private readonly socket: dgram.Socket,
    private readonly port: number,
    private readonly host: string,
  ) {
    super();
    socket.on("message", (msg) => {
      this.datagramSizes.push(msg.length - 8);
      this.deliver(msg);
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawUdpClient> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, "127.0.0.1", () => resolve(new RawUdpClient(socket, port, host)));
    });
  }

  send(
    command: number,
    data: Buffer = Buffer.alloc(0),
    opts: { corruptChecksum?: boolean; reply?: number } = {},
  ): void {
    this.socket.send(this.build(command, data, opts), this.port, this.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
