import type { Direction } from "../../domain/direction.js";
import { formatNaive, isValidParts, type NaiveDateTime } from "../../domain/naiveTime.js";
import { makePunch, type Punch } from "../../domain/punch.js";
import type { RecordReject } from "../driver.js";

export interface LogLinesParse {
  readonly punches: Punch[];
  readonly rejects: RecordReject[];
  /** Non-blank lines seen. */
  readonly lines: number;
}

const DATE_TIME =
  /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$|^(\d{1,2})[-/](\d{1,2})[-/](\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Reads an eSSL date-time: `YYYY-MM-DD HH:MM:SS` (what eTimeTrackLite sends), `YYYY/MM/DD`, or day-first
 * `DD-MM-YYYY` / `DD/MM/YYYY` (Indian installations), seconds optional. Null when it is none of them.
 */
export function parseEsslDateTime(text: string): NaiveDateTime | null {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return null;
  const ymd = m[1] !== undefined;
  const parts = {
    year: Number(ymd ? m[1] : m[9]),
    month: Number(ymd ? m[2] : m[8]),
    day: Number(ymd ? m[3] : m[7]),
    hour: Number(ymd ? m[4] : m[10]),
    minute: Number(ymd ? m[5] : m[11]),
    second: Number((ymd ? m[6] : m[12]) ?? 0),
  };
  return isValidParts(parts) ? formatNaive(parts) : null;
}

export function esslDirection(text: string | undefined): Direction | null {
  const t = text?.trim().toLowerCase();
  return t === "in" ? "IN" : t === "out" ? "OUT" : null;
}

/**
 * Makes a punch whose direction comes from eSSL's own in/out (not from state rules); `state` mirrors it in
 * ZK numbering (0 in, 1 out) so consumers that look at the state agree.
 */
export function esslPunch(
  device: string,
  userId: string,
  time: NaiveDateTime,
  direction: Direction | null,
  raw: string,
): Punch {
  const state = direction === "IN" ? 0 : direction === "OUT" ? 1 : null;
  return { ...makePunch({ device, userId, time, state, verify: null, raw }), direction };
}

/**
 * eTimeTrackLite `strDataList`: CRLF-separated lines of tab-separated `EmployeeCode, YYYY-MM-DD HH:MM:SS[, in|out]`.
 * The employee code is kept exactly ("012" stays "012", "CBC-107" stays as is). Lines that do not fit are
 * coded rejects with the raw line.
 */
export function parseTransactionLines(text: string, device: string, minYear: number): LogLinesParse {
  const punches: Punch[] = [];
  const rejects: RecordReject[] = [];
  let lines = 0;
  for (const line of text.split(/\r?\n|\r/)) {
    if (line.trim() === "") continue;
    lines++;
    const tooLong = oversized(line);
    if (tooLong) {
      rejects.push(tooLong);
      continue;
    }
    const fields = line.split("\t");
    const [code = "", timeText = "", directionText] = fields;
    if (fields.length < 2) {
      rejects.push({
        code: "RECORD_MALFORMED",
        message: "log line has no tab-separated time",
        raw: line,
        userId: null,
        time: null,
      });
      continue;
    }
    const time = parseEsslDateTime(timeText);
    if (time === null) {
      rejects.push({
        code: "RECORD_INVALID_TIME",
        message: `log time "${timeText.slice(0, 40)}" is not a date and time`,
        raw: line,
        userId: code || null,
        time: timeText,
      });
      continue;
    }
    const rejected = checkUserAndYear(code, time, minYear, line);
    if (rejected) rejects.push(rejected);
    else punches.push(esslPunch(device, code, time, esslDirection(directionText), line));
  }
  return { punches, rejects, lines };
}

/** Longer lines and codes are not records; they are kept (lines cut) as rejects so they cannot block a read. */
const MAX_LINE_CHARS = 4096;
const MAX_CODE_CHARS = 64;

function oversized(line: string): RecordReject | null {
  if (line.length <= MAX_LINE_CHARS) return null;
  return {
    code: "RECORD_MALFORMED",
    message: `log line of ${line.length} characters is not a record (kept cut to ${MAX_LINE_CHARS})`,
    raw: `${line.slice(0, MAX_LINE_CHARS)}…[+${line.length - MAX_LINE_CHARS} chars]`,
    userId: null,
    time: null,
  };
}

function checkUserAndYear(
  code: string,
  time: NaiveDateTime,
  minYear: number,
  raw: string,
): RecordReject | null {
  if (code.length > MAX_CODE_CHARS)
    return {
      code: "RECORD_MALFORMED",
      message: `employee code of ${code.length} characters`,
      raw,
      userId: null,
      time,
    };
  if (code.trim() === "")
    return {
      code: "RECORD_NO_USER_ID",
      message: "log line has an empty employee code",
      raw,
      userId: null,
      time,
    };
  if (Number(time.slice(0, 4)) < minYear)
    return {
      code: "RECORD_IMPLAUSIBLE_TIME",
      message: `log time ${time} is before ${minYear}: the device clock was probably reset`,
      raw,
      userId: code,
      time,
    };
  return null;
}

/**
 * eBioServer's GetDeviceLogs answer is not documented (device-protocols.md §5.2), so it is read defensively:
 * lines split on tab, comma, semicolon or pipe; the field that reads as a date-time is the time (or a date
 * field followed by a time field), "in"/"out" is the direction, and the first remaining non-empty field is the
 * employee code. A JSON array of objects with code/time keys is read too. Whatever does not fit is a reject.
 */
export function parseDeviceLogs(text: string, device: string, minYear: number): LogLinesParse {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const json = parseJsonLogs(trimmed, device, minYear);
    if (json) return json;
  }
  const punches: Punch[] = [];
  const rejects: RecordReject[] = [];
  let lines = 0;
  for (const line of text.split(/\r?\n|\r/)) {
    if (line.trim() === "") continue;
    lines++;
    const tooLong = oversized(line);
    if (tooLong) {
      rejects.push(tooLong);
      continue;
    }
    const fields = line.split(/[\t,;|]/).map((f) => f.trim());
    let time: NaiveDateTime | null = null;
    const used = new Set<number>();
    for (let i = 0; i < fields.length && time === null; i++) {
      time = parseEsslDateTime(fields[i]!);
      if (time !== null) used.add(i);
      else if (i + 1 < fields.length) {
        time = parseEsslDateTime(`${fields[i]} ${fields[i + 1]}`);
        if (time !== null) used.add(i).add(i + 1);
      }
    }
    if (time === null) {
      rejects.push({
        code: "RECORD_MALFORMED",
        message: "log line has no date and time",
        raw: line,
        userId: null,
        time: null,
      });
      continue;
    }
    let direction: Direction | null = null;
    let code = "";
    fields.forEach((field, i) => {
      if (used.has(i)) return;
      const d = esslDirection(field);
      if (d !== null && direction === null) direction = d;
      else if (code === "" && field !== "") code = field;
    });
    const rejected = checkUserAndYear(code, time, minYear, line);
    if (rejected) rejects.push(rejected);
    else punches.push(esslPunch(device, code, time, direction, line));
  }
  return { punches, rejects, lines };
}

