import { ConfigError } from "../errors.js";
import { type NaiveDateTime, epochMsToNaive, naiveToEpochMs } from "./naiveTime.js";

/**
 * Conversions between a zone's wall clock and UTC using the runtime's ICU data (Node ships full ICU),
 * so no tz database is bundled. DST rules: a wall time that occurs twice (clocks go back) resolves to the
 * first occurrence; a wall time that does not exist (clocks go forward) moves forward by the gap, the way
 * a device that missed the change would be read by a person.
 */

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (!timeZone) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone))
    throw new ConfigError([`unknown time zone "${timeZone}" (use an IANA name such as Asia/Kolkata)`]);
}

/** Offset of the zone at a UTC instant, in ms (local = utc + offset). */
export function zoneOffsetMs(timeZone: string, utcMs: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(utcMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  // Whole seconds only: formatToParts has no milliseconds.
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant (ms) at which the zone's wall clock shows `wall`. */
export function wallToUtcMs(wall: NaiveDateTime, timeZone: string): number {
  const wallMs = naiveToEpochMs(wall);
  // Candidate offsets: the ones in force a day either side cover every real transition.
  const candidates = new Set([
    zoneOffsetMs(timeZone, wallMs - 86_400_000),
    zoneOffsetMs(timeZone, wallMs + 86_400_000),
  ]);
  const matches: number[] = [];
  for (const offset of candidates) {
    const utc = wallMs - offset;
    if (zoneOffsetMs(timeZone, utc) === offset) matches.push(utc);
  }
  if (matches.length > 0) return Math.min(...matches); // ambiguous: first occurrence
  // Non-existent wall time (spring-forward gap): shift by the gap using the earlier offset.
  const before = zoneOffsetMs(timeZone, wallMs - 86_400_000);
  return wallMs - before;
}

export function utcMsToWall(utcMs: number, timeZone: string): NaiveDateTime {
  return epochMsToNaive(utcMs + zoneOffsetMs(timeZone, utcMs));
}

/** Re-expresses a wall-clock time of one zone as the wall-clock time of another. */
export function convertWallTime(wall: NaiveDateTime, fromZone: string, toZone: string): NaiveDateTime {
  if (fromZone === toZone) return wall;
  return utcMsToWall(wallToUtcMs(wall, fromZone), toZone);
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
