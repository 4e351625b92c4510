import { isValidParts } from "../../../sidecar/src/domain/naiveTime.js";
import { zkChecksum } from "../../../sidecar/src/drivers/zk/protocol/checksum.js";
import { makeCommKey } from "../../../sidecar/src/drivers/zk/protocol/commKey.js";
import {
  Cmd,
  EventFlag,
  FCT_FINGERTMP,
  FCT_USER,
  UDP_MAX_DATA_PER_DATAGRAM,
} from "../../../sidecar/src/drivers/zk/protocol/constants.js";
import { encodeFreeSizes } from "../../../sidecar/src/drivers/zk/protocol/freeSizes.js";
import { encodeLiveAttendance } from "../../../sidecar/src/drivers/zk/protocol/liveEvent.js";
import {
  decodePackedTime,
  encodeHexTime,
  encodePackedTime,
} from "../../../sidecar/src/drivers/zk/protocol/packedTime.js";
import { decodeTmpWrite } from "../../../sidecar/src/drivers/zk/protocol/templates.js";
import { decodeUsers } from "../../../sidecar/src/drivers/zk/protocol/userRecords.js";
import { decodePacket, encodePacket, wrapTcp } from "../../../sidecar/src/drivers/zk/protocol/packet.js";
import type { ZkPacket } from "../../../sidecar/src/drivers/zk/protocol/packet.js";
import { tcpChunkPlan, udpChunkPlan } from "./chunkPlan.js";
import type { Action, Timing } from "./chunkPlan.js";
import type { DeviceState } from "./deviceState.js";
import { optionValue } from "./deviceOptions.js";
import type { FaultBook } from "./faults.js";
import { recordSizeOf } from "./formats.js";
import type { AttendanceFormat, UserFormat } from "./formats.js";
import type { Prng } from "./prng.js";
import type { ScenarioPunch } from "./scenario.js";
import type { StatsCollector } from "./stats.js";

/**
 * One client's conversation with the device: turns each received packet into the actions the firmware would
 * take (writes, pauses, a dropped connection). Transport-agnostic; TCP and UDP differ only in framing and in
 * how a chunk is cut into writes, which is decided here so the packet-timing rules live in one place.
 */

export type { Action, Timing } from "./chunkPlan.js";
export type Transport = "tcp" | "udp";
export type LiveEventLength = 12 | 32 | 36 | 52;

export interface SessionConfig {
  /** Comm key; undefined or 0 means none (as on a device). */
  readonly commKey: number | undefined;
  readonly attendanceFormat: AttendanceFormat;
  readonly userFormat: UserFormat;
  readonly timing: Timing;
  /** Datasets of at most this many bytes (size prefix included) are sent inline as CMD_DATA. */
  readonly inlineThreshold: number;
  /** Gap between the separate writes of a chunk in the split modes, [min, max] ms. */
  readonly splitGapMs: readonly [number, number];
  readonly liveEventLength: LiveEventLength;
}

export interface SessionContext {
  readonly config: SessionConfig;
  readonly device: DeviceState;
  readonly faults: FaultBook;
  readonly stats: StatsCollector;
  readonly prng: Prng;
  /** TCP: every device session is taken (a new connection is reset at once). */
  sessionsFull(): boolean;
  /** TCP: may this client open a device session now? False = busy with another client. */
  claimSession(session: ZkSession): boolean;
  releaseSession(session: ZkSession): void;
  nextSessionId(): number;
  /** Someone punches on the device right now (punchDuringRead); realtime events included. */
  recordPunchNow(): void;
}

const EMPTY = Buffer.alloc(0);
/** pyzk reads an inline UDP reply with recv(1024): header (8) + at most 1016 data bytes. */
const UDP_INLINE_MAX = 1024 - 8;

function readCString(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.subarray(0, nul === -1 ? data.length : nul).toString("latin1");
}

function corruptChecksum(encoded: Buffer): Buffer {
  const copy = Buffer.from(encoded);
  copy.writeUInt16LE(copy.readUInt16LE(2) ^ 0x5a5a, 2);
  return copy;
}

function checksumOk(raw: Buffer): boolean {
  const copy = Buffer.from(raw);
  copy.writeUInt16LE(0, 2);
  return zkChecksum(copy) === raw.readUInt16LE(2);
}

