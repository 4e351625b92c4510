import type { Punch } from "../domain/punch.js";

/**
 * Where the last pull of a device stopped: how many valid punches the log held, and the uid of the last one.
 * The anchor makes the position verifiable: a log that was cleared or wrapped no longer has that uid there.
 */
// A type alias, not an interface, so it is assignable to JSON-valued state stores.
export type PullCursor = {
  readonly count: number;
  readonly anchorUid: string | null;
};

export const EMPTY_CURSOR: PullCursor = { count: 0, anchorUid: null };

export type CursorOutcome = "continued" | "realigned" | "restarted";

export interface Selection {
  readonly fresh: Punch[];
  readonly next: PullCursor;
  /**
   * continued: the log grew after the anchor; realigned: older records were dropped (cyclic delete) and the
   * anchor was found further up; restarted: the anchor is gone (log cleared), so everything is sent again,
   * which is harmless because the site rejects a second copy of a uid.
   */
  readonly outcome: CursorOutcome;
}

/** Picks the punches after the cursor from a full read, in device order. */
export function selectAfterCursor(all: readonly Punch[], cursor: PullCursor): Selection {
  const next: PullCursor = { count: all.length, anchorUid: all.at(-1)?.uid ?? cursor.anchorUid };
  if (cursor.count === 0 || cursor.anchorUid === null) return { fresh: [...all], next, outcome: "continued" };
  if (all.length >= cursor.count && all[cursor.count - 1]?.uid === cursor.anchorUid) {
    return { fresh: all.slice(cursor.count), next, outcome: "continued" };
  }
  for (let i = Math.min(all.length, cursor.count) - 1; i >= 0; i--) {
    if (all[i]?.uid === cursor.anchorUid) return { fresh: all.slice(i + 1), next, outcome: "realigned" };
  }
  return { fresh: [...all], next: { count: all.length, anchorUid: all.at(-1)?.uid ?? null }, outcome: "restarted" };
}

export function isPullCursor(value: unknown): value is PullCursor {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.count === "number" && Number.isInteger(v.count) && v.count >= 0 && (typeof v.anchorUid === "string" || v.anchorUid === null);
}
