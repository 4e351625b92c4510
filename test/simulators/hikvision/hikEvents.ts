import type { HikEvent } from "./hikSimulator.js";

const SUCCESS = [75, 1, 38, 75, 60, 75] as const;
const STATUSES = ["checkIn", "checkOut", "undefined", "breakOut", "breakIn"] as const;

/**
 * `count` events from serial `firstSerial`, one every 97 s from `startUtcMs`, written with the device's offset
 * (`offsetMinutes`, as the device writes times). Mixed like a real log: mostly successful authentications
 * (face, card, fingerprint, face+card), every 5th a failed card (minor 9), every 7th a door event (minor 21,
 * nobody). Employee numbers keep leading zeros.
 */
export function hikEvents(
  count: number,
  options: { firstSerial?: number; startUtcMs?: number; offsetMinutes?: number; users?: number } = {},
): HikEvent[] {
  const first = options.firstSerial ?? 1;
  const start = options.startUtcMs ?? Date.UTC(2026, 2, 2, 2, 30, 0);
  const offset = options.offsetMinutes ?? 330;
  return Array.from({ length: count }, (_, i): HikEvent => {
    const serialNo = first + i;
    const time = isoWithOffset(start + i * 97_000, offset);
    if (i % 7 === 6) return { serialNo, minor: 21, time };
    if (i % 5 === 4) return { serialNo, minor: 9, time, employeeNoString: "" };
    return {
      serialNo,
      minor: SUCCESS[i % SUCCESS.length]!,
      time,
      employeeNoString: String(1 + (i % (options.users ?? 9))).padStart(4, "0"),
      attendanceStatus: STATUSES[i % STATUSES.length]!,
    };
  });
}

/** How many of `events` are successful authentications with a person (the punches a driver must return). */
export function successful(events: readonly HikEvent[]): HikEvent[] {
  return events.filter((e) => e.minor !== 21 && e.minor !== 9 && (e.major ?? 5) === 5);
}

/** ISO 8601 of a UTC instant as a device in `offsetMinutes` writes it ("+05:30"; "Z" for `z`). */
export function isoWithOffset(utcMs: number, offsetMinutes: number, z = false): string {
  if (z) return `${new Date(utcMs).toISOString().slice(0, 19)}Z`;
  const local = new Date(utcMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
