import type { DirectionRules } from "../../domain/direction.js";
import { formatNaive, isValidParts, type NaiveDateTime } from "../../domain/naiveTime.js";
import { makePunch, type Punch } from "../../domain/punch.js";
import type { RecordReject } from "../driver.js";
import type { RawAttendance } from "./protocol/attendanceRecords.js";

export interface Plausibility {
  /** Records before this year are a reset clock (a dead RTC battery restarts at 2000-01-01). */
  readonly minYear: number;
  /** Records after this wall-clock time are in the future even allowing for drift; null: no upper bound. */
  readonly latest: NaiveDateTime | null;
}

export const DEFAULT_MIN_YEAR = 2001;

export type Conversion =
  | { readonly punch: Punch; readonly reject?: never }
  | { readonly reject: RecordReject; readonly punch?: never };

/** Turns one decoded record into a punch, or into a coded reject that keeps the raw bytes. */
export function recordToPunch(
  record: RawAttendance,
  userId: string,
  device: string,
  plausibility: Plausibility,
  rules?: DirectionRules,
): Conversion {
  const t = record.time;
  const shown = `${t.year}-${t.month}-${t.day} ${t.hour}:${t.minute}:${t.second}`;
  if (!isValidParts(t)) {
    return {
      reject: {
        code: "RECORD_INVALID_TIME",
        message: `record time ${shown} is not a calendar date`,
        raw: record.raw,
        userId,
        time: shown,
      },
    };
  }
  const time = formatNaive(t);
  if (t.year < plausibility.minYear) {
    return {
      reject: {
        code: "RECORD_IMPLAUSIBLE_TIME",
        message: `record time ${time} is before ${plausibility.minYear}: the device clock was probably reset`,
        raw: record.raw,
        userId,
        time,
      },
    };
  }
  if (plausibility.latest !== null && time > plausibility.latest) {
    return {
      reject: {
        code: "RECORD_IMPLAUSIBLE_TIME",
        message: `record time ${time} is later than ${plausibility.latest}: the device clock was wrong when it was taken`,
        raw: record.raw,
        userId,
        time,
      },
    };
  }
  if (userId === "") {
    return {
      reject: {
        code: "RECORD_NO_USER_ID",
        message: "record has an empty user id",
        raw: record.raw,
        userId: null,
        time,
      },
    };
  }
  return {
    punch: makePunch(
      { device, userId, time, state: record.state, verify: record.verify, raw: record.raw },
      rules,
    ),
  };
}
