/**
 * Which site Sync Log a spooled punch belongs to, so the uploader can pass `sync_log` to push_punches and the
 * run's log counts its new and duplicate punches. In memory only: after a restart the punches still upload,
 * counted in the site's push log instead of the run's.
 */
export class SyncLogTags {
  private readonly current = new Map<string, string>();
  private ranges: { from: number; to: number; syncLog: string }[] = [];

  /** Punches appended for `device` until `end` belong to `syncLog`. */
  begin(device: string, syncLog: string | null | undefined): void {
    if (syncLog) this.current.set(device, syncLog);
  }

  end(device: string): void {
    this.current.delete(device);
  }

  /** Records the sequence numbers a device's append got. */
  note(device: string, seqs: readonly number[]): void {
    const syncLog = this.current.get(device);
    if (!syncLog || seqs.length === 0) return;
    this.ranges.push({ from: Math.min(...seqs), to: Math.max(...seqs), syncLog });
    if (this.ranges.length > 10_000) this.ranges = this.ranges.slice(-5_000);
  }

  syncLogOf(seq: number): string | null {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const r = this.ranges[i]!;
      if (seq >= r.from && seq <= r.to) return r.syncLog;
    }
    return null;
  }
}
