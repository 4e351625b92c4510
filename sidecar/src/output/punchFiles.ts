import type { RecordReject } from "../drivers/driver.js";
import { convertWallTime } from "../domain/timeZone.js";
import type { Punch } from "../domain/punch.js";
import { csvLine } from "./csv.js";
import type { EmployeeMap } from "./employeeMap.js";

/** One row per punch: what the device said, in its own wall-clock time. */
export function punchesCsv(punches: readonly Punch[]): string {
  let out = csvLine(["device", "user_id", "time", "direction", "state", "verify", "uid"]);
  for (const p of punches)
    out += csvLine([p.device, p.user_id, p.time, p.direction ?? "", p.state, p.verify, p.uid]);
  return out;
}

export function punchesJson(punches: readonly Punch[], rejects: readonly RecordReject[]): string {
  return `${JSON.stringify({ punches, rejects }, null, 2)}\n`;
}

/** Zones by device, so a punch's wall-clock time can be re-expressed in the site's zone. */
export interface ZoneConversion {
  readonly deviceZone: (device: string) => string | null;
  readonly siteZone: string | null;
}

export interface CheckinImport {
  readonly csv: string;
  /** Punches whose user id is not in the map: written aside, never dropped. */
  readonly unmapped: Punch[];
}

/**
 * The columns ERPNext's Data Import expects for Employee Checkin (field labels of hrms employee_checkin.json).
 * Time is the site's wall clock when both zones are known; otherwise the device's, unchanged.
 */
export function checkinImportCsv(
  punches: readonly Punch[],
  employees: EmployeeMap,
  zones: ZoneConversion,
): CheckinImport {
  let csv = csvLine(["Employee", "Time", "Log Type", "Location / Device ID", "Skip Auto Attendance"]);
  const unmapped: Punch[] = [];
  for (const p of punches) {
    const employee = employees.get(p.user_id);
    if (!employee) {
      unmapped.push(p);
      continue;
    }
    const from = zones.deviceZone(p.device);
    const time = from && zones.siteZone ? convertWallTime(p.time, from, zones.siteZone) : p.time;
    csv += csvLine([employee, time, p.direction ?? "", p.device, 0]);
  }
  return { csv, unmapped };
}

export function rejectsCsv(rejects: readonly RecordReject[]): string {
  let out = csvLine(["code", "message", "user_id", "time", "raw"]);
  for (const r of rejects) out += csvLine([r.code, r.message, r.userId, r.time, r.raw]);
  return out;
}
