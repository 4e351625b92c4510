import { describe, expect, it } from "vitest";
import { encodePacket, wrapTcp } from "../../../../../sidecar/src/drivers/zk/protocol/packet.js";
import { TcpFramer } from "../../../../../sidecar/src/drivers/zk/protocol/tcpFramer.js";

const frame = (reply: number, size: number): Buffer =>
  wrapTcp(encodePacket({ command: 1501, session: 9, reply, data: Buffer.alloc(size, reply) }));

describe("TcpFramer", () => {
  it("cuts coalesced packets apart (a fast device writes PREPARE, DATA and ACK at once)", () => {
    const stream = Buffer.concat([frame(1, 8), frame(2, 70_000), frame(3, 0)]);
    const packets = new TcpFramer().push(stream);
    expect(packets.map((p) => p.length)).toEqual([16, 70_008, 8]);
  });

  it("reassembles a packet split across many reads, byte by byte", () => {
    const stream = Buffer.concat([frame(1, 300), frame(2, 5)]);
    const framer = new TcpFramer();
    const packets: Buffer[] = [];
    for (const byte of stream) packets.push(...framer.push(Buffer.from([byte])));
    expect(packets).toHaveLength(2);
    expect(packets[0]!.readUInt16LE(6)).toBe(1);
    expect(framer.pendingBytes).toBe(0);
  });

  it("refuses a stream without the ZK magic with PROTOCOL_BAD_FRAME", () => {
    expect(() => new TcpFramer().push(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toThrow(
      expect.objectContaining({ code: "PROTOCOL_BAD_FRAME" }),
    );
  });

  it("refuses an absurd frame length instead of waiting forever for it", () => {
    const bad = Buffer.from("5050827dffffff7f", "hex");
    expect(() => new TcpFramer().push(bad)).toThrow(expect.objectContaining({ code: "PROTOCOL_BAD_FRAME" }));
  });
});
