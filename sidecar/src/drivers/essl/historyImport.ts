import { type NaiveDateTime, epochMsToNaive, naiveToEpochMs } from "../../domain/naiveTime.js";
import type { EsslStateStore } from "./seenPunches.js";

/** What a device brings the first time when its Biometric Device names no "import since" date. */
export const DEFAULT_HISTORY_DAYS = 5 * 365;
/** History read per pull: bounded, so a server with years of punches never fills the sidecar's memory. */
export const HISTORY_SLICE_DAYS = 31;
const DONE = "done";

/** The part of a device's history the next unwindowed read also imports, and how to record it once durable. */
export interface HistorySlice {
  readonly from: NaiveDateTime;
  readonly to: NaiveDateTime;
  /** Records the slice as imported (call after its punches are durable, as `commit()` does). */
  commit(): Promise<void>;
}

/**
 * A device added today should bring its past once, as the existing tools' IMPORT_START_DATE does: the servers
 * only answer date windows, and an unwindowed read looks back a couple of days. Each unwindowed read imports
 * the next slice of history, from `importSince` (default DEFAULT_HISTORY_DAYS back) up to where the look-back
 * begins; the position is kept in the state store, so a restart continues and the history is read once.
 * Returns null when the history is complete (or there is no state store to remember it in).
 */
export function nextHistorySlice(
  state: EsslStateStore | null,
  key: string,
  importSince: NaiveDateTime | null | undefined,
  lookbackStart: NaiveDateTime,
): HistorySlice | null {
  if (!state) return null;
  const position = state.get(key);
  if (position === DONE) return null;
  const start =
    typeof position === "string" && position
      ? (position as NaiveDateTime)
      : (importSince ?? epochMsToNaive(naiveToEpochMs(lookbackStart) - DEFAULT_HISTORY_DAYS * 86_400_000));
  if (start >= lookbackStart) return { from: start, to: start, commit: () => state.set(key, DONE) };
  const sliceEnd = epochMsToNaive(naiveToEpochMs(start) + HISTORY_SLICE_DAYS * 86_400_000);
  const to = sliceEnd < lookbackStart ? sliceEnd : lookbackStart;
  return { from: start, to, commit: () => state.set(key, to >= lookbackStart ? DONE : to) };
}
