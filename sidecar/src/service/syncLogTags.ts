import type { JsonValue } from "../spool/stateStore.js";

/** Where the tags live between runs (the sidecar's state store). */
export interface TagStore {
  get(key: string): JsonValue | undefined;
  set(key: string, value: JsonValue): Promise<void>;
}

interface Range {
  from: number;
  to: number;
  syncLog: string;
}

const KEY = "syncLogTags";
/** Ranges kept: far more than the batches a spool holds between uploads. */
const KEEP = 2_000;

/**
 * Which site Sync Log a spooled punch belongs to, so the uploader can pass `sync_log` to push_punches and the
 * run's log counts its new and duplicate punches. Kept in the state store as well, so punches of a run that a
 * restart (or kill -9) left in the spool still count in that run's log, not in a separate push log.
 */
export class SyncLogTags {
  private readonly current = new Map<string, string>();
  private ranges: Range[] = [];

  constructor(private readonly store?: TagStore) {
    const saved = store?.get(KEY);
    if (Array.isArray(saved)) {
      this.ranges = saved.filter(
        (r): r is Range & JsonValue =>
          typeof r === "object" &&
          r !== null &&
          typeof (r as Partial<Range>).from === "number" &&
          typeof (r as Partial<Range>).to === "number" &&
          typeof (r as Partial<Range>).syncLog === "string",
      );
    }
  }

  /** Punches appended for `device` until `end` belong to `syncLog`. */
  begin(device: string, syncLog: string | null | undefined): void {
    if (syncLog) this.current.set(device, syncLog);
  }

  end(device: string): void {
    this.current.delete(device);
  }

  /** Records the sequence numbers a device's append got (durably, when there is a store). */
  async note(device: string, seqs: readonly number[]): Promise<void> {
    const syncLog = this.current.get(device);
    if (!syncLog || seqs.length === 0) return;
    this.ranges.push({ from: Math.min(...seqs), to: Math.max(...seqs), syncLog });
    if (this.ranges.length > KEEP) this.ranges = this.ranges.slice(-KEEP);
    await this.store?.set(KEY, this.ranges as unknown as JsonValue);
  }

  syncLogOf(seq: number): string | null {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i]!;
      if (seq >= r.from && seq <= r.to) return r.syncLog;
    }
    return null;
  }
}
