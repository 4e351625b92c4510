import { describe, expect, it } from "vitest";
import { makeCommKey } from "../../../../../sidecar/src/drivers/zk/protocol/commKey.js";

/** pyzk's make_commkey, transcribed independently (device-protocols.md §1.6), as the reference. */
function pyzkReference(key: number, session: number, ticks = 50): number[] {
  let k = 0n;
  for (let i = 0; i < 32; i++) k = (BigInt(key) & (1n << BigInt(i))) !== 0n ? (k << 1n) | 1n : k << 1n;
  k = (k + BigInt(session)) & 0xffffffffn;
  const b = [
    Number(k & 0xffn),
    Number((k >> 8n) & 0xffn),
    Number((k >> 16n) & 0xffn),
    Number((k >> 24n) & 0xffn),
  ];
  const x = [b[0]! ^ 0x5a, b[1]! ^ 0x4b, b[2]! ^ 0x53, b[3]! ^ 0x4f];
  const s = [x[2]!, x[3]!, x[0]!, x[1]!];
  return [s[0]! ^ ticks, s[1]! ^ ticks, ticks, s[3]! ^ ticks];
}

describe("makeCommKey", () => {
  it.each([
    [0, 0],
    [123456, 0x1a2b],
    [999999, 65535],
    [1, 1],
  ])("agrees with pyzk's algorithm for key %i, session %i", (key, session) => {
    expect([...makeCommKey(key, session)]).toEqual(pyzkReference(key, session));
  });

  it("carries the ticks byte in clear at offset 2", () => {
    expect(makeCommKey(123456, 77, 0x9c)[2]).toBe(0x9c);
  });

  it("wraps modulo 2^32 where pyzk overflows (large key and session)", () => {
    expect([...makeCommKey(0xffffffff, 0xffff)]).toEqual(pyzkReference(0xffffffff, 0xffff));
  });
});
