import { describe, expect, it } from "vitest";
import { zkChecksum } from "../../../../../sidecar/src/drivers/zk/protocol/checksum.js";
import { decodePacket, encodePacket } from "../../../../../sidecar/src/drivers/zk/protocol/packet.js";

describe("zkChecksum", () => {
  it("matches the test vectors captured in adrobinoga/zk-protocol", () => {
    expect(zkChecksum(Buffer.from("0b00f38d03005a4b4661636556657273696f6e00", "hex"))).toBe(0x175a);
    expect(zkChecksum(Buffer.from("d007f38d0a0009", "hex"))).toBe(0x6a29);
  });

  it("verifies the worked CMD_OPTIONS_RRQ example packet", () => {
    const packet = decodePacket(Buffer.from("0b0058efc5c005007e4f5300", "hex"));
    expect(packet).toMatchObject({ command: 0x000b, session: 0xc0c5, reply: 5 });
    expect(packet.data.toString("latin1")).toBe("~OS\0");
  });

  it("is what encodePacket writes, so a round trip verifies", () => {
    const encoded = encodePacket({
      command: 1503,
      session: 0x1234,
      reply: 77,
      data: Buffer.from([1, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    });
    expect(decodePacket(encoded)).toMatchObject({ command: 1503, session: 0x1234, reply: 77 });
  });

  it("rejects a corrupted packet with PROTOCOL_BAD_CHECKSUM", () => {
    const encoded = encodePacket({ command: 2000, session: 1, reply: 2, data: Buffer.from("hello") });
    encoded[9] = encoded[9]! ^ 0xff;
    expect(() => decodePacket(encoded)).toThrow(
      expect.objectContaining({ code: "PROTOCOL_BAD_CHECKSUM", retryable: true }),
    );
  });

  it("rejects a packet shorter than its header", () => {
    expect(() => decodePacket(Buffer.from([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: "PROTOCOL_BAD_FRAME" }),
    );
  });
});
