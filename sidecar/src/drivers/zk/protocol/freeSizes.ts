import { ProtocolError } from "../../../errors.js";

/** CMD_GET_FREE_SIZES reply: int32 LE fields (zk-protocol terminal.md; pyzk read_sizes). */
export interface FreeSizes {
  readonly users: number;
  readonly fingers: number;
  readonly records: number;
  readonly userCapacity: number;
  readonly recordCapacity: number;
  readonly recordsAvailable: number;
  readonly fingerCapacity: number;
}

export const FREE_SIZES_BYTES = 92;

export function decodeFreeSizes(data: Buffer): FreeSizes {
  if (data.length < 80) {
    throw new ProtocolError(
      "PROTOCOL_UNEXPECTED_REPLY",
      `free-sizes reply of ${data.length} bytes (need at least 80)`,
    );
  }
  const at = (index: number): number => data.readInt32LE(index * 4);
  return {
    users: at(4),
    fingers: at(6),
    records: at(8),
    fingerCapacity: at(14),
    userCapacity: at(15),
    recordCapacity: at(16),
    recordsAvailable: at(19),
  };
}

export function encodeFreeSizes(s: FreeSizes): Buffer {
  const buf = Buffer.alloc(FREE_SIZES_BYTES);
  const put = (index: number, value: number): void => void buf.writeInt32LE(value, index * 4);
  put(4, s.users);
  put(6, s.fingers);
  put(8, s.records);
  put(14, s.fingerCapacity);
  put(15, s.userCapacity);
  put(16, s.recordCapacity);
  put(17, s.fingerCapacity - s.fingers);
  put(18, s.userCapacity - s.users);
  put(19, s.recordsAvailable);
  return buf;
}
