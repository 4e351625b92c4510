import type { Punch } from "../domain/punch.js";
import { encodeFrame, MAX_PAYLOAD_BYTES } from "./segmentFile.js";

/** One spooled punch and the sequence number the spool gave it. */
export interface SpoolEntry {
  readonly seq: number;
  readonly punch: Punch;
}

/** Why a punch cannot be spooled, or null when it can. Checked on append so we never write what we would refuse to read. */
export function punchProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "not an object";
  const p = value as Record<string, unknown>;
  for (const field of ["uid", "device", "user_id", "time", "raw"] as const) {
    if (typeof p[field] !== "string") return `${field} must be a string`;
  }
  if (p.direction !== null && p.direction !== "IN" && p.direction !== "OUT")
    return "direction must be IN, OUT or null";
  for (const field of ["state", "verify"] as const) {
    const v = p[field];
    if (v !== null && !(typeof v === "number" && Number.isFinite(v)))
      return `${field} must be a number or null`;
  }
  return null;
}

function stringChars(punch: Punch): number {
  return punch.uid.length + punch.device.length + punch.user_id.length + punch.time.length + punch.raw.length;
}

/** Rough size of an entry's frame, for sizing write groups before encoding. */
export function estimatedFrameBytes(punch: Punch): number {
  return 140 + stringChars(punch);
}

/**
 * Whether the entry's JSON fits one record. Cheap bound first (a UTF-16 unit becomes at most 6 bytes of
 * JSON, "\u001f"), exact only for the rare huge punch; appends check this up front so that encoding at
 * write time cannot fail.
 */
export function entryFitsInFrame(punch: Punch): boolean {
  if (200 + 6 * stringChars(punch) <= MAX_PAYLOAD_BYTES) return true;
  return Buffer.byteLength(entryJson(Number.MAX_SAFE_INTEGER, punch), "utf8") <= MAX_PAYLOAD_BYTES;
}

/** The framed record for one entry. */
export function encodeEntryFrame(seq: number, punch: Punch): Buffer {
  return encodeFrame(entryJson(seq, punch));
}

/** The JSON payload of an entry's record. Only the Punch fields are stored, in a fixed order. */
export function entryJson(seq: number, punch: Punch): string {
  const stored: Punch = {
    uid: punch.uid,
    device: punch.device,
    user_id: punch.user_id,
    time: punch.time,
    direction: punch.direction,
    state: punch.state,
    verify: punch.verify,
    raw: punch.raw,
  };
  return JSON.stringify({ seq, punch: stored });
}

/** The entry in a CRC-checked payload, or undefined when the payload is not one (then it counts as damage). */
export function decodeEntry(payload: Buffer): SpoolEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { seq, punch } = parsed as { seq?: unknown; punch?: unknown };
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (punchProblem(punch) !== null) return undefined;
  return { seq, punch: punch as Punch };
}
