import { DeviceError, ProtocolError } from "../../errors.js";

/** `AcsEventCond` (device-protocols.md §4.2). */
export interface AcsEventCond {
  /** The same for every page of one search, unique across searches. */
  readonly searchID: string;
  readonly searchResultPosition: number;
  readonly maxResults: number;
  readonly major: number;
  readonly minor: number;
  /** ISO 8601 with an explicit offset. */
  readonly startTime?: string;
  readonly endTime?: string;
  readonly beginSerialNo?: number;
  readonly endSerialNo?: number;
  readonly timeReverseOrder?: boolean;
  /** Only this person's events. */
  readonly employeeNoString?: string;
}

export function acsEventRequestBody(cond: AcsEventCond): string {
  return JSON.stringify({ AcsEventCond: { ...cond, picEnable: false } });
}

/** One `InfoList` entry, with the fields we use pulled out and checked; `raw` is the entry as sent. */
export interface AcsEventInfo {
  readonly raw: string;
  readonly major: number | null;
  readonly minor: number | null;
  readonly time: string | null;
  /** `employeeNoString`, else `employeeNo` as text; null when absent or empty. */
  readonly employeeNo: string | null;
  readonly serialNo: number | null;
  readonly attendanceStatus: unknown;
  readonly currentVerifyMode: string | null;
}

export type SearchStatus = "OK" | "MORE" | "NO MATCH";

export interface AcsEventPage {
  readonly searchID: string | null;
  readonly status: SearchStatus;
  readonly numOfMatches: number;
  readonly totalMatches: number | null;
  readonly infos: AcsEventInfo[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function intOrNull(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** Raw event JSON for audit, without picture data, cut at 16 KiB (a spool record must stay small). */
const MAX_RAW_CHARS = 16_384;
function rawOf(entry: Record<string, unknown>): string {
  const { pictureURL: _p, FaceRect: _f, ...rest } = entry;
  const text = JSON.stringify(rest);
  return text.length <= MAX_RAW_CHARS
    ? text
    : `${text.slice(0, MAX_RAW_CHARS)}…[+${text.length - MAX_RAW_CHARS} chars]`;
}

function bad(message: string): ProtocolError {
  return new ProtocolError("HIK_BAD_RESPONSE", `AcsEvent answer ${message}`);
}

/** Parses an AcsEvent search answer. Throws HIK_BAD_RESPONSE (retryable) for anything that is not one. */
export function parseAcsEventPage(body: string): AcsEventPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw bad(`is not JSON (${body.length} bytes starting "${body.slice(0, 40)}")`);
  }
  if (!isRecord(json) || !isRecord(json.AcsEvent)) throw bad("has no AcsEvent object");
  const event = json.AcsEvent;
  const statusText =
    typeof event.responseStatusStrg === "string" ? event.responseStatusStrg.trim().toUpperCase() : "";
  const status: SearchStatus | null =
    statusText === "OK"
      ? "OK"
      : statusText === "MORE"
        ? "MORE"
        : statusText === "NO MATCH" || statusText === "NOMATCH"
          ? "NO MATCH"
          : null;
  if (status === null) throw bad(`has responseStatusStrg ${JSON.stringify(event.responseStatusStrg)}`);
  const list = event.InfoList ?? [];
  if (!Array.isArray(list)) throw bad("has an InfoList that is not a list");
  const numOfMatches = intOrNull(event.numOfMatches) ?? list.length;
  if (numOfMatches < 0) throw bad(`has numOfMatches ${numOfMatches}`);
  const infos: AcsEventInfo[] = list.map((entry: unknown): AcsEventInfo => {
    if (!isRecord(entry)) {
      return {
        raw: JSON.stringify(entry) ?? "null",
        major: null,
        minor: null,
        time: null,
        employeeNo: null,
        serialNo: null,
        attendanceStatus: undefined,
        currentVerifyMode: null,
      };
    }
    const employeeText =
      typeof entry.employeeNoString === "string"
        ? entry.employeeNoString
        : typeof entry.employeeNo === "string" || typeof entry.employeeNo === "number"
          ? String(entry.employeeNo)
          : "";
    return {
      raw: rawOf(entry),
      major: intOrNull(entry.major),
      minor: intOrNull(entry.minor),
      time: typeof entry.time === "string" ? entry.time : null,
      employeeNo: employeeText === "" ? null : employeeText,
      serialNo: intOrNull(entry.serialNo),
      attendanceStatus: entry.attendanceStatus,
      currentVerifyMode: typeof entry.currentVerifyMode === "string" ? entry.currentVerifyMode : null,
    };
  });
  return {
    searchID: typeof event.searchID === "string" ? event.searchID : null,
    status,
    numOfMatches,
    totalMatches: intOrNull(event.totalMatches),
    infos,
  };
}

/** ISAPI's error body (`ResponseStatus`, JSON or XML): what the device says went wrong. */
export interface IsapiStatus {
  readonly statusCode: number | null;
  readonly subStatusCode: string | null;
  readonly errorMsg: string | null;
}

export function parseIsapiStatus(body: string): IsapiStatus | null {
  try {
    const json = JSON.parse(body) as unknown;
    if (isRecord(json)) {
      const s = isRecord(json.ResponseStatus) ? json.ResponseStatus : json;
      if ("statusCode" in s || "subStatusCode" in s) {
        return {
          statusCode: intOrNull(s.statusCode),
          subStatusCode: typeof s.subStatusCode === "string" ? s.subStatusCode.slice(0, 100) : null,
          errorMsg:
            typeof s.errorMsg === "string"
              ? s.errorMsg.slice(0, 200)
              : typeof s.statusString === "string"
                ? s.statusString.slice(0, 200)
                : null,
        };
      }
    }
  } catch {
    // Not JSON: try the XML shape below.
  }
  const sub = /<subStatusCode>([^<]{0,100})<\/subStatusCode>/.exec(body)?.[1] ?? null;
  const code = /<statusCode>(\d{1,4})<\/statusCode>/.exec(body)?.[1];
  const msg = /<statusString>([^<]{0,200})<\/statusString>/.exec(body)?.[1] ?? null;
  if (sub === null && code === undefined) return null;
  return { statusCode: code === undefined ? null : Number(code), subStatusCode: sub, errorMsg: msg };
}

/** A non-2xx, non-401 answer as a coded error: 4xx is the device refusing the request, 5xx is retryable. */
export function isapiHttpError(what: string, status: number, body: string): DeviceError {
  const parsed = parseIsapiStatus(body);
  const detail = parsed
    ? ` (${[parsed.subStatusCode, parsed.errorMsg].filter((v) => v !== null).join(": ")})`
    : "";
  if (status >= 400 && status < 500) {
    return new DeviceError("HIK_REQUEST_REJECTED", `${what} was refused with HTTP ${status}${detail}`, {
      details: { status, subStatusCode: parsed?.subStatusCode ?? null },
    });
  }
  return new DeviceError("HIK_BAD_RESPONSE", `${what} failed with HTTP ${status}${detail}`, {
    details: { status, subStatusCode: parsed?.subStatusCode ?? null },
  });
}
