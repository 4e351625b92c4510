import type { NaiveDateTime } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";

/** Durable small state (spool/stateStore.ts StateStore fits): the dialect and the punches already handed on. */
export interface EsslStateStore {
  get(key: string): unknown;
  set(key: string, value: string | readonly string[]): Promise<void>;
}

/**
 * Which punches of the recent past were already handed on, for web services with no cursor (eSSL). Punches
 * reach eTimeTrackLite late (a terminal offline for hours uploads its backlog), so every unwindowed read looks
 * back a whole lookback period, and this set keeps those reads from resending what the spool already holds.
 * Entries are `<time>|<first 16 hex of the uid>` (64 bits: a false match among thousands is ~1e-11), pruned
 * once older than the lookback.
 */
export class SeenPunches {
  private readonly entries: Set<string>;

  constructor(stored: unknown) {
    this.entries = new Set(
      Array.isArray(stored) ? stored.filter((e): e is string => typeof e === "string") : [],
    );
  }

  static entry(punch: Punch): string {
    return `${punch.time}|${punch.uid.slice(0, 16)}`;
  }

  has(punch: Punch): boolean {
    return this.entries.has(SeenPunches.entry(punch));
  }

  /** The set after adding `punches` and dropping entries before `oldest`, as stored. */
  next(punches: Iterable<Punch>, oldest: NaiveDateTime): string[] {
    const next = new Set<string>();
    for (const entry of this.entries) if (entry >= oldest) next.add(entry);
    for (const punch of punches) if (punch.time >= oldest) next.add(SeenPunches.entry(punch));
    return [...next].sort();
  }
}
