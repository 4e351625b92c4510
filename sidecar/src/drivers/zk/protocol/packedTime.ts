import type { DateTimeParts } from "../../../domain/naiveTime.js";

/**
 * ZK packed time: every month counted as 31 days, years from 2000. Decoding never throws: it returns the raw
 * parts, which may not be a real date (Feb 31 from a corrupted value); the caller validates.
 */
export function decodePackedTime(value: number): DateTimeParts {
  let v = value >>> 0;
  const second = v % 60;
  v = Math.floor(v / 60);
  const minute = v % 60;
  v = Math.floor(v / 60);
  const hour = v % 24;
  v = Math.floor(v / 24);
  const day = (v % 31) + 1;
  v = Math.floor(v / 31);
  const month = (v % 12) + 1;
  v = Math.floor(v / 12);
  const year = v + 2000;
  return { year, month, day, hour, minute, second };
}

export function encodePackedTime(p: DateTimeParts): number {
  return (
    (((p.year % 100) * 12 * 31 + (p.month - 1) * 31 + (p.day - 1)) * 86400 +
      (p.hour * 60 + p.minute) * 60 +
      p.second) >>>
    0
  );
}

/** Realtime events carry six bytes YY MM DD hh mm ss (year = 2000 + YY). */
export function decodeHexTime(bytes: Uint8Array): DateTimeParts {
  return {
    year: 2000 + (bytes[0] ?? 0),
    month: bytes[1] ?? 0,
    day: bytes[2] ?? 0,
    hour: bytes[3] ?? 0,
    minute: bytes[4] ?? 0,
    second: bytes[5] ?? 0,
  };
}

export function encodeHexTime(p: DateTimeParts): Buffer {
  if (p.year < 2000 || p.year > 2255)
    throw new RangeError(`year ${p.year} does not fit a realtime event (2000-2255)`);
  return Buffer.from([p.year - 2000, p.month, p.day, p.hour, p.minute, p.second]);
}
