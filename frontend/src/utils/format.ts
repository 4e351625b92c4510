/**
 * Pure formatting for the page. Times from the site are naive "YYYY-MM-DD HH:MM:SS[.ffffff]" strings in the
 * site's time zone; they are shown as they are (never converted to the browser's zone) and compared with the
 * site's own "now" from the same answer.
 */

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export type Naive = string | null | undefined;

/** Milliseconds of a naive time read as if it were UTC: only differences between two of them mean anything. */
export function naiveMs(value: Naive): number | null {
  const match = value ? NAIVE.exec(value.trim()) : null;
  if (!match) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(ms) ? null : ms;
}

function parts(value: Naive): { y: string; mo: number; d: number; hm: string } | null {
  const match = value ? NAIVE.exec(value.trim()) : null;
  if (!match) return null;
  const [, y = "", mo = "1", d = "1", h, mi] = match;
  return { y, mo: Number(mo), d: Number(d), hm: h !== undefined && mi !== undefined ? `${h}:${mi}` : "" };
}

/** "21 Nov 2026, 08:05" (or "21 Nov, 08:05" when `now` is in the same year). */
export function formatDateTime(value: Naive, now?: Naive): string {
  const p = parts(value);
  if (!p) return "—";
  const sameYear = parts(now)?.y === p.y;
  const date = `${p.d} ${MONTHS[p.mo - 1] ?? "?"}${sameYear ? "" : ` ${p.y}`}`;
  return p.hm ? `${date}, ${p.hm}` : date;
}

export function formatDate(value: Naive): string {
  const p = parts(value);
  return p ? `${p.d} ${MONTHS[p.mo - 1] ?? "?"} ${p.y}` : "—";
}

/** "08:05:12" */
export function formatTime(value: Naive): string {
  const match = value ? NAIVE.exec(value.trim()) : null;
  if (!match?.[4]) return "—";
  return `${match[4]}:${match[5]}:${match[6] ?? "00"}`;
}

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", "in 10 min". */
export function relativeTime(value: Naive, now: Naive): string {
  const then = naiveMs(value);
  const ref = naiveMs(now);
  if (then === null) return "never";
  if (ref === null) return formatDateTime(value);
  const seconds = Math.round((ref - then) / 1000);
  const future = seconds < 0;
  const abs = Math.abs(seconds);
  let text: string;
  if (abs < 45) return "just now";
  if (abs < 3600) text = `${Math.max(1, Math.round(abs / 60))} min`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)} h`;
  else if (!future && abs < 2 * 86400) return "yesterday";
  else text = `${Math.round(abs / 86400)} days`;
  return future ? `in ${text}` : `${text} ago`;
}

/** 0.4 → "0.4 s", 75 → "1 min 15 s", 3720 → "1 h 2 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const s = total % 60;
    return `${Math.floor(total / 60)} min${s ? ` ${s} s` : ""}`;
  }
  const m = Math.floor((total % 3600) / 60);
  return `${Math.floor(total / 3600)} h${m ? ` ${m} min` : ""}`;
}

/** Clock drift of a device against its sidecar's clock: "in sync", "12 s ahead", "2 min 5 s behind". */
export function formatDrift(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (Math.round(seconds) === 0) return "in sync";
  return `${formatDuration(Math.abs(Math.round(seconds)))} ${seconds > 0 ? "ahead" : "behind"}`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return `${Math.round(value)}%`;
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return Math.round(value).toLocaleString("en-US");
}

/** A count made with a limit (Frappe's get_count `limit`): more than `cap` shows as "10,000+". */
export function formatCappedCount(value: number | null | undefined, cap: number): string {
  if (value !== null && value !== undefined && value > cap) return `${formatCount(cap)}+`;
  return formatCount(value);
}

/** "1 punch", "3 punches" */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

export type Theme = "gray" | "blue" | "green" | "orange" | "red";

const THEMES: Record<string, Theme> = {
  Online: "green",
  Done: "green",
  Success: "green",
  Processed: "green",
  Queued: "blue",
  Claimed: "blue",
  Running: "blue",
  Pending: "blue",
  Partial: "orange",
  Unmapped: "orange",
  Discovered: "orange",
  Duplicate: "gray",
  Skipped: "gray",
  Offline: "gray",
  Unknown: "gray",
  Expired: "gray",
  Error: "red",
  Failed: "red",
  Silent: "red",
  // Daily Attendance outcomes (Biometric Attendance Mark)
  Present: "green",
  "Half Day": "orange",
  Absent: "red",
};

/** The badge colour of any status the doctypes have. */
export function statusTheme(status: string | null | undefined): Theme {
  return (status && THEMES[status]) || "gray";
}

export interface HourBar {
  hour: number;
  label: string;
  count: number;
  /** Bar height, 0..100 (percent of the busiest hour). */
  height: number;
  current: boolean;
}

/** The per-hour chart: 24 bars scaled to the busiest hour; hours after `currentHour` are the future. */
export function hourlyBars(perHour: readonly number[], currentHour: number | null = null): HourBar[] {
  const counts = Array.from({ length: 24 }, (_, hour) => Math.max(0, Number(perHour[hour]) || 0));
  const max = Math.max(...counts);
  return counts.map((count, hour) => ({
    hour,
    label: String(hour).padStart(2, "0"),
    count,
    height: max ? Math.round((100 * count) / max) : 0,
    current: hour === currentHour,
  }));
}

/** The hour of a naive time, or null. */
export function hourOf(value: Naive): number | null {
  const match = value ? NAIVE.exec(value.trim()) : null;
  return match?.[4] !== undefined ? Number(match[4]) : null;
}

/** Busiest hour, e.g. {hour: 9, count: 120}, or null when there were no punches. */
export function peakHour(perHour: readonly number[]): { hour: number; count: number } | null {
  let best: { hour: number; count: number } | null = null;
  perHour.forEach((count, hour) => {
    if (count > 0 && (!best || count > best.count)) best = { hour, count };
  });
  return best;
}
