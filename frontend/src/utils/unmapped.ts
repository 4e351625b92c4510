/** Unmapped punches grouped by device user id (biometric_sync.api.ui.unmapped_groups). */

export interface UnmappedGroup {
  device_user_id: string;
  punches: number;
  first_seen: string | null;
  last_seen: string | null;
  devices: string[];
}

/** Filter by a part of the user id or a device name (case-insensitive); order kept (busiest first). */
export function filterGroups(groups: readonly UnmappedGroup[], text: string): UnmappedGroup[] {
  const needle = text.trim().toLowerCase();
  if (!needle) return [...groups];
  return groups.filter(
    (g) =>
      g.device_user_id.toLowerCase().includes(needle) ||
      g.devices.some((d) => d.toLowerCase().includes(needle)),
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
