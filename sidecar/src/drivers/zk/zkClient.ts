import { DeviceError, ProtocolError } from "../../errors.js";
import {
  type DateTimeParts,
  formatNaive,
  isValidParts,
  type NaiveDateTime,
  naiveParts,
} from "../../domain/naiveTime.js";
import { makeCommKey } from "./protocol/commKey.js";
import { Cmd, EventFlag, FCT_FINGERTMP, FCT_USER, UPLOAD_CHUNK } from "./protocol/constants.js";
import { decodeFreeSizes, type FreeSizes } from "./protocol/freeSizes.js";
import { decodeLiveAttendance, type LiveAttendance } from "./protocol/liveEvent.js";
import type { ZkPacket } from "./protocol/packet.js";
import { decodePackedTime, encodePackedTime } from "./protocol/packedTime.js";
import { decodeTemplates, encodeTmpWrite, type ZkTemplate } from "./protocol/templates.js";
import { type DecodedUsers, decodeUsers, type ZkUser } from "./protocol/userRecords.js";
import { TcpTransport } from "./tcpTransport.js";
import { UdpTransport } from "./udpTransport.js";
import { ZkSession } from "./zkSession.js";

export interface ZkClientOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: "tcp" | "udp";
  /** The device's comm key (0 or absent: none). */
  readonly commKey?: number;
  /** Per step: connect, each command, each chunk. */
  readonly timeoutMs: number;
  /** Attempts per chunk before the read fails (pyzk retries three times). */
  readonly chunkAttempts: number;
}

export const DEFAULT_ZK_CLIENT_OPTIONS = { transport: "tcp", timeoutMs: 10_000, chunkAttempts: 3 } as const;

export interface ZkDeviceIdentity {
  readonly serialNumber: string | null;
  readonly platform: string | null;
  readonly deviceName: string | null;
  readonly firmware: string | null;
}

/**
 * A typed client for the ZK binary protocol (TCP and UDP), following pyzk's flow: one exchange at a time,
 * chunked bulk reads requested one chunk at a time, nothing returned as a JS Date. It speaks the protocol and
 * nothing else; turning records into punches and retry policy live in the driver.
 */
export class ZkClient {
  private session: ZkSession | null = null;
  private readonly where: string;

  constructor(private readonly options: ZkClientOptions) {
    this.where = `${options.host}:${options.port}/${options.transport}`;
  }

