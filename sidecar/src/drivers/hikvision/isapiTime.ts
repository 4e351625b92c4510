import { formatNaive, isValidParts, type NaiveDateTime, naiveToEpochMs } from "../../domain/naiveTime.js";
import { utcMsToWall, wallToUtcMs } from "../../domain/timeZone.js";

/** An ISAPI time: the device's wall clock as written, and its UTC offset when one was given. */
export interface IsapiTime {
  readonly wall: NaiveDateTime;
  /** Minutes east of UTC (+330 for +05:30); null when the text had no offset. */
  readonly offsetMinutes: number | null;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Parses `2024-03-01T09:00:12+05:30` (also `Z`, `+0530`, `+05`, fractions, no offset). Null if it is not one. */
export function parseIsapiTime(text: string): IsapiTime | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const parts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6]),
  };
  if (!isValidParts(parts)) return null;
  const zone = m[7];
  let offsetMinutes: number | null = null;
  if (zone !== undefined) {
    if (zone.toUpperCase() === "Z") {
      offsetMinutes = 0;
    } else {
      const digits = zone.slice(1).replace(":", "");
      const hours = Number(digits.slice(0, 2));
      const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
      if (hours > 14 || minutes > 59) return null;
      offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
    }
  }
  return { wall: formatNaive(parts), offsetMinutes };
}

/**
 * The punch time in the device's zone (design.md: drivers that get an offset convert to the device's zone
 * first). With no configured zone, or no offset in the text, the wall clock is taken as written.
 */
export function toDeviceWall(time: IsapiTime, deviceZone: string | null): NaiveDateTime {
  if (deviceZone === null || time.offsetMinutes === null) return time.wall;
  const utcMs = naiveToEpochMs(time.wall) - time.offsetMinutes * 60_000;
  return utcMsToWall(utcMs, deviceZone);
}

/** `+05:30` / `-03:00` / `+00:00`. */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** `2024-03-01T09:00:00+05:30`: what AcsEventCond startTime/endTime and PUT /ISAPI/System/time want. */
export function formatIsapiTime(wall: NaiveDateTime, offsetMinutes: number): string {
  return `${wall.replace(" ", "T")}${formatOffset(offsetMinutes)}`;
}

/** The zone's offset (minutes) in force at that wall-clock time. */
export function offsetAtWall(wall: NaiveDateTime, zone: string): number {
  return Math.round((naiveToEpochMs(wall) - wallToUtcMs(wall, zone)) / 60_000);
}

/**
 * Reads a Hikvision `<timeZone>` value, POSIX style: `CST-5:30:00` is UTC+05:30 (the sign is inverted: the
 * POSIX offset is what you add to local time to get UTC). A DST rule after the standard part
 * (`CST-1:00:00DST01:00:00,M3.5.0/02:00:00,…`) is ignored: only the standard offset is returned.
 * Returns minutes east of UTC, or null if the text is not one.
 */
export function parseHikvisionTimeZone(text: string): number | null {
  const m = /^\s*([A-Za-z]{3,}|<[^>]{1,16}>)([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(text);
  if (!m) return null;
  const hours = Number(m[3]);
  const minutes = m[4] === undefined ? 0 : Number(m[4]);
  if (hours > 14 || minutes > 59) return null;
  const posix = (m[2] === "-" ? -1 : 1) * (hours * 60 + minutes);
  return posix === 0 ? 0 : -posix;
}

/** The inverse: minutes east of UTC → `CST-5:30:00`. */
export function formatHikvisionTimeZone(offsetMinutes: number): string {
  const posix = -offsetMinutes;
  const abs = Math.abs(posix);
  const sign = posix < 0 ? "-" : "+";
  return `CST${sign}${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, "0")}:00`;
}
