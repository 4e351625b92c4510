import type { DirectionRules } from "../../domain/direction.js";
import { type NaiveDateTime, parseNaive } from "../../domain/naiveTime.js";
import { makePunch, type Punch } from "../../domain/punch.js";
import type { ErrorCode } from "../../errors.js";
import type { RecordReject } from "../driver.js";

/** Bounds outside which a punch time is a reset or wrong device clock, not a punch. */
export interface TimeBounds {
  /** Records before this year are a reset clock (a dead RTC battery restarts at 2000-01-01). */
  readonly minYear: number;
  /** Records after this wall-clock time are in the future; null: no upper bound. */
  readonly latest: NaiveDateTime | null;
}

export interface AttlogParse {
  readonly punches: Punch[];
  readonly rejects: RecordReject[];
  /** Non-blank lines seen: punches + rejects. */
  readonly lines: number;
}

const SMALL_INT = /^-?\d{1,4}$/;
/** No real ATTLOG line comes near this; a longer one is kept (cut) as a reject, so one garbage line cannot block a batch. */
export const MAX_LINE_CHARS = 4096;
/** PINs are at most 24 characters on ZK firmware; anything much longer is not a PIN. */
export const MAX_PIN_CHARS = 64;

/**
 * Parses an ATTLOG upload body (device-protocols.md §3.4): one record per line, tab-separated
 * `PIN, Time, Status, Verify, Workcode, …`. The PIN is kept exactly as sent ("0111" stays "0111"); the time
 * is the device's naive wall clock. A line that cannot become a punch is returned as a coded reject holding
 * the raw line; nothing is dropped, except blank lines (firmware ends bodies with one or more newlines).
 */
export function parseAttlog(
  body: string,
  device: string,
  bounds: TimeBounds,
  rules?: DirectionRules,
): AttlogParse {
  const punches: Punch[] = [];
  const rejects: RecordReject[] = [];
  let lines = 0;
  for (const line of body.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    lines++;
    const converted = lineToPunch(line, device, bounds, rules);
    if ("punch" in converted) punches.push(converted.punch);
    else rejects.push(converted.reject);
  }
  return { punches, rejects, lines };
}

function reject(
  code: ErrorCode,
  message: string,
  raw: string,
  userId: string | null,
  time: string | null,
): { reject: RecordReject } {
  return { reject: { code, message, raw, userId, time } };
}

function lineToPunch(
  line: string,
  device: string,
  bounds: TimeBounds,
  rules?: DirectionRules,
): { punch: Punch } | { reject: RecordReject } {
  if (line.length > MAX_LINE_CHARS)
    return reject(
      "RECORD_MALFORMED",
      `ATTLOG line of ${line.length} characters is not a record (kept cut to ${MAX_LINE_CHARS})`,
      `${line.slice(0, MAX_LINE_CHARS)}…[+${line.length - MAX_LINE_CHARS} chars]`,
      null,
      null,
    );
  const fields = line.split("\t");
  const [pin = "", timeText = "", statusText = "", verifyText = ""] = fields;
  if (fields.length < 2)
    return reject("RECORD_MALFORMED", "ATTLOG line has no tab-separated time field", line, null, null);
  if (pin === "") return reject("RECORD_NO_USER_ID", "ATTLOG line has an empty PIN", line, null, timeText);
  if (pin.length > MAX_PIN_CHARS)
    return reject(
      "RECORD_MALFORMED",
      `ATTLOG PIN of ${pin.length} characters is not a PIN`,
      line,
      null,
      timeText,
    );
  const time = parseNaive(timeText);
  if (time === null)
    return reject(
      "RECORD_INVALID_TIME",
      `ATTLOG time "${timeText.slice(0, 40)}" is not YYYY-MM-DD HH:MM:SS`,
      line,
      pin,
      timeText,
    );
  if (Number(time.slice(0, 4)) < bounds.minYear)
    return reject(
      "RECORD_IMPLAUSIBLE_TIME",
      `ATTLOG time ${time} is before ${bounds.minYear}: the device clock was probably reset`,
      line,
      pin,
      time,
    );
  if (bounds.latest !== null && time > bounds.latest)
    return reject(
      "RECORD_IMPLAUSIBLE_TIME",
      `ATTLOG time ${time} is later than ${bounds.latest}: the device clock was wrong when it was taken`,
      line,
      pin,
      time,
    );
  // Status and verify are small integers or empty; anything else means the line is not what we think it is.
  if (
    (statusText !== "" && !SMALL_INT.test(statusText)) ||
    (verifyText !== "" && !SMALL_INT.test(verifyText))
  )
    return reject(
      "RECORD_MALFORMED",
      `ATTLOG status/verify "${statusText.slice(0, 20)}"/"${verifyText.slice(0, 20)}" are not numbers`,
      line,
      pin,
      time,
    );
  return {
    punch: makePunch(
      {
        device,
        userId: pin,
        time,
        state: statusText === "" ? null : Number(statusText),
        verify: verifyText === "" ? null : Number(verifyText),
        raw: line,
      },
      rules,
    ),
  };
}
