import { ProtocolError } from "../../errors.js";
import { elementText, findElement, parseXml } from "../shared/xmlReader.js";
import type { AcsEventInfo } from "./acsEvent.js";
import type { MultipartPart } from "./multipartReader.js";

/** What one alertStream part is. */
export type AlertPart =
  /** An AccessControllerEvent, in the same shape as an AcsEvent search entry (so one filter decides punches). */
  | { readonly kind: "event"; readonly info: AcsEventInfo }
  /** The device's "I am alive" (videoloss inactive, or heartBeat): nothing to do but note the link is up. */
  | { readonly kind: "heartbeat" }
  /** Any other event type, or a picture part. */
  | { readonly kind: "other"; readonly what: string }
  /** A part that is neither JSON nor XML we can read: coded, skipped. */
  | { readonly kind: "bad"; readonly error: ProtocolError };

const MAX_RAW_CHARS = 16_384;
const HEARTBEATS = new Set(["videoloss", "heartbeat"]);

function bad(message: string, body: string): AlertPart {
  return {
    kind: "bad",
    error: new ProtocolError("HIK_BAD_RESPONSE", `event stream part ${message}`, {
      details: { bytes: body.length, start: body.slice(0, 40) },
    }),
  };
}

function intOrNull(value: unknown): number | null {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function info(fields: {
  major: unknown;
  minor: unknown;
  time: unknown;
  employeeNoString: unknown;
  employeeNo: unknown;
  serialNo: unknown;
  attendanceStatus: unknown;
  currentVerifyMode: unknown;
  raw: string;
}): AcsEventInfo {
  const employeeText =
    typeof fields.employeeNoString === "string"
      ? fields.employeeNoString
      : typeof fields.employeeNo === "string" || typeof fields.employeeNo === "number"
        ? String(fields.employeeNo)
        : "";
  return {
    raw: fields.raw.length <= MAX_RAW_CHARS ? fields.raw : fields.raw.slice(0, MAX_RAW_CHARS),
    major: intOrNull(fields.major),
    minor: intOrNull(fields.minor),
    time: typeof fields.time === "string" ? fields.time.trim() : null,
    employeeNo: employeeText === "" ? null : employeeText,
    serialNo: intOrNull(fields.serialNo),
    attendanceStatus: fields.attendanceStatus,
    currentVerifyMode: typeof fields.currentVerifyMode === "string" ? fields.currentVerifyMode : null,
  };
}

function fromJson(body: string): AlertPart {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return bad("is not valid JSON", body);
  }
  if (!isRecord(json)) return bad("is JSON but not an object", body);
  const eventType = typeof json.eventType === "string" ? json.eventType : "";
  if (HEARTBEATS.has(eventType.toLowerCase())) return { kind: "heartbeat" };
  if (eventType !== "AccessControllerEvent") return { kind: "other", what: eventType || "unknown" };
  const event = json.AccessControllerEvent;
  if (!isRecord(event)) return bad("is an AccessControllerEvent without its object", body);
  const { pictureURL: _p, FaceRect: _f, ...rest } = event;
  return {
    kind: "event",
    info: info({
      major: event.majorEventType,
      minor: event.subEventType,
      time: json.dateTime,
      employeeNoString: event.employeeNoString,
      employeeNo: event.employeeNo,
      serialNo: event.serialNo,
      attendanceStatus: event.attendanceStatus,
      currentVerifyMode: event.currentVerifyMode,
      raw: JSON.stringify({ dateTime: json.dateTime, ...rest }),
    }),
  };
}

function fromXml(body: string): AlertPart {
  let root;
  try {
    root = parseXml(body, "HIK_BAD_RESPONSE");
  } catch (error) {
    return bad(`is not XML we can read (${(error as Error).message.slice(0, 80)})`, body);
  }
  const eventType = elementText(root, "eventType") ?? "";
  if (HEARTBEATS.has(eventType.toLowerCase())) return { kind: "heartbeat" };
  if (eventType !== "AccessControllerEvent") return { kind: "other", what: eventType || "unknown" };
  const event = findElement(root, "AccessControllerEvent");
  if (!event) return bad("is an AccessControllerEvent without its element", body);
  const text = (name: string): string | null => elementText(event, name);
  return {
    kind: "event",
    info: info({
      major: text("majorEventType"),
      minor: text("subEventType"),
      time: elementText(root, "dateTime"),
      employeeNoString: text("employeeNoString"),
      employeeNo: text("employeeNo"),
      serialNo: text("serialNo"),
      attendanceStatus: text("attendanceStatus") ?? undefined,
      currentVerifyMode: text("currentVerifyMode"),
      raw: body,
    }),
  };
}

/**
 * Where the JSON object starting at 0 ends (after its closing brace), or -1. A part without Content-Length ends
 * at the next delimiter, so noise the device (or the line) put after the body would otherwise spoil the event.
 */
function jsonObjectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** The document up to the root element's closing tag (noise after it dropped), or the text as it is. */
function xmlDocument(text: string): string {
  const root = /<([A-Za-z_][\w.:-]*)[\s>]/.exec(text.replace(/<\?[^>]*\?>/g, (m) => " ".repeat(m.length)));
  if (!root) return text;
  const close = `</${root[1]}>`;
  const end = text.indexOf(close);
  return end === -1 ? text : text.slice(0, end + close.length);
}

/** Reads one alertStream part (JSON or XML body, whatever its Content-Type says). Never throws. */
export function parseAlertPart(part: MultipartPart): AlertPart {
  const type = (part.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("image/")) return { kind: "other", what: "picture" };
  const body = part.body.toString("utf8").trim();
  if (body.startsWith("{")) {
    const end = jsonObjectEnd(body);
    return fromJson(end === -1 ? body : body.slice(0, end));
  }
  if (body.startsWith("<")) return fromXml(xmlDocument(body));
  return bad("is neither JSON nor XML", body);
}
