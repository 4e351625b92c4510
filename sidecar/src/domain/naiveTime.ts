/**
 * A device's wall-clock time with no zone: "YYYY-MM-DD HH:MM:SS". Devices (ZK, ADMS, eSSL) report local
 * wall-clock values; we never turn them into a JS Date without an explicit zone, because a Date silently
 * takes the process's zone (the node-zklib defect).
 */
export type NaiveDateTime = string & { readonly __brand: "NaiveDateTime" };

export interface DateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const NAIVE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when the parts name a real calendar instant (no Feb 31, no 25:00). */
export function isValidParts(p: DateTimeParts): boolean {
  return (
    Number.isInteger(p.year) &&
    p.year >= 1 &&
    p.year <= 9999 &&
    p.month >= 1 &&
    p.month <= 12 &&
    p.day >= 1 &&
    p.day <= daysInMonth(p.year, p.month) &&
    p.hour >= 0 &&
    p.hour <= 23 &&
    p.minute >= 0 &&
    p.minute <= 59 &&
    p.second >= 0 &&
    p.second <= 59
  );
}

/** Formats parts; callers must have checked `isValidParts`. */
export function formatNaive(p: DateTimeParts): NaiveDateTime {
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` as NaiveDateTime;
}

function matchParts(text: string): DateTimeParts | null {
  const m = NAIVE_PATTERN.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { year, month, day, hour, minute, second };
}

export function parseNaive(text: string): NaiveDateTime | null {
  const parts = matchParts(text.trim());
  return parts && isValidParts(parts) ? formatNaive(parts) : null;
}

export function naiveParts(value: NaiveDateTime): DateTimeParts {
  const parts = matchParts(value);
  if (!parts) throw new TypeError(`not a naive date-time: ${value}`);
  return parts;
}

/**
 * Parses a CLI bound: "YYYY-MM-DD" (start of that day) or a full naive date-time.
 * Returns null when the text is neither.
 */
export function parseNaiveBound(text: string): NaiveDateTime | null {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return parseNaive(`${trimmed} 00:00:00`);
  return parseNaive(trimmed);
}

/** Milliseconds of the wall-clock value read as if it were UTC: handy for arithmetic between naive values. */
export function naiveToEpochMs(value: NaiveDateTime): number {
  const p = naiveParts(value);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

/** The UTC calendar fields of an epoch instant (read as a wall clock by the callers). */
export function epochMsToParts(ms: number): DateTimeParts {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

export function epochMsToNaive(ms: number): NaiveDateTime {
  return formatNaive(epochMsToParts(ms));
}