export class ZkSession {
  private sessionId = 0;
  private connected = false;
  private authenticated = false;
  private eventFlags = 0;
  /** The dataset prepared by DATA_WRRQ, read by DATA_RDY, freed by FREE_DATA. */
  private buffer: Buffer | null = null;
  /** An upload from the client: PREPARE_DATA announces its size, DATA packets fill it, TMP_WRITE stores it. */
  private upload: { size: number; parts: Buffer[] } | null = null;
  /** GET_FREE_SIZES was answered and the attendance has not been read since (punchDuringRead window). */
  private sizesReported = false;
  private hung = false;

  constructor(
    private readonly ctx: SessionContext,
    readonly transport: Transport,
  ) {}

  get hasSession(): boolean {
    return this.connected;
  }

  get wantsAttendanceEvents(): boolean {
    return this.connected && !this.hung && (this.eventFlags & EventFlag.ATTLOG) !== 0;
  }

  /** The client went away: free the device session. */
  closed(): void {
    this.endSession();
  }

  handle(raw: Buffer): Action[] {
    const { stats, faults } = this.ctx;
    if (this.hung) return [];
    if (raw.length < 8) {
      stats.badFrames += 1;
      return [];
    }
    // A corrupt packet is ignored, as the firmware does: the client times out and retries.
    if (!checksumOk(raw)) {
      stats.badChecksums += 1;
      return [];
    }
    const packet = decodePacket(raw, false);
    stats.command(packet.command);
    // A client ACK_OK acknowledges a realtime event: never answered.
    if (packet.command === Cmd.ACK_OK) {
      stats.eventsAcked += 1;
      return [];
    }
    const actions: Action[] = [];
    const stall = faults.take("stall", (f) => (f.command ?? Cmd.DATA_RDY) === packet.command);
    if (stall) {
      if (stall.ms === undefined) {
        this.hung = true;
        return [{ kind: "hang" }];
      }
      actions.push({ kind: "pause", ms: stall.ms });
    }
    const garbage = faults.take("garbage", (f) => f.command === undefined || f.command === packet.command);
    if (garbage) {
      actions.push({ kind: "write", bytes: this.garbageBytes(garbage.bytes ?? 32) });
      return actions;
    }
    actions.push(...this.dispatch(packet));
    return actions;
  }

  /** A realtime EF_ATTLOG event (cmd 500, session = event code 1, reply 0), if this client registered. */
  liveEvent(p: ScenarioPunch): Action[] {
    if (!this.wantsAttendanceEvents) return [];
    const data =
      this.ctx.config.liveEventLength === 12
        ? Buffer.concat([
            this.uint32(Number(p.userId)),
            Buffer.from([p.verify, p.state]),
            encodeHexTime(p.time),
          ])
        : encodeLiveAttendance(p, this.ctx.config.liveEventLength);
    this.ctx.stats.eventsSent += 1;
    const packet = encodePacket({ command: Cmd.REG_EVENT, session: EventFlag.ATTLOG, reply: 0, data });
    if (this.ctx.faults.take("dropMidEvent")) {
      const framed = this.frame(packet);
      return [
        { kind: "write", bytes: framed.subarray(0, Math.floor(framed.length / 2)) },
        { kind: "pause", ms: 5 },
        { kind: "destroy", reset: false },
      ];
    }
    // One event per write, and a pause after it: verifications are seconds apart on a real terminal, and
    // pyzk takes one recv() per event (two events in one segment would be misparsed).
    return [
      { kind: "write", bytes: this.frame(packet) },
      { kind: "pause", ms: this.gapMs() },
    ];
  }

