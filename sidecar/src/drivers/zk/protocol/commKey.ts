/**
 * The comm-key scramble sent with CMD_AUTH (pyzk make_commkey, "copied from commpro.c - MakeKey").
 * Computed modulo 2^32: pyzk overflows when bitrev(key) + session exceeds 32 bits.
 */
export function makeCommKey(key: number, sessionId: number, ticks = 50): Buffer {
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (key & (2 ** i)) !== 0 ? reversed * 2 + 1 : reversed * 2;
    reversed %= 2 ** 32;
  }
  const k = (reversed + sessionId) % 2 ** 32;
  const b = Buffer.alloc(4);
  b.writeUInt32LE(k, 0);
  const x = [b[0]! ^ 0x5a, b[1]! ^ 0x4b, b[2]! ^ 0x53, b[3]! ^ 0x4f];
  const swapped = [x[2]!, x[3]!, x[0]!, x[1]!];
  const t = ticks & 0xff;
  return Buffer.from([swapped[0]! ^ t, swapped[1]! ^ t, t, swapped[3]! ^ t]);
}