  get connected(): boolean {
    return this.session?.isOpen ?? false;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    const transport =
      this.options.transport === "udp"
        ? new UdpTransport(this.options.host, this.options.port)
        : new TcpTransport(this.options.host, this.options.port);
    const session = new ZkSession(transport, this.where);
    await session.open(this.options.timeoutMs, signal);
    this.session = session;
    try {
      const reply = await session.exchange(Cmd.CONNECT, Buffer.alloc(0), this.options.timeoutMs, signal);
      session.sessionId = reply.session;
      if (reply.command === Cmd.ACK_UNAUTH) {
        if (!this.options.commKey) {
          throw new DeviceError(
            "DEVICE_AUTH_FAILED",
            `${this.where} asks for a comm key and none is configured`,
          );
        }
        const auth = await session.exchange(
          Cmd.AUTH,
          makeCommKey(this.options.commKey, session.sessionId),
          this.options.timeoutMs,
          signal,
        );
        if (auth.command !== Cmd.ACK_OK) {
          throw new DeviceError("DEVICE_AUTH_FAILED", `${this.where} rejected the comm key`, {
            details: { reply: auth.command },
          });
        }
      } else if (reply.command !== Cmd.ACK_OK) {
        throw new DeviceError(
          "DEVICE_COMMAND_FAILED",
          `${this.where} refused CONNECT (reply ${reply.command})`,
          { details: { reply: reply.command } },
        );
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Says goodbye (CMD_EXIT) when possible, then closes. Never throws. */
  async disconnect(): Promise<void> {
    const session = this.session;
    if (!session) return;
    if (session.isOpen) {
      try {
        await session.exchange(Cmd.EXIT, Buffer.alloc(0), Math.min(this.options.timeoutMs, 2_000));
      } catch {
        // The device may already be gone; closing is what matters.
      }
    }
    this.close();
  }

  close(): void {
    this.session?.close();
    this.session = null;
  }

  /** Sends a command and requires ACK_OK (or a data reply); anything else is a coded error. */
  async command(command: number, data: Buffer = Buffer.alloc(0), signal?: AbortSignal): Promise<ZkPacket> {
    const reply = await this.requireSession().exchange(command, data, this.options.timeoutMs, signal);
    if (reply.command === Cmd.ACK_OK || reply.command === Cmd.ACK_DATA || reply.command === Cmd.DATA)
      return reply;
    if (reply.command === Cmd.ACK_UNAUTH)
      throw new DeviceError("DEVICE_AUTH_FAILED", `${this.where} says the session is not authenticated`);
    throw new DeviceError(
      "DEVICE_COMMAND_FAILED",
      `${this.where} answered command ${command} with ${reply.command}`,
      {
        details: { command, reply: reply.command },
      },
    );
  }

  async readOption(name: string, signal?: AbortSignal): Promise<string | null> {
    const reply = await this.requireSession().exchange(
      Cmd.OPTIONS_RRQ,
      Buffer.from(`${name}\0`, "latin1"),
      this.options.timeoutMs,
      signal,
    );
    if (reply.command !== Cmd.ACK_OK) return null;
    const text = reply.data.toString("latin1").split("\0")[0] ?? "";
    const eq = text.indexOf("=");
    return eq === -1 ? null : text.slice(eq + 1);
  }

  async readIdentity(signal?: AbortSignal): Promise<ZkDeviceIdentity> {
    const serialNumber = await this.readOption("~SerialNumber", signal);
    const platform = await this.readOption("~Platform", signal);
    const deviceName = await this.readOption("~DeviceName", signal);
    const version = await this.requireSession().exchange(
      Cmd.GET_VERSION,
      Buffer.alloc(0),
      this.options.timeoutMs,
      signal,
    );
    const firmware =
      version.command === Cmd.ACK_OK ? version.data.toString("latin1").split("\0")[0] || null : null;
    return {
      serialNumber: serialNumber || null,
      platform: platform || null,
      deviceName: deviceName || null,
      firmware,
    };
  }

  async readFreeSizes(signal?: AbortSignal): Promise<FreeSizes> {
    return decodeFreeSizes((await this.command(Cmd.GET_FREE_SIZES, Buffer.alloc(0), signal)).data);
  }

  /** The device clock as raw parts (may be invalid on a broken RTC; the caller decides). */
  async getTimeParts(signal?: AbortSignal): Promise<DateTimeParts> {
    const reply = await this.command(Cmd.GET_TIME, Buffer.alloc(0), signal);
    if (reply.data.length < 4)
      throw new ProtocolError("PROTOCOL_UNEXPECTED_REPLY", `time reply of ${reply.data.length} bytes`);
    return decodePackedTime(reply.data.readUInt32LE(0));
  }

  async getTime(signal?: AbortSignal): Promise<NaiveDateTime> {
    const parts = await this.getTimeParts(signal);
    if (!isValidParts(parts))
      throw new ProtocolError(
        "PROTOCOL_UNEXPECTED_REPLY",
        `device clock reads an invalid date ${JSON.stringify(parts)}`,
      );
    return formatNaive(parts);
  }

  async setTime(time: NaiveDateTime, signal?: AbortSignal): Promise<void> {
    const data = Buffer.alloc(4);
    data.writeUInt32LE(encodePackedTime(naiveParts(time)), 0);
    await this.command(Cmd.SET_TIME, data, signal);
    await this.command(Cmd.REFRESHDATA, Buffer.alloc(0), signal);
  }

  async disableDevice(signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.DISABLEDEVICE, Buffer.alloc(0), signal);
  }

  async enableDevice(signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.ENABLEDEVICE, Buffer.alloc(0), signal);
  }

  async clearAttendance(signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.CLEAR_ATTLOG, Buffer.alloc(0), signal);
    await this.command(Cmd.REFRESHDATA, Buffer.alloc(0), signal);
  }

  async readUsers(expectedCount: number, signal?: AbortSignal): Promise<ZkUser[]> {
    return (await this.readUserTable(expectedCount, signal)).users;
  }

  /** The user table with each record's bytes (an update rewrites a record, keeping what we do not change). */
  async readUserTable(expectedCount: number, signal?: AbortSignal): Promise<DecodedUsers> {
    const dataset = await this.readWithBuffer(Cmd.USERTEMP_RRQ, FCT_USER, signal);
    return decodeUsers(dataset, expectedCount);
  }