const CODE_KEYS = ["employeecode", "empcode", "userid", "user_id", "employeeid", "pin", "code"];
const TIME_KEYS = ["logdatetime", "logdate", "punchtime", "datetime", "time", "date"];
const DIRECTION_KEYS = ["direction", "inout", "attdirection"];

function parseJsonLogs(text: string, device: string, minYear: number): LogLinesParse | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const punches: Punch[] = [];
  const rejects: RecordReject[] = [];
  for (const entry of value) {
    const raw = JSON.stringify(entry) ?? "null";
    const record =
      typeof entry === "object" && entry !== null && !Array.isArray(entry)
        ? (entry as Record<string, unknown>)
        : {};
    const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
    const pick = (keys: readonly string[]): string | null => {
      for (const key of keys) {
        const v = lower.get(key);
        if (typeof v === "string") return v;
        if (typeof v === "number") return String(v);
      }
      return null;
    };
    const timeText = pick(TIME_KEYS);
    const time = timeText === null ? null : parseEsslDateTime(timeText);
    if (time === null) {
      rejects.push({
        code: "RECORD_INVALID_TIME",
        message: "log entry has no readable time",
        raw,
        userId: pick(CODE_KEYS),
        time: timeText,
      });
      continue;
    }
    const code = pick(CODE_KEYS) ?? "";
    const rejected = checkUserAndYear(code, time, minYear, raw);
    if (rejected) rejects.push(rejected);
    else punches.push(esslPunch(device, code, time, esslDirection(pick(DIRECTION_KEYS) ?? undefined), raw));
  }
  return { punches, rejects, lines: value.length };
}
