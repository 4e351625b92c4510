/** Answers of biometric_sync.api.ui (see its module docstring). Times are site-local naive strings. */
import type { CommandState } from "../utils/commands";

export interface Thresholds {
  clock_drift_seconds: number;
  memory_percent: number;
  sidecar_silence_minutes: number;
  /** An enabled device Offline this long is an alert (0: never). */
  device_offline_minutes?: number;
}

export interface SyncLogRow {
  name: string;
  device: string | null;
  sidecar: string | null;
  trigger: string | null;
  command: string | null;
  status: string;
  started: string | null;
  finished: string | null;
  duration: number | null;
  read_count: number;
  /** Records a Clear Log removed from the device (clear runs only). */
  cleared_count?: number | null;
  requested_by?: string | null;
  new_count: number;
  duplicate_count: number;
  unmapped_count: number;
  error_count: number;
  error: string | null;
}

export interface CommandRow extends CommandState {
  trigger?: string | null;
  requested_by?: string | null;
  creation?: string | null;
  finished_on?: string | null;
}

export interface DeviceRow {
  name: string;
  device_name: string;
  enabled: 0 | 1;
  driver: string;
  sidecar: string | null;
  time_zone: string | null;
  pull_interval: number | null;
  allow_clear_log: 0 | 1;
  host: string | null;
  port: number | null;
  url: string | null;
  serial_number: string | null;
  status: string | null;
  last_seen: string | null;
  last_error: string | null;
  clock_drift_seconds: number | null;
  memory_used_percent: number | null;
  read_through: string | null;
  watermark: string | null;
  /** The sidecar's live channel to the device (ZK events, Hikvision stream); null: not reported yet. */
  live_channel?: "Up" | "Down" | "Off" | "" | null;
  live_since?: string | null;
  live_error?: string | null;
  last_sync?: SyncLogRow | null;
  open_command?: CommandRow | null;
}

export interface Alert {
  kind: "auth_failure" | "clock_drift" | "memory" | "sidecar_silent" | "discovered" | "unreachable";
  severity: "red" | "orange";
  doctype: string;
  name: string;
  title: string;
  detail: string;
}

export interface Overview {
  now: string;
  enabled: boolean;
  thresholds: Thresholds;
  devices: { total: number; disabled: number; by_status: Record<string, number> };
  sidecars: { total: number; online: number };
  last_sync: {
    device: string;
    status: string | null;
    enabled: 0 | 1;
    sidecar: string | null;
    last_seen: string | null;
    sync: SyncLogRow | null;
  }[];
  punches_today: number;
  punches_per_hour: number[];
  unmapped: { punches: number; user_ids: number };
  alerts: Alert[];
  /** The newest staged punches, newest first (the live feed). */
  latest_punches: LatestPunch[];
}

export interface LatestPunch {
  name: string;
  device: string;
  device_user_id: string;
  employee: string | null;
  employee_name: string | null;
  site_time: string | null;
  punch_time: string | null;
  direction: string | null;
  status: string;
  creation: string;
}

export interface DevicesAnswer {
  now: string;
  can_manage: boolean;
  thresholds: Thresholds;
  devices: DeviceRow[];
}

export interface DeviceAnswer {
  now: string;
  can_manage: boolean;
  thresholds: Thresholds;
  site_time_zone: string;
  device: DeviceRow;
  sidecar: { name: string; status: string; last_heartbeat: string | null; location: string | null } | null;
  runs: SyncLogRow[];
  commands: CommandRow[];
  open_command: CommandRow | null;
  punches_today: number;
  unmapped: number;
  /** The device's family can have its log cleared from here (ZK). */
  can_clear: boolean;
}

export interface SidecarRow {
  name: string;
  location: string | null;
  status: string;
  last_heartbeat: string | null;
  version: string | null;
  spool_depth: number | null;
  adms_listen_address: string | null;
  devices: number;
  silent_minutes: number | null;
  silent: boolean;
}

export interface SidecarsAnswer {
  now: string;
  thresholds: Thresholds;
  sidecars: SidecarRow[];
}

export interface UnmappedAnswer {
  now: string;
  lookup_field: string;
  lookup_label: string;
  total: number;
  groups: import("../utils/unmapped").UnmappedGroup[];
}

export interface AcceptAnswer {
  mapped: MapAnswer[];
  failed: { device_user_id: string; employee: string; code: string; error: string }[];
}

export interface EmployeeOption {
  name: string;
  employee_name: string;
  department: string | null;
  designation: string | null;
  lookup_value: string | null;
}

export interface MapAnswer {
  employee: string;
  employee_name: string;
  field: string;
  device_user_id: string;
  previous: string | null;
  replayed: number;
}

export interface PunchRow {
  name: string;
  device: string;
  device_user_id: string;
  punch_time: string;
  site_time: string | null;
  direction: string | null;
  status: string;
  employee: string | null;
  employee_name: string | null;
  employee_checkin: string | null;
  reason: string | null;
  sync_log: string | null;
}

export interface SyncLogDoc extends SyncLogRow {
  request_excerpt: string | null;
  response_excerpt: string | null;
}

/** One Biometric Attendance Mark: what Daily Attendance from punches decided for an employee and day. */
export interface AttendanceMark {
  attendance_date: string;
  employee: string;
  employee_name: string | null;
  outcome: string;
  reason: string | null;
  attendance: string | null;
  punches: number;
  first_punch: string | null;
  last_punch: string | null;
  working_hours: number | null;
  late_entry: 0 | 1;
  early_exit: 0 | 1;
  late_punch: 0 | 1;
  late_punches: number | null;
  late_punch_time: string | null;
}

export interface AttendanceDay {
  day: string;
  present: number;
  half_day: number;
  absent: number;
  skipped: number;
  late_punches: number;
}

/** biometric_sync.api.ui.attendance */
export interface AttendanceAnswer {
  now: string;
  mode_on: boolean;
  start_date: string | null;
  marked_through: string | null;
  from_date: string;
  to_date: string;
  days: AttendanceDay[];
  day: string | null;
  marks: AttendanceMark[];
  waiting: { day: string; undecided: number; devices: string[] }[];
}
