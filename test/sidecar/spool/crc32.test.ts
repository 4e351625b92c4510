import { randomBytes } from "node:crypto";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../../sidecar/src/spool/crc32.js";

const ascii = (text: string): Buffer => Buffer.from(text, "latin1");

describe("crc32", () => {
  it("matches the standard CRC-32 check values", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(ascii(""))).toBe(0);
    expect(crc32(ascii("a"))).toBe(0xe8b7be43);
    expect(crc32(ascii("abc"))).toBe(0x352441c2);
    expect(crc32(ascii("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
    expect(crc32(Buffer.alloc(32))).toBe(0x190a55ad);
    expect(crc32(Buffer.alloc(32, 0xff))).toBe(0xff6cab0b);
  });

  it("continues across pieces: crc(a + b) = crc(b, crc(a)) at every split point", () => {
    const data = randomBytes(67);
    const whole = crc32(data);
    for (let split = 0; split <= data.length; split++) {
      expect(crc32(data.subarray(split), crc32(data.subarray(0, split)))).toBe(whole);
    }
  });

  it("agrees with zlib.crc32 on random data of every length 0..300 (where the runtime has it)", () => {
    const reference = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
    if (!reference) return; // Node < 20.15: the fixed vectors above still apply
    for (let length = 0; length <= 300; length++) {
      const data = randomBytes(length);
      expect(crc32(data)).toBe(reference(data));
    }
  });
});