  /** CMD_USER_WRQ with one record in the device's format (a known uid replaces that user), then REFRESHDATA. */
  async writeUser(record: Buffer, signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.USER_WRQ, record, signal);
    await this.command(Cmd.REFRESHDATA, Buffer.alloc(0), signal);
  }

  /** CMD_DELETE_USER by internal uid, then REFRESHDATA. */
  async deleteUser(uid: number, signal?: AbortSignal): Promise<void> {
    const data = Buffer.alloc(2);
    data.writeUInt16LE(uid, 0);
    await this.command(Cmd.DELETE_USER, data, signal);
    await this.command(Cmd.REFRESHDATA, Buffer.alloc(0), signal);
  }

  /** The fingerprint template table (DB_RRQ with FCT_FINGERTMP). Template bytes are never logged. */
  async readTemplates(signal?: AbortSignal): Promise<ZkTemplate[]> {
    return decodeTemplates(await this.readWithBuffer(Cmd.DB_RRQ, FCT_FINGERTMP, signal));
  }

  /**
   * One fingerprint template for an existing user: the upload buffer (FREE_DATA, PREPARE_DATA size, DATA chunks
   * of ≤ 1024 bytes), then CMD_TMP_WRITE (uid, finger, valid, size) and REFRESHDATA.
   */
  async writeTemplate(template: ZkTemplate, signal?: AbortSignal): Promise<void> {
    const bytes = template.template;
    await this.command(Cmd.FREE_DATA, Buffer.alloc(0), signal);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(bytes.length, 0);
    await this.command(Cmd.PREPARE_DATA, size, signal);
    for (let at = 0; at < bytes.length; at += UPLOAD_CHUNK)
      await this.command(Cmd.DATA, bytes.subarray(at, at + UPLOAD_CHUNK), signal);
    await this.command(
      Cmd.TMP_WRITE,
      encodeTmpWrite(template.uid, template.fid, template.valid, bytes.length),
      signal,
    );
    await this.command(Cmd.REFRESHDATA, Buffer.alloc(0), signal);
  }

  /** The raw attendance dataset (uint32 total, then records). */
  readAttendanceDataset(
    signal?: AbortSignal,
    onProgress?: (read: number, total: number) => void,
  ): Promise<Buffer> {
    return this.readWithBuffer(Cmd.ATTLOG_RRQ, 0, signal, onProgress);
  }

  /**
   * A buffered bulk read: DATA_WRRQ answered inline (CMD_DATA) or with a size, then chunks requested one at a
   * time (never all at once: devices on slow links drop the rest), each retried on timeout or corruption, then
   * FREE_DATA. Returns exactly the announced number of bytes or throws.
   */
  async readWithBuffer(
    table: number,
    fct: number,
    signal?: AbortSignal,
    onProgress?: (read: number, total: number) => void,
  ): Promise<Buffer> {
    const session = this.requireSession();
    const request = Buffer.alloc(11);
    request.writeInt8(1, 0);
    request.writeInt16LE(table, 1);
    request.writeInt32LE(fct, 3);
    request.writeInt32LE(0, 7);
    const first = await session.exchange(Cmd.DATA_WRRQ, request, this.options.timeoutMs, signal);
    if (first.command === Cmd.DATA) {
      onProgress?.(first.data.length, first.data.length);
      return Buffer.from(first.data);
    }
    if (first.command !== Cmd.ACK_OK && first.command !== Cmd.PREPARE_DATA) {
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `${this.where} refused a bulk read of table ${table} (reply ${first.command})`,
        {
          details: { table, reply: first.command },
        },
      );
    }
    if (first.data.length < 5)
      throw new ProtocolError(
        "PROTOCOL_UNEXPECTED_REPLY",
        `bulk-read size reply of ${first.data.length} bytes`,
      );
    const total = first.data.readUInt32LE(1);
    const out = Buffer.alloc(total);
    let offset = 0;
    onProgress?.(0, total);
    while (offset < total) {
      const size = Math.min(session.maxChunk, total - offset);
      const chunk = await this.readChunkWithRetries(offset, size, signal);
      chunk.copy(out, offset);
      offset += size;
      onProgress?.(offset, total);
    }
    await this.command(Cmd.FREE_DATA, Buffer.alloc(0), signal);
    return out;
  }

  private async readChunkWithRetries(start: number, size: number, signal?: AbortSignal): Promise<Buffer> {
    let lastError: Error | null = null;
    for (let attempt = 1; attempt <= this.options.chunkAttempts; attempt++) {
      try {
        return await this.readChunk(start, size, signal);
      } catch (error) {
        const retryable = (error as { retryable?: boolean }).retryable === true;
        // A closed connection cannot be retried here: the device forgot the buffer with the session.
        if (!retryable || !this.connected) throw error;
        lastError = error as Error;
      }
    }
    throw lastError ?? new DeviceError("DEVICE_TIMEOUT", "chunk read failed");
  }

  /** One DATA_RDY: PREPARE_DATA (size), DATA packet(s) until `size` bytes, then ACK_OK; all carry our reply id. */
  private async readChunk(start: number, size: number, signal?: AbortSignal): Promise<Buffer> {
    const session = this.requireSession();
    const request = Buffer.alloc(8);
    request.writeInt32LE(start, 0);
    request.writeInt32LE(size, 4);
    session.beginExchange(Cmd.DATA_RDY, request);
    const parts: Buffer[] = [];
    let received = 0;
    for (;;) {
      const packet = await session.receive(this.options.timeoutMs, signal, Cmd.DATA_RDY);
      if (packet.command === Cmd.PREPARE_DATA) continue;
      if (packet.command === Cmd.DATA) {
        parts.push(Buffer.from(packet.data));
        received += packet.data.length;
        if (received > size) {
          throw new ProtocolError(
            "PROTOCOL_UNEXPECTED_REPLY",
            `chunk at ${start} delivered ${received} bytes for ${size} requested`,
            {
              details: { start, size, received },
            },
          );
        }
        continue;
      }
      if (packet.command === Cmd.ACK_OK) {
        if (received === size) return Buffer.concat(parts, size);
        throw new ProtocolError(
          "ZK_DATASET_TRUNCATED",
          `chunk at ${start} ended after ${received} of ${size} bytes`,
          {
            details: { start, size, received },
          },
        );
      }
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `${this.where} answered a chunk request with ${packet.command}`,
        { details: { reply: packet.command } },
      );
    }
  }

  /**
   * Registers for EF_ATTLOG events and delivers each one; the device is acknowledged after `onEvent` resolves, so
   * an event whose handler failed is not acknowledged. `onReady` runs once the device accepted the registration.
   * Resolves when `signal` aborts; rejects with DEVICE_CLOSED when the connection drops (noticed at once, not at
   * the next keep-alive), or with the keep-alive's error when the device stops answering.
   */
  async live(
    onEvent: (event: LiveAttendance) => Promise<void>,
    onBadEvent: (error: Error) => void,
    signal: AbortSignal,
    options: { keepAliveMs?: number; onReady?: () => void } = {},
  ): Promise<void> {
    const keepAliveMs = options.keepAliveMs ?? 30_000;
    const session = this.requireSession();
    let chain = Promise.resolve();
    session.onEvent((packet) => {
      chain = chain.then(async () => {
        try {
          await onEvent(decodeLiveAttendance(packet.data));
          session.sendWithoutReply(Cmd.ACK_OK, 0);
        } catch (error) {
          onBadEvent(error as Error);
        }
      });
    });
    // Set from the close callback (an object, so the checks below are not narrowed away).
    const link: { closedWith: Error | null; wake: (() => void) | null } = { closedWith: null, wake: null };
    const unsubscribe = session.onClosed((error) => {
      link.closedWith = error;
      link.wake?.();
    });
    try {
      const flags = Buffer.alloc(4);
      flags.writeUInt32LE(EventFlag.ATTLOG, 0);
      await this.command(Cmd.REG_EVENT, flags, signal);
      options.onReady?.();
      // Periodic GET_TIME proves the link is alive; a dead device otherwise looks like a quiet one.
      while (!signal.aborted && link.closedWith === null) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            link.wake = null;
            resolve();
          };
          const timer = setTimeout(done, keepAliveMs);
          signal.addEventListener("abort", done, { once: true });
          link.wake = done;
        });
        if (signal.aborted || link.closedWith !== null) break;
        await this.command(Cmd.GET_TIME, Buffer.alloc(0), signal);
      }
    } finally {
      unsubscribe();
      await chain;
      session.onEvent(null);
    }
    if (link.closedWith !== null && !signal.aborted) throw link.closedWith;
  }

  private requireSession(): ZkSession {
    if (!this.session?.isOpen) throw new DeviceError("DEVICE_CLOSED", `not connected to ${this.where}`);
    return this.session;
  }
}
