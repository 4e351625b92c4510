/**
 * 16-bit one's-complement sum of header + data as little-endian words (checksum field zeroed), an odd trailing
 * byte added alone, carries folded, then inverted. Verified against zk-protocol's captured packets.
 */
export function zkChecksum(buf: Uint8Array): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < buf.length; i += 2) sum += buf[i]! | (buf[i + 1]! << 8);
  if (i < buf.length) sum += buf[i]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