  private dispatch(packet: ZkPacket): Action[] {
    const { device, config } = this.ctx;
    switch (packet.command) {
      case Cmd.CONNECT:
        return this.connect(packet);
      case Cmd.AUTH:
        return this.auth(packet);
      case Cmd.EXIT: {
        const reply = this.reply(Cmd.ACK_OK, packet);
        this.endSession();
        // UDP has no connection to close: forget the peer. A TCP client closes its own socket.
        return this.transport === "udp" ? [...reply, { kind: "destroy", reset: false }] : reply;
      }
    }
    if (!this.connected || (this.keyRequired() && !this.authenticated))
      return this.reply(Cmd.ACK_UNAUTH, packet);
    switch (packet.command) {
      case Cmd.ACK_ERROR:
      case Cmd.ACK_UNKNOWN:
        // pyzk's _clear_error sends these as commands and waits for an answer.
        return this.reply(Cmd.ACK_UNKNOWN, packet);
      case Cmd.ENABLEDEVICE:
        device.enabled = true;
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.DISABLEDEVICE:
        device.enabled = false;
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.REFRESHDATA:
      case Cmd.STARTVERIFY:
      case Cmd.CANCELCAPTURE:
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.GET_VERSION:
        return this.reply(Cmd.ACK_OK, packet, Buffer.from(`${device.identity.firmware}\0`, "latin1"));
      case Cmd.OPTIONS_RRQ: {
        const name = readCString(packet.data);
        const value = optionValue(device.identity, name, config.attendanceFormat, config.userFormat);
        return value === undefined
          ? this.reply(Cmd.ACK_ERROR, packet)
          : this.reply(Cmd.ACK_OK, packet, Buffer.from(`${name}=${value}\0`, "latin1"));
      }
      case Cmd.GET_FREE_SIZES:
        this.sizesReported = true;
        return this.reply(
          Cmd.ACK_OK,
          packet,
          encodeFreeSizes(device.freeSizes(this.ctx.faults.active("memoryFull") !== undefined)),
        );
      case Cmd.GET_TIME:
        return this.reply(Cmd.ACK_OK, packet, this.uint32(encodePackedTime(device.now())));
      case Cmd.SET_TIME: {
        if (packet.data.length < 4) return this.reply(Cmd.ACK_ERROR, packet);
        const parts = decodePackedTime(packet.data.readUInt32LE(0));
        if (!isValidParts(parts)) return this.reply(Cmd.ACK_ERROR, packet);
        device.clock.set(parts);
        return this.reply(Cmd.ACK_OK, packet);
      }
      case Cmd.CLEAR_ATTLOG:
        device.clearPunches();
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.CLEAR_DATA: {
        // One byte: 1 attendance, 5 users (2/4: fingerprints/oplog, which the simulator does not hold).
        const what = packet.data[0];
        if (what === undefined || what === 1) device.clearPunches();
        if (what === undefined || what === 5) device.clearUsers();
        return this.reply(Cmd.ACK_OK, packet);
      }
      case Cmd.USER_WRQ: {
        // One record in the device's own format; any other length is a client that guessed wrong.
        if (packet.data.length !== config.userFormat) return this.reply(Cmd.ACK_ERROR, packet);
        const dataset = Buffer.alloc(4 + config.userFormat);
        dataset.writeUInt32LE(config.userFormat, 0);
        packet.data.copy(dataset, 4);
        const [user] = decodeUsers(dataset, 1).users;
        return this.reply(user && device.writeUser(user) ? Cmd.ACK_OK : Cmd.ACK_ERROR, packet);
      }
      case Cmd.DELETE_USER:
        if (packet.data.length < 2) return this.reply(Cmd.ACK_ERROR, packet);
        return this.reply(
          device.deleteUser(packet.data.readUInt16LE(0)) ? Cmd.ACK_OK : Cmd.ACK_ERROR,
          packet,
        );
      case Cmd.REG_EVENT:
        this.eventFlags = packet.data.length >= 4 ? packet.data.readUInt32LE(0) : (packet.data[0] ?? 0);
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.DATA_WRRQ:
        return this.prepareBuffer(packet);
      case Cmd.DATA_RDY:
        return this.readChunk(packet);
      case Cmd.FREE_DATA:
        this.buffer = null;
        this.upload = null;
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.PREPARE_DATA:
        if (packet.data.length < 4) return this.reply(Cmd.ACK_ERROR, packet);
        this.upload = { size: packet.data.readUInt32LE(0), parts: [] };
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.DATA:
        if (!this.upload) return this.reply(Cmd.ACK_ERROR, packet);
        this.upload.parts.push(Buffer.from(packet.data));
        return this.reply(Cmd.ACK_OK, packet);
      case Cmd.TMP_WRITE: {
        const head = decodeTmpWrite(packet.data);
        const bytes = this.upload ? Buffer.concat(this.upload.parts) : null;
        this.upload = null;
        if (!head || !bytes || bytes.length !== head.size || head.size === 0)
          return this.reply(Cmd.ACK_ERROR, packet);
        const stored = device.writeTemplate({
          uid: head.uid,
          fid: head.fid,
          valid: head.valid,
          template: bytes,
        });
        return this.reply(stored ? Cmd.ACK_OK : Cmd.ACK_ERROR, packet);
      }
      default:
        return this.reply(Cmd.ACK_UNKNOWN, packet);
    }
  }

