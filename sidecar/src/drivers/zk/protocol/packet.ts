import { ProtocolError } from "../../../errors.js";
import { zkChecksum } from "./checksum.js";
import { HEADER_BYTES, TCP_MAGIC_1, TCP_MAGIC_2, TCP_TOP_BYTES } from "./constants.js";

/** One ZK packet: the 8-byte header and its data (the TCP "top" is transport framing, not part of it). */
export interface ZkPacket {
  readonly command: number;
  readonly session: number;
  readonly reply: number;
  readonly data: Buffer;
}

export function encodePacket(packet: ZkPacket): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES + packet.data.length);
  buf.writeUInt16LE(packet.command, 0);
  buf.writeUInt16LE(0, 2);
  buf.writeUInt16LE(packet.session & 0xffff, 4);
  buf.writeUInt16LE(packet.reply & 0xffff, 6);
  packet.data.copy(buf, HEADER_BYTES);
  buf.writeUInt16LE(zkChecksum(buf), 2);
  return buf;
}

/** Decodes a packet; with `verifyChecksum` a bad checksum is a PROTOCOL_BAD_CHECKSUM error. */
export function decodePacket(buf: Buffer, verifyChecksum = true): ZkPacket {
  if (buf.length < HEADER_BYTES) {
    throw new ProtocolError(
      "PROTOCOL_BAD_FRAME",
      `packet of ${buf.length} bytes is shorter than the 8-byte header`,
      {
        details: { bytes: buf.length },
      },
    );
  }
  if (verifyChecksum) {
    const received = buf.readUInt16LE(2);
    const copy = Buffer.from(buf);
    copy.writeUInt16LE(0, 2);
    const expected = zkChecksum(copy);
    if (received !== expected) {
      throw new ProtocolError(
        "PROTOCOL_BAD_CHECKSUM",
        `bad checksum 0x${received.toString(16)} (expected 0x${expected.toString(16)})`,
        {
          details: { command: buf.readUInt16LE(0) },
        },
      );
    }
  }
  return {
    command: buf.readUInt16LE(0),
    session: buf.readUInt16LE(4),
    reply: buf.readUInt16LE(6),
    data: buf.subarray(HEADER_BYTES),
  };
}

/** Adds the 8-byte TCP top (magic + uint32 LE length) in front of an encoded packet. */
export function wrapTcp(encodedPacket: Buffer): Buffer {
  const top = Buffer.alloc(TCP_TOP_BYTES);
  top.writeUInt16LE(TCP_MAGIC_1, 0);
  top.writeUInt16LE(TCP_MAGIC_2, 2);
  top.writeUInt32LE(encodedPacket.length, 4);
  return Buffer.concat([top, encodedPacket]);
}
