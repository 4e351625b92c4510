import type { RecordReject } from "../driver.js";

export interface SerialGap {
  /** The last serial seen before the gap (the stored cursor for a gap at the start). */
  readonly after: number;
  /** The first serial seen after it. */
  readonly next: number;
}

/**
 * Gaps in event serial numbers (device-protocols.md §4.6: a gap means events were lost, the log wrapped or was
 * cleared). `serials` must be sorted ascending and distinct; `after` is the cursor (last serial already read)
 * or null on a first read, where the start of the log is not a gap.
 */
export function findSerialGaps(serials: readonly number[], after: number | null): SerialGap[] {
  const gaps: SerialGap[] = [];
  let previous = after;
  for (const serial of serials) {
    if (previous !== null && serial > previous + 1) gaps.push({ after: previous, next: serial });
    previous = serial;
  }
  return gaps;
}

/** A gap as a reject: reported to the site like a bad record, so a person sees that events are missing. */
export function gapReject(gap: SerialGap, device: string): RecordReject {
  const missing = gap.next - gap.after - 1;
  return {
    code: "HIK_SERIAL_GAP",
    message: `${device}: ${missing} event${missing === 1 ? "" : "s"} missing between serial ${gap.after} and ${gap.next} (the device log wrapped or was cleared)`,
    raw: JSON.stringify({ afterSerialNo: gap.after, nextSerialNo: gap.next, missing }),
    userId: null,
    time: null,
  };
}

/** The serial went backwards: the log was cleared or the device replaced. */
export function resetReject(stored: number, newest: number, device: string): RecordReject {
  return {
    code: "HIK_SERIAL_GAP",
    message: `${device}: event serials went back from ${stored} to ${newest} (the log was cleared or the device replaced); reading it again from the start`,
    raw: JSON.stringify({ storedSerialNo: stored, newestSerialNo: newest }),
    userId: null,
    time: null,
  };
}
