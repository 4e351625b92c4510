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

/**
 * continued: the log grew after the anchor; realigned: older records were dropped (cyclic delete) and the
 * anchor was found further up; restarted: the anchor is gone (log cleared), so everything is sent again,
 * which is harmless because the site rejects a second copy of a uid.
 */
export interface CursorPlan {
  readonly outcome: CursorOutcome;
  /** How many punches from the start of the log are already handed on. */
  readonly skip: number;
}

/** Where the fresh punches start in a full read, in device order; streams the log once at most. */
export function planAfterCursor(log: Iterable<Punch>, cursor: PullCursor): CursorPlan {
  if (cursor.count === 0 || cursor.anchorUid === null) return { outcome: "continued", skip: 0 };
  let index = 0;
  let lastMatch = -1;
  for (const punch of log) {
    if (index >= cursor.count) break;
    if (punch.uid === cursor.anchorUid) lastMatch = index;
    index++;
  }
  if (lastMatch === cursor.count - 1) return { outcome: "continued", skip: cursor.count };
  if (lastMatch >= 0) return { outcome: "realigned", skip: lastMatch + 1 };
  return { outcome: "restarted", skip: 0 };
}

/** The cursor after handing on everything past `plan.skip` of a log holding `count` punches. */
export function cursorAfter(
  plan: CursorPlan,
  previous: PullCursor,
  count: number,
  lastFreshUid: string | null,
): PullCursor {
  if (lastFreshUid !== null) return { count, anchorUid: lastFreshUid };
  return plan.skip > 0 ? { count, anchorUid: previous.anchorUid } : { count, anchorUid: null };
}

export interface Selection {
  readonly fresh: Punch[];
  readonly next: PullCursor;
  readonly outcome: CursorOutcome;
}

/** Picks the punches after the cursor from a full read held in memory (small logs, tests). */
export function selectAfterCursor(all: readonly Punch[], cursor: PullCursor): Selection {
  const plan = planAfterCursor(all, cursor);
  const fresh = all.slice(plan.skip);
  return {
    fresh,
    next: cursorAfter(plan, cursor, all.length, fresh.at(-1)?.uid ?? null),
    outcome: plan.outcome,
  };
}

export function isPullCursor(value: unknown): value is PullCursor {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.count === "number" &&
    Number.isInteger(v.count) &&
    v.count >= 0 &&
    (typeof v.anchorUid === "string" || v.anchorUid === null)
  );
}
