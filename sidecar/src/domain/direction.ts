/**
 * Punch direction from the device's punch state. Devices without state keys report 255 (or anything
 * unmapped): the direction is then null and ERPNext's shift logic decides.
 */
export type Direction = "IN" | "OUT";

export interface DirectionRules {
  readonly in: readonly number[];
  readonly out: readonly number[];
}

export const DEFAULT_DIRECTION_RULES: DirectionRules = { in: [0, 4], out: [1, 5] };

export function directionFor(
  state: number | null,
  rules: DirectionRules = DEFAULT_DIRECTION_RULES,
): Direction | null {
  if (state === null) return null;
  if (rules.in.includes(state)) return "IN";
  if (rules.out.includes(state)) return "OUT";
  return null;
}

/** Problems with a rule set, for config validation (a state cannot be both IN and OUT). */
export function directionRuleProblems(rules: DirectionRules): string[] {
  const overlap = rules.in.filter((s) => rules.out.includes(s));
  return overlap.length ? [`punch states ${overlap.join(", ")} are listed as both IN and OUT`] : [];
}
