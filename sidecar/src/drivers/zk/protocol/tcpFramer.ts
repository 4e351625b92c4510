import { ProtocolError } from "../../../errors.js";
import { MAX_FRAME_BYTES, TCP_MAGIC_1, TCP_MAGIC_2, TCP_TOP_BYTES } from "./constants.js";

/**
 * Cuts a TCP byte stream into ZK packets by the uint32 length in each 8-byte top. One 'data' event may hold
 * several packets or a fraction of one (node-zklib assumed one packet per event and lost data).
 */
export class TcpFramer {
  private buffered: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns every complete packet (header + data, top stripped). Throws on a bad top. */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const packets: Buffer[] = [];
    while (this.buffered.length >= TCP_TOP_BYTES) {
      const magic1 = this.buffered.readUInt16LE(0);
      const magic2 = this.buffered.readUInt16LE(2);
      if (magic1 !== TCP_MAGIC_1 || magic2 !== TCP_MAGIC_2) {
        const head = this.buffered.subarray(0, 16).toString("hex");
        this.buffered = Buffer.alloc(0);
        throw new ProtocolError(
          "PROTOCOL_BAD_FRAME",
          `stream does not start with the ZK TCP magic 5050827d (got ${head})`,
        );
      }
      const length = this.buffered.readUInt32LE(4);
      if (length < 8 || length > MAX_FRAME_BYTES) {
        this.buffered = Buffer.alloc(0);
        throw new ProtocolError("PROTOCOL_BAD_FRAME", `implausible ZK frame length ${length}`, {
          details: { length },
        });
      }
      if (this.buffered.length < TCP_TOP_BYTES + length) break;
      packets.push(this.buffered.subarray(TCP_TOP_BYTES, TCP_TOP_BYTES + length));
      this.buffered = this.buffered.subarray(TCP_TOP_BYTES + length);
    }
    return packets;
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }

  reset(): void {
    this.buffered = Buffer.alloc(0);
  }
}