  private keyRequired(): boolean {
    const key = this.ctx.config.commKey;
    return key !== undefined && key !== 0;
  }

  private connect(packet: ZkPacket): Action[] {
    if (!this.connected) {
      if (this.transport === "tcp" && !this.ctx.claimSession(this)) {
        this.ctx.stats.busyResets += 1;
        return [{ kind: "destroy", reset: true }];
      }
      // Reconnecting on the same socket keeps the session id (zk-protocol "Session ID").
      if (this.sessionId === 0) this.sessionId = this.ctx.nextSessionId();
      this.connected = true;
      this.authenticated = !this.keyRequired();
      this.ctx.stats.sessionsOpened += 1;
    }
    return this.reply(this.authenticated ? Cmd.ACK_OK : Cmd.ACK_UNAUTH, packet);
  }

  private auth(packet: ZkPacket): Action[] {
    if (!this.connected) return this.reply(Cmd.ACK_UNAUTH, packet);
    if (!this.keyRequired()) {
      this.authenticated = true;
      return this.reply(Cmd.ACK_OK, packet);
    }
    // Verify with the ticks byte the client chose (auth[2]): some clients randomise it.
    const data = packet.data;
    const ticks = data[2];
    if (data.length >= 4 && ticks !== undefined) {
      const expected = makeCommKey(this.ctx.config.commKey!, this.sessionId, ticks);
      if (expected.equals(data.subarray(0, 4))) {
        this.authenticated = true;
        return this.reply(Cmd.ACK_OK, packet);
      }
    }
    this.ctx.stats.authFailures += 1;
    return this.reply(Cmd.ACK_UNAUTH, packet);
  }

  private endSession(): void {
    if (this.connected && this.transport === "tcp") this.ctx.releaseSession(this);
    this.connected = false;
    this.authenticated = false;
    this.eventFlags = 0;
    this.buffer = null;
    this.sizesReported = false;
  }

  private prepareBuffer(packet: ZkPacket): Action[] {
    const d = packet.data;
    // pyzk pack('<bhii', 1, table, fct, ext)
    if (d.length < 3) return this.reply(Cmd.ACK_ERROR, packet);
    const table = d.readInt16LE(1);
    const fct = d.length >= 7 ? d.readInt32LE(3) : 0;
    let dataset: Buffer;
    if (table === Cmd.ATTLOG_RRQ) dataset = this.attendanceDataset();
    else if (table === Cmd.USERTEMP_RRQ && fct === FCT_USER)
      dataset = this.ctx.device.userDataset(this.ctx.config.userFormat);
    else if (table === Cmd.DB_RRQ && fct === FCT_FINGERTMP) dataset = this.ctx.device.templateDataset();
    else return this.reply(Cmd.ACK_ERROR, packet);
    this.buffer = dataset;
    const inlineMax =
      this.transport === "udp"
        ? Math.min(this.ctx.config.inlineThreshold, UDP_INLINE_MAX)
        : this.ctx.config.inlineThreshold;
    if (dataset.length <= inlineMax) {
      return [{ kind: "write", bytes: this.frame(this.dataPacket(packet, dataset)) }];
    }
    // The 13-byte "data stat": 00, size, size, an unknown checksum-like word (clients ignore it).
    const stat = Buffer.alloc(13);
    stat.writeUInt32LE(dataset.length, 1);
    stat.writeUInt32LE(dataset.length, 5);
    return this.reply(Cmd.ACK_OK, packet, stat);
  }

