/** Search of the Punches page → the arguments of biometric_sync.api.ui.punches, and get_count filters. */

export const PUNCH_STATUSES = ["Pending", "Processed", "Unmapped", "Duplicate", "Skipped", "Error"] as const;

export interface PunchSearch {
  employee?: string;
  user_id?: string;
  device?: string;
  date?: string;
  status?: string;
}

export type Filter = [string, string, unknown];

export interface ListFilters {
  filters: Filter[];
  or_filters: Filter[];
}

/**
 * - employee: part of the Employee id or name (either matches);
 * - user_id: the device user id, exactly ("0111" is not "111");
 * - device, status: exactly;
 * - date: "YYYY-MM-DD", the whole day in the site's time zone (Frappe's between on a Datetime).
 */
export function punchFilters(search: PunchSearch): ListFilters {
  const filters: Filter[] = [];
  const or_filters: Filter[] = [];
  const employee = search.employee?.trim();
  if (employee) {
    or_filters.push(["employee", "like", `%${employee}%`], ["employee_name", "like", `%${employee}%`]);
  }
  if (search.user_id !== undefined && search.user_id !== "")
    filters.push(["device_user_id", "=", search.user_id]);
  if (search.device) filters.push(["device", "=", search.device]);
  if (search.status) filters.push(["status", "=", search.status]);
  const date = search.date?.trim();
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) filters.push(["site_time", "between", [date, date]]);
  return { filters, or_filters };
}

/**
 * The arguments of biometric_sync.api.ui.punches, with the same meaning as punchFilters (which the page's count
 * uses): empty fields and a date that is not YYYY-MM-DD are left out.
 */
export function punchSearchArgs(search: PunchSearch): PunchSearch {
  const out: PunchSearch = {};
  const employee = search.employee?.trim();
  if (employee) out.employee = employee;
  if (search.user_id !== undefined && search.user_id !== "") out.user_id = search.user_id;
  if (search.device) out.device = search.device;
  if (search.status) out.status = search.status;
  const date = search.date?.trim();
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) out.date = date;
  return out;
}

/** Router query ↔ search: only known keys with non-empty string values survive. */
export function searchFromQuery(query: Record<string, unknown>): PunchSearch {
  const out: PunchSearch = {};
  for (const key of ["employee", "user_id", "device", "date", "status"] as const) {
    const value = query[key];
    const text: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof text === "string" && text !== "") out[key] = text;
  }
  return out;
}

export function isEmptySearch(search: PunchSearch): boolean {
  return Object.values(search).every((v) => v === undefined || v === "");
}
