import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidParts } from "../../../../../sidecar/src/domain/naiveTime.js";
import { SidecarError } from "../../../../../sidecar/src/errors.js";
import { decodeAttendance } from "../../../../../sidecar/src/drivers/zk/protocol/attendanceRecords.js";
import { decodeFreeSizes } from "../../../../../sidecar/src/drivers/zk/protocol/freeSizes.js";
import { decodeLiveAttendance } from "../../../../../sidecar/src/drivers/zk/protocol/liveEvent.js";
import {
  decodePacket,
  encodePacket,
  wrapTcp,
} from "../../../../../sidecar/src/drivers/zk/protocol/packet.js";
import { TcpFramer } from "../../../../../sidecar/src/drivers/zk/protocol/tcpFramer.js";
import { decodeUsers } from "../../../../../sidecar/src/drivers/zk/protocol/userRecords.js";

/** Runs a parser on hostile input: it may return or throw a coded SidecarError, nothing else. */
function onlyCodedErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toMatch(/^[A-Z_]+$/);
  }
}

const bytes = (max = 4096) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const runs = { numRuns: 500 };

describe("ZK parsers under random input", () => {
  it("decodePacket returns or throws a coded error", () => {
    fc.assert(
      fc.property(bytes(), (b) => onlyCodedErrors(() => decodePacket(b))),
      runs,
    );
  });

  it("TcpFramer never throws anything but coded errors and never returns a packet it did not receive whole", () => {
    fc.assert(
      fc.property(fc.array(bytes(600), { maxLength: 8 }), (chunks) => {
        const framer = new TcpFramer();
        for (const chunk of chunks) {
          onlyCodedErrors(() => {
            for (const packet of framer.push(chunk)) expect(packet.length).toBeGreaterThanOrEqual(8);
          });
        }
      }),
      runs,
    );
  });

  it("TcpFramer finds every packet however a valid stream is split", () => {
    const packet = fc.record({
      command: fc.integer({ min: 0, max: 0xffff }),
      reply: fc.integer({ min: 0, max: 0xffff }),
      data: bytes(300),
    });
    fc.assert(
      fc.property(
        fc.array(packet, { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }),
        (packets, cuts) => {
          const stream = Buffer.concat(packets.map((p) => wrapTcp(encodePacket({ ...p, session: 7 }))));
          const framer = new TcpFramer();
          const out: Buffer[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(...framer.push(stream.subarray(offset, offset + size)));
            offset += size;
          }
          expect(out.map((p) => decodePacket(p).reply)).toEqual(packets.map((p) => p.reply));
        },
      ),
      runs,
    );
  });

  it("record decoders return or throw coded errors for any dataset and count", () => {
    fc.assert(
      fc.property(bytes(), fc.integer({ min: 0, max: 200 }), (b, count) => {
        onlyCodedErrors(() => decodeAttendance(b, count, isValidParts));
        onlyCodedErrors(() => decodeUsers(b, count));
      }),
      runs,
    );
  });

  it("event and free-size decoders return or throw coded errors", () => {
    fc.assert(
      fc.property(bytes(200), (b) => {
        onlyCodedErrors(() => decodeLiveAttendance(b));
        onlyCodedErrors(() => decodeFreeSizes(b));
      }),
      runs,
    );
  });
});