  private attendanceDataset(): Buffer {
    const { device, faults, config } = this.ctx;
    // A device keeps recording unless disabled: a punch can land between the count and the read.
    if (this.sizesReported && device.enabled && faults.take("punchDuringRead")) this.ctx.recordPunchNow();
    this.sizesReported = false;
    let dataset = device.attendanceDataset(config.attendanceFormat);
    const truncated = faults.take("truncatedDataset");
    if (truncated) {
      const size = recordSizeOf(config.attendanceFormat);
      const missing = Math.min(device.punches.length, truncated.missingRecords ?? 1);
      // The size prefix still announces every record.
      dataset = Buffer.from(dataset.subarray(0, dataset.length - missing * size));
    }
    const wrong = faults.take("wrongRecordSize");
    if (wrong) {
      const extra = wrong.extraBytes ?? 3;
      const grown = Buffer.concat([dataset, Buffer.alloc(extra, 0xee)]);
      grown.writeUInt32LE(grown.readUInt32LE(0) + extra, 0);
      dataset = grown;
    }
    return dataset;
  }

  private readChunk(packet: ZkPacket): Action[] {
    const buffer = this.buffer;
    if (buffer === null || packet.data.length < 8) return this.reply(Cmd.ACK_ERROR, packet);
    const start = packet.data.readInt32LE(0);
    const size = packet.data.readInt32LE(4);
    if (start < 0 || size < 0 || start > buffer.length) return this.reply(Cmd.ACK_ERROR, packet);
    const slice = buffer.subarray(start, start + size);
    const prepareData = Buffer.alloc(8);
    prepareData.writeUInt32LE(slice.length, 0);
    const prepare = this.frame(this.packet(Cmd.PREPARE_DATA, packet, prepareData));
    const ack = this.frame(this.packet(Cmd.ACK_OK, packet, EMPTY));
    const drop = this.ctx.faults.take("dropMidChunk");
    if (this.transport === "udp") {
      const datagrams: Buffer[] = [];
      let offset = 0;
      do {
        datagrams.push(this.dataPacket(packet, slice.subarray(offset, offset + UDP_MAX_DATA_PER_DATAGRAM)));
        offset += UDP_MAX_DATA_PER_DATAGRAM;
      } while (offset < slice.length);
      return udpChunkPlan(prepare, datagrams, ack, drop !== undefined);
    }
    const data = this.frame(this.dataPacket(packet, slice));
    const dropAfter = drop ? (drop.afterBytes ?? Math.floor(data.length / 2)) : undefined;
    return tcpChunkPlan({ prepare, data, ack }, this.ctx.config.timing, () => this.gapMs(), dropAfter);
  }

  /** CMD_DATA carrying dataset bytes; the "chunk" checksum fault corrupts it. */
  private dataPacket(request: ZkPacket, data: Buffer): Buffer {
    const encoded = this.packet(Cmd.DATA, request, data);
    const bad = this.ctx.faults.take("badChecksum", (f) => f.target === "chunk");
    return bad ? corruptChecksum(encoded) : encoded;
  }

  private packet(command: number, request: ZkPacket, data: Buffer): Buffer {
    return encodePacket({ command, session: this.sessionId, reply: request.reply, data });
  }

  /** An ordinary reply: one packet, one write, echoing the request's reply id. */
  private reply(command: number, request: ZkPacket, data: Buffer = EMPTY): Action[] {
    let encoded = this.packet(command, request, data);
    const bad = this.ctx.faults.take(
      "badChecksum",
      (f) => (f.target ?? "reply") === "reply" && (f.command === undefined || f.command === request.command),
    );
    if (bad) encoded = corruptChecksum(encoded);
    return [{ kind: "write", bytes: this.frame(encoded) }];
  }

  private frame(encoded: Buffer): Buffer {
    return this.transport === "tcp" ? wrapTcp(encoded) : encoded;
  }

  private uint32(value: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    return b;
  }

  private gapMs(): number {
    const [min, max] = this.ctx.config.splitGapMs;
    return this.ctx.prng.int(min, max);
  }

  /** Random bytes that cannot be mistaken for a ZK TCP frame (first byte is never 0x50). */
  private garbageBytes(length: number): Buffer {
    const bytes = Buffer.alloc(Math.max(1, length));
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.ctx.prng.int(0, 255);
    if (bytes[0] === 0x50) bytes[0] = 0x51;
    return bytes;
  }
}
