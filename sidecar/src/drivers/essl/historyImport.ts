import { type NaiveDateTime, epochMsToNaive, naiveToEpochMs } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import type { ReadProgress, RecordReject } from "../driver.js";
import type { LogLinesParse } from "./logLines.js";
import type { EsslStateStore } from "./seenPunches.js";

/** What a device brings the first time when its Biometric Device names no "import since" date. */
export const DEFAULT_HISTORY_DAYS = 5 * 365;
/** History read per slice: bounded, so a server with years of punches never fills the sidecar's memory. */
export const HISTORY_SLICE_DAYS = 31;
const DONE = "done";

export interface HistorySlice {
  readonly from: NaiveDateTime;
  readonly to: NaiveDateTime;
}

/**
 * A device added today should bring its past once, as the existing tools' IMPORT_START_DATE does: the servers
 * only answer date windows, and an unwindowed read looks back a couple of days. Each unwindowed read takes
 * slices of the history, oldest first, from `importSince` (default DEFAULT_HISTORY_DAYS back) up to where the
 * look-back begins: empty slices one after another, and stops after the first that held punches (so memory
 * stays bounded to one slice). `commit()`, once those punches are durable, records how far it got in the
 * state store, so a restart continues and the history is read once.
 */
export class HistoryImport {
  private position: NaiveDateTime;

  private constructor(
    private readonly state: EsslStateStore,
    private readonly key: string,
    start: NaiveDateTime,
    private readonly lookbackStart: NaiveDateTime,
  ) {
    this.position = start;
  }

  /** Null when the history is complete, or there is no state store to remember it in. */
  static resume(
    state: EsslStateStore | null,
    key: string,
    importSince: NaiveDateTime | null | undefined,
    lookbackStart: NaiveDateTime,
  ): HistoryImport | null {
    if (!state) return null;
    const saved = state.get(key);
    if (saved === DONE) return null;
    const start =
      typeof saved === "string" && saved
        ? (saved as NaiveDateTime)
        : (importSince ?? epochMsToNaive(naiveToEpochMs(lookbackStart) - DEFAULT_HISTORY_DAYS * 86_400_000));
    return new HistoryImport(state, key, start, lookbackStart);
  }

  /** The next slice, or null when the history is all handed out. */
  next(): HistorySlice | null {
    if (this.position >= this.lookbackStart) return null;
    const end = epochMsToNaive(naiveToEpochMs(this.position) + HISTORY_SLICE_DAYS * 86_400_000);
    const slice = { from: this.position, to: end < this.lookbackStart ? end : this.lookbackStart };
    this.position = slice.to;
    return slice;
  }

  /** Records the slices handed out as imported (call after their punches are durable). */
  commit(): Promise<void> {
    return this.state.set(this.key, this.position >= this.lookbackStart ? DONE : this.position);
  }
}

/** How a server is read over a time range: the requests covering it, and one request. */
export interface RangedSource<Unit> {
  units(from: NaiveDateTime, to: NaiveDateTime): Unit[];
  fetch(unit: Unit): Promise<LogLinesParse>;
}

export interface HistoryRead {
  /** The punches in [since, until], once each. */
  readonly recent: Punch[];
  /** History punches (older slices) not also in `recent`. */
  readonly past: Punch[];
  readonly rejects: RecordReject[];
}

/**
 * One unwindowed read with its history: empty history slices one after another, stopping after the first
 * that held punches (only what was read is committed), then the look-back range [since, until].
 */
export async function readWithHistory<Unit>(
  history: HistoryImport | null,
  since: NaiveDateTime,
  until: NaiveDateTime,
  source: RangedSource<Unit>,
  onProgress?: (progress: ReadProgress) => void,
): Promise<HistoryRead> {
  const recentUnits = source.units(since, until);
  const rejects = new Map<string, RecordReject>();
  let fetched = 0;
  let historyReads: number | null = null; // once the history is read, the total is known
  const read = async (from: NaiveDateTime, to: NaiveDateTime, units: Unit[], into: Map<string, Punch>) => {
    for (const unit of units) {
      const parsed = await source.fetch(unit);
      for (const punch of parsed.punches) {
        if (punch.time >= from && punch.time <= to && !into.has(punch.uid)) into.set(punch.uid, punch);
      }
      for (const reject of parsed.rejects) rejects.set(`${reject.code}|${reject.raw}`, reject);
      fetched++;
      onProgress?.({ bytesRead: fetched, bytesTotal: (historyReads ?? fetched) + recentUnits.length });
    }
  };
  const older = new Map<string, Punch>();
  while (history && older.size === 0) {
    const slice = history.next();
    if (!slice) break;
    await read(slice.from, slice.to, source.units(slice.from, slice.to), older);
  }
  historyReads = fetched;
  const recent = new Map<string, Punch>();
  await read(since, until, recentUnits, recent);
  return {
    recent: [...recent.values()],
    past: [...older.values()].filter((p) => !recent.has(p.uid)),
    rejects: [...rejects.values()],
  };
}
