/** Unmapped punches grouped by device user id (biometric_sync.api.ui.unmapped_groups). */

/** An active Employee without an id whose name matches the name a terminal holds (best first). */
export interface Suggestion {
  employee: string;
  employee_name: string;
  score: number;
  confident: boolean;
}

export interface UnmappedGroup {
  device_user_id: string;
  punches: number;
  first_seen: string | null;
  last_seen: string | null;
  devices: string[];
  /** The name a terminal holds for this id (Biometric Device User), when the site has read its users. */
  device_name?: string | null;
  suggestions?: Suggestion[];
}

/** The best suggestion of a group, if any. */
export function bestSuggestion(group: UnmappedGroup): Suggestion | null {
  return group.suggestions?.[0] ?? null;
}

/**
 * The pairs "Accept all confident suggestions" sends: each group's best suggestion when it is confident, and
 * never the same employee for two ids (the site would refuse the second one anyway).
 */
export function confidentPairs(
  groups: readonly UnmappedGroup[],
): { device_user_id: string; employee: string; employee_name: string }[] {
  const taken = new Set<string>();
  const pairs = [];
  for (const g of groups) {
    const best = bestSuggestion(g);
    if (!best?.confident || taken.has(best.employee)) continue;
    taken.add(best.employee);
    pairs.push({
      device_user_id: g.device_user_id,
      employee: best.employee,
      employee_name: best.employee_name,
    });
  }
  return pairs;
}

/** A score 0..1 as a percentage for people. */
export function confidenceLabel(s: Suggestion): string {
  return `${Math.round(s.score * 100)}%${s.confident ? " · confident" : ""}`;
}

/**
 * Filter by a part of the user id, a device or the name on the device (case-insensitive); order kept (busiest
 * first).
 */
export function filterGroups(groups: readonly UnmappedGroup[], text: string): UnmappedGroup[] {
  const needle = text.trim().toLowerCase();
  if (!needle) return [...groups];
  return groups.filter(
    (g) =>
      g.device_user_id.toLowerCase().includes(needle) ||
      g.devices.some((d) => d.toLowerCase().includes(needle)) ||
      (g.device_name ?? "").toLowerCase().includes(needle),
  );
}

export function unmappedTotals(groups: readonly UnmappedGroup[]): { ids: number; punches: number } {
  return { ids: groups.length, punches: groups.reduce((sum, g) => sum + g.punches, 0) };
}

/**
 * After mapping a user id the punches are replayed: the group leaves the list at once (the next read agrees),
 * rather than staying until the site answers.
 */
export function withoutGroup(groups: readonly UnmappedGroup[], deviceUserId: string): UnmappedGroup[] {
  return groups.filter((g) => g.device_user_id !== deviceUserId);
}

/** A user id shown so that "0111", " 111" and "111 " are told apart. */
export function showUserId(value: string): string {
  if (value === "") return "(empty)";
  return /^\s|\s$/.test(value) ? JSON.stringify(value) : value;
}
