/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum zip and PNG use.
 * Written here because zlib.crc32 needs Node 20.15+ and the sidecar runs on Node 18.
 * Slicing-by-4 tables: four bytes per step, a few times faster than one table, which matters when
 * a replay or an open checks every byte of a large spool.
 */
const TABLES = buildTables();

function buildTables(): Uint32Array[] {
  const first = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    first[n] = c >>> 0;
  }
  const tables = [first];
  for (let t = 1; t < 4; t++) {
    const previous = tables[t - 1]!;
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) table[n] = (previous[n]! >>> 8) ^ first[previous[n]! & 0xff]!;
    tables.push(table);
  }
  return tables;
}

const [T0, T1, T2, T3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** CRC-32 of `data`; pass a previous result as `previous` to continue over several pieces. */
export function crc32(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  let i = 0;
  const fourByteEnd = data.length - (data.length % 4);
  for (; i < fourByteEnd; i += 4) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    crc = T3[crc & 0xff]! ^ T2[(crc >>> 8) & 0xff]! ^ T1[(crc >>> 16) & 0xff]! ^ T0[crc >>> 24]!;
  }
  for (; i < data.length; i++) crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
