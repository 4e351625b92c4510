import type { Punch } from "../domain/punch.js";

/** What of a Spool this needs. */
export interface AppendableSpool {
  append(punches: readonly Punch[]): Promise<unknown>;
  pending(): AsyncIterable<{ readonly punch: Punch }>;
}

const STORED: Promise<unknown> = Promise.resolve();

/**
 * Appends punches to a spool at most once per uid: a punch already pending there (left by an interrupted run,
 * pushed by a terminal, read by a driver) or being appended right now is not written again. `append` resolves
 * only when every punch it was given is durable, its own or the earlier write that holds it, so whoever
 * answers "stored" after it (an ADMS OK) never answers ahead of the disk. A failed write forgets its uids, so a
 * resend is written afresh.
 */
export class UniqueAppender {
  /** uid → the write that makes it durable (resolved for entries already on disk). */
  private readonly writes = new Map<string, Promise<unknown>>();

  private constructor(private readonly spool: AppendableSpool) {}

  /** Knows the uids of the spool's pending entries before the first append. */
  static async open(spool: AppendableSpool): Promise<UniqueAppender> {
    const appender = new UniqueAppender(spool);
    for await (const entry of spool.pending()) appender.writes.set(entry.punch.uid, STORED);
    return appender;
  }

  /** Pending when opened (left by an earlier run that did not finish). */
  wasPending(uid: string): boolean {
    return this.writes.get(uid) === STORED;
  }

  async append(punches: readonly Punch[]): Promise<void> {
    const fresh: Punch[] = [];
    const waits = new Set<Promise<unknown>>();
    const seen = new Set<string>();
    for (const punch of punches) {
      const earlier = this.writes.get(punch.uid);
      if (earlier) waits.add(earlier);
      else if (!seen.has(punch.uid)) {
        seen.add(punch.uid);
        fresh.push(punch);
      }
    }
    if (fresh.length > 0) {
      const write = this.spool.append(fresh);
      for (const punch of fresh) this.writes.set(punch.uid, write);
      write.catch(() => {
        for (const punch of fresh) if (this.writes.get(punch.uid) === write) this.writes.delete(punch.uid);
      });
      waits.add(write);
    }
    await Promise.all(waits);
  }
}
