/**
 * Fingerprint templates over the ZK binary protocol (pyzk `get_templates`, `Finger.repack`).
 *
 * The dataset read with DATA_WRRQ (table CMD_DB_RRQ = 7, FCT_FINGERTMP = 2) is a uint32 total size, then
 * records: uint16 record size (6 + template bytes), uint16 internal uid, int8 finger number (0-9), int8 valid
 * flag (1 valid, 3 duress; 0 invalid), the template bytes.
 *
 * One template is written with the upload buffer (FREE_DATA, PREPARE_DATA uint32 size, DATA chunks of at most
 * 1024 bytes) followed by CMD_TMP_WRITE (87) whose data is uint16 uid, uint8 finger, uint8 valid, uint16 size.
 */

export interface ZkTemplate {
  readonly uid: number;
  readonly fid: number;
  readonly valid: number;
  readonly template: Buffer;
}

export const TEMPLATE_HEADER_BYTES = 6;
/** Larger than any fingerprint template a ZK algorithm produces (ZKFinger v10: ~0.5-1.6 kB). */
export const MAX_TEMPLATE_BYTES = 0xffff - TEMPLATE_HEADER_BYTES;

export function decodeTemplates(dataset: Buffer): ZkTemplate[] {
  if (dataset.length < 4) return [];
  const total = dataset.readUInt32LE(0);
  const end = Math.min(dataset.length, 4 + total);
  const out: ZkTemplate[] = [];
  let at = 4;
  while (at + TEMPLATE_HEADER_BYTES <= end) {
    const size = dataset.readUInt16LE(at);
    if (size < TEMPLATE_HEADER_BYTES || at + size > end)
      throw new Error(`template record at byte ${at} announces ${size} bytes; the dataset has ${end - at}`);
    out.push({
      uid: dataset.readUInt16LE(at + 2),
      fid: dataset.readInt8(at + 4),
      valid: dataset.readInt8(at + 5),
      template: Buffer.from(dataset.subarray(at + TEMPLATE_HEADER_BYTES, at + size)),
    });
    at += size;
  }
  return out;
}

export function encodeTemplates(templates: readonly ZkTemplate[]): Buffer {
  const records = templates.map((t) => {
    const record = Buffer.alloc(TEMPLATE_HEADER_BYTES + t.template.length);
    record.writeUInt16LE(record.length, 0);
    record.writeUInt16LE(t.uid, 2);
    record.writeInt8(t.fid, 4);
    record.writeInt8(t.valid, 5);
    t.template.copy(record, TEMPLATE_HEADER_BYTES);
    return record;
  });
  const body = Buffer.concat(records);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** CMD_TMP_WRITE's data: which user and finger the uploaded buffer is. */
export function encodeTmpWrite(uid: number, fid: number, valid: number, size: number): Buffer {
  const data = Buffer.alloc(6);
  data.writeUInt16LE(uid, 0);
  data.writeUInt8(fid, 2);
  data.writeUInt8(valid, 3);
  data.writeUInt16LE(size, 4);
  return data;
}

export function decodeTmpWrite(
  data: Buffer,
): { uid: number; fid: number; valid: number; size: number } | null {
  if (data.length < 6) return null;
  return {
    uid: data.readUInt16LE(0),
    fid: data.readUInt8(2),
    valid: data.readUInt8(3),
    size: data.readUInt16LE(4),
  };
}
