import { epochMsToNaive, type NaiveDateTime, naiveToEpochMs } from "../../domain/naiveTime.js";

export interface QueryWindow {
  readonly from: NaiveDateTime;
  readonly to: NaiveDateTime;
}

/**
 * Splits [since, until] into windows of `windowMs` (web services without paging time out on wide ones), each
 * reaching `overlapMs` back into the previous one so a record on a boundary is never between two windows.
 * The overlap returns some records twice; the caller de-duplicates by uid. Inclusive bounds, whole seconds.
 */
export function splitWindows(
  since: NaiveDateTime,
  until: NaiveDateTime,
  windowMs: number,
  overlapMs: number,
): QueryWindow[] {
  const start = naiveToEpochMs(since);
  const end = naiveToEpochMs(until);
  if (end < start) return [];
  const step = Math.max(1000, windowMs);
  const windows: QueryWindow[] = [];
  for (let from = start; from <= end; from += step) {
    const to = Math.min(end, from + step - 1000);
    windows.push({ from: epochMsToNaive(Math.max(start, from - overlapMs)), to: epochMsToNaive(to) });
  }
  return windows;
}

/** The calendar dates (YYYY-MM-DD) a window touches, in order. */
export function datesBetween(since: NaiveDateTime, until: NaiveDateTime): string[] {
  const dates: string[] = [];
  const last = until.slice(0, 10);
  for (let ms = naiveToEpochMs(`${since.slice(0, 10)} 00:00:00` as NaiveDateTime); ; ms += 86_400_000) {
    const date = epochMsToNaive(ms).slice(0, 10);
    if (date > last) break;
    dates.push(date);
  }
  return dates;
}
