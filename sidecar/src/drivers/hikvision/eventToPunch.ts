import type { DirectionRules } from "../../domain/direction.js";
import type { NaiveDateTime } from "../../domain/naiveTime.js";
import { makePunch, type Punch } from "../../domain/punch.js";
import type { RecordReject } from "../driver.js";
import type { AcsEventInfo } from "./acsEvent.js";
import { parseIsapiTime, toDeviceWall } from "./isapiTime.js";
import { attendanceState, MAJOR_EVENT, SUCCESS_MINORS } from "./minors.js";

export type EventConversion =
  | { readonly kind: "punch"; readonly punch: Punch }
  | { readonly kind: "reject"; readonly reject: RecordReject }
  /** Not an attendance event (a failed authentication, a door event): counted, not a punch. */
  | { readonly kind: "skip"; readonly minor: number | null };

/**
 * One AcsEvent entry → a punch (a successful authentication with a person and a time), a coded reject (an
 * authentication we cannot use: no employee number, a bad or implausible time), or a skip (not attendance).
 * `verify` carries the minor (how the person authenticated), `state` the attendanceStatus when the terminal's
 * attendance mode is on.
 */
export function eventToPunch(
  info: AcsEventInfo,
  device: string,
  deviceZone: string | null,
  minYear: number,
  rules?: DirectionRules,
): EventConversion {
  if (info.major !== MAJOR_EVENT || info.minor === null || !SUCCESS_MINORS.has(info.minor))
    return { kind: "skip", minor: info.minor };
  const parsed = info.time === null ? null : parseIsapiTime(info.time);
  if (parsed === null) {
    return {
      kind: "reject",
      reject: {
        code: "RECORD_INVALID_TIME",
        message: `event time ${JSON.stringify(info.time)} is not an ISO 8601 time`,
        raw: info.raw,
        userId: info.employeeNo,
        time: info.time,
      },
    };
  }
  const time: NaiveDateTime = toDeviceWall(parsed, deviceZone);
  if (info.employeeNo === null) {
    return {
      kind: "reject",
      reject: {
        code: "RECORD_NO_USER_ID",
        message: `authentication (minor ${info.minor}) with no employee number`,
        raw: info.raw,
        userId: null,
        time,
      },
    };
  }
  if (info.employeeNo.length > 64) {
    return {
      kind: "reject",
      reject: {
        code: "RECORD_MALFORMED",
        message: `employee number of ${info.employeeNo.length} characters`,
        raw: info.raw,
        userId: null,
        time,
      },
    };
  }
  if (Number(time.slice(0, 4)) < minYear) {
    return {
      kind: "reject",
      reject: {
        code: "RECORD_IMPLAUSIBLE_TIME",
        message: `event time ${time} is before ${minYear}: the device clock was probably reset`,
        raw: info.raw,
        userId: info.employeeNo,
        time,
      },
    };
  }
  return {
    kind: "punch",
    punch: makePunch(
      {
        device,
        userId: info.employeeNo,
        time,
        state: attendanceState(info.attendanceStatus),
        verify: info.minor,
        raw: info.raw,
      },
      rules,
    ),
  };
}
