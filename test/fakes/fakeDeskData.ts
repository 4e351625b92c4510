/**
 * The records behind FakeDeskSite: the doctypes' fields as biometric_sync defines them (JSON under
 * biometric_sync/biometric_sync/doctype), plus Employees. `seedDeskData` makes a plausible day at a two-site
 * company so the page has something to show: devices in every state, a silent sidecar, alerts of each kind,
 * today's punches and a few device user ids that map to nobody.
 */

export interface DeskUser {
  readonly name: string;
  readonly password: string;
  readonly full_name: string;
  readonly roles: readonly string[];
}

export interface SidecarDoc {
  name: string;
  location: string | null;
  status: "Online" | "Offline";
  last_heartbeat: string | null;
  version: string | null;
  spool_depth: number;
  adms_listen_address: string | null;
  api_user: string;
}

export interface DeviceDoc {
  name: string;
  device_name: string;
  enabled: 0 | 1;
  driver: "zk" | "adms" | "hikvision" | "essl";
  sidecar: string;
  time_zone: string | null;
  pull_interval: number;
  allow_clear_log: 0 | 1;
  host: string | null;
  port: number | null;
  url: string | null;
  serial_number: string | null;
  comm_key: string | null;
  status: "Unknown" | "Online" | "Offline" | "Error" | "Discovered";
  last_seen: string | null;
  last_error: string | null;
  clock_drift_seconds: number | null;
  memory_used_percent: number | null;
  read_through: string | null;
  watermark: string | null;
  live_channel: "Up" | "Down" | "Off" | null;
  live_since: string | null;
  live_error: string | null;
  modified: string;
}

export interface PunchDoc {
  name: string;
  status: "Pending" | "Processed" | "Unmapped" | "Duplicate" | "Skipped" | "Error";
  device: string;
  device_user_id: string;
  punch_time: string;
  site_time: string;
  direction: "IN" | "OUT" | "";
  employee: string | null;
  employee_name: string | null;
  employee_checkin: string | null;
  reason: string | null;
  sync_log: string | null;
  creation: string;
}

export interface SyncLogDoc {
  name: string;
  device: string | null;
  sidecar: string | null;
  trigger: "schedule" | "manual" | "push" | "replay";
  command: string | null;
  status: "Running" | "Success" | "Partial" | "Failed";
  started: string;
  finished: string | null;
  duration: number | null;
  read_count: number;
  new_count: number;
  duplicate_count: number;
  unmapped_count: number;
  error_count: number;
  cleared_count?: number | null;
  requested_by?: string | null;
  error: string | null;
  request_excerpt: string | null;
  response_excerpt: string | null;
}

export interface CommandDoc {
  name: string;
  command_type: "pull" | "pull_range" | "test_connection" | "sync_time" | "reload_config" | "clear_log";
  device: string | null;
  sidecar: string;
  status: "Queued" | "Claimed" | "Running" | "Done" | "Failed" | "Expired";
  trigger: "manual" | "schedule";
  requested_by: string;
  creation: string;
  expires_on: string;
  claimed_on: string | null;
  finished_on: string | null;
  attempts: number;
  progress_done: number;
  progress_total: number;
  progress_message: string | null;
  sync_log: string | null;
  payload: string;
  result: string | null;
  error: string | null;
}

export interface EmployeeDoc {
  name: string;
  employee_name: string;
  status: "Active" | "Inactive" | "Left";
  department: string | null;
  designation: string | null;
  attendance_device_id: string | null;
}

/** A user as a terminal holds it (Biometric Device User). */
export interface DeviceUserDoc {
  device: string;
  device_user_id: string;
  user_name: string | null;
  privilege: "User" | "Admin";
  removed_on: string | null;
}

export interface DeskSettings {
  enabled: 0 | 1;
  employee_lookup_field: string;
  clock_drift_alert_seconds: number;
  memory_alert_percent: number;
  sidecar_silence_minutes: number;
  command_expiry_minutes: number;
}

/** Biometric Attendance Mark, as the site stores it (Daily Attendance from punches). */
export interface AttendanceMarkDoc {
  attendance_date: string;
  employee: string;
  employee_name: string;
  outcome: "Present" | "Half Day" | "Absent" | "Skipped";
  reason: string;
  attendance: string | null;
  punches: number;
  first_punch: string | null;
  last_punch: string | null;
  working_hours: number;
  late_entry: 0 | 1;
  early_exit: 0 | 1;
  late_punch: 0 | 1;
  late_punches: number;
  late_punch_time: string | null;
}

export interface DeskAttendance {
  mode_on: boolean;
  start_date: string | null;
  marked_through: string | null;
  marks: AttendanceMarkDoc[];
}

export interface DeskData {
  attendance: DeskAttendance;
  settings: DeskSettings;
  sidecars: SidecarDoc[];
  devices: DeviceDoc[];
  punches: PunchDoc[];
  logs: SyncLogDoc[];
  commands: CommandDoc[];
  employees: EmployeeDoc[];
  device_users: DeviceUserDoc[];
}

export const SITE_TIME_ZONE = "Asia/Kolkata";

export const DESK_USERS: readonly DeskUser[] = [
  {
    name: "Administrator",
    password: "admin",
    full_name: "Administrator",
    roles: ["System Manager", "Biometric Manager", "HR Manager", "HR User"],
  },
  {
    name: "hr@example.com",
    password: "hr",
    full_name: "Meera Nair",
    roles: ["HR Manager", "HR User", "Employee"],
  },
  { name: "clerk@example.com", password: "clerk", full_name: "Sam Clerk", roles: ["Employee"] },
];

/** Naive "YYYY-MM-DD HH:MM:SS" of epoch ms read as UTC (the fake keeps site-local wall time in UTC fields). */
export function naive(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function naiveToMs(value: string): number {
  return Date.parse(`${value.replace(" ", "T")}Z`);
}

const MIN = 60_000;
const HOUR = 60 * MIN;

function emptyData(): DeskData {
  return {
    attendance: { mode_on: false, start_date: null, marked_through: null, marks: [] },
    settings: {
      enabled: 1,
      employee_lookup_field: "attendance_device_id",
      clock_drift_alert_seconds: 120,
      memory_alert_percent: 90,
      sidecar_silence_minutes: 10,
      command_expiry_minutes: 30,
    },
    sidecars: [],
    devices: [],
    punches: [],
    logs: [],
    commands: [],
    employees: [],
    device_users: [],
  };
}

/** A deterministic pseudo-random sequence (mulberry32), so the seeded day is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE: [string, string, string][] = [
  ["Aarav Sharma", "Operations", "Supervisor"],
  ["Priya Patel", "Accounts", "Accountant"],
  ["Vikram Singh", "Operations", "Operator"],
  ["Kavya Reddy", "Human Resources", "HR Executive"],
  ["Arjun Nair", "Stores", "Storekeeper"],
  ["Sneha Kulkarni", "Operations", "Operator"],
  ["Rahul Verma", "Maintenance", "Technician"],
  ["Divya Menon", "Quality", "Inspector"],
  ["Karan Malhotra", "Operations", "Operator"],
  ["Pooja Joshi", "Admin", "Receptionist"],
  ["Siddharth Rao", "Maintenance", "Electrician"],
  ["Neha Gupta", "Accounts", "Clerk"],
  ["Ananya Iyer", "Operations", "Trainee"],
  ["Rohan Mehta", "Stores", "Helper"],
  ["Farhan Qureshi", "Security", "Guard"],
];

/**
 * The seeded day. `now` is the site-local wall time the fake's clock starts at.
 * Unmapped user ids: "0042" (9 punches, 2 devices), "118" (4), "9001" (3, Loading Dock), "A-17" (1).
 * Employees without an Attendance Device ID: Ananya Iyer (HR-EMP-00013) and Rohan Mehta (HR-EMP-00014).
 * Names the terminals hold for them: "0042" is "ANANYA  IYER", "118" is "rohan mehtá" (both exactly the names of
 * those two, once normalised), "9001" is "Visitor 3" (nobody's); "A-17" was never read.
 */
export function seedDeskData(now: number, kind: "day" | "empty" = "day"): DeskData {
  const data = emptyData();
  if (kind === "empty") return data;
  const rnd = random(20261121);
  const at = (offsetMs: number): string => naive(now + offsetMs);
  const dayStart = Date.parse(`${naive(now).slice(0, 10)}T00:00:00Z`);

  data.sidecars.push(
    {
      name: "Head Office",
      location: "Pune HQ",
      status: "Online",
      last_heartbeat: at(-20_000),
      version: "0.1.0",
      spool_depth: 0,
      adms_listen_address: "0.0.0.0:8081",
      api_user: "head-office@sidecar.biometric-sync.invalid",
    },
    {
      name: "Warehouse",
      location: "Chakan warehouse",
      status: "Offline",
      last_heartbeat: at(-47 * MIN),
      version: "0.1.0",
      spool_depth: 312,
      adms_listen_address: null,
      api_user: "warehouse@sidecar.biometric-sync.invalid",
    },
  );
  const device = (d: Partial<DeviceDoc> & Pick<DeviceDoc, "name" | "driver" | "sidecar">): DeviceDoc => ({
    device_name: d.name,
    enabled: 1,
    time_zone: SITE_TIME_ZONE,
    pull_interval: 5,
    allow_clear_log: 0,
    host: null,
    port: null,
    url: null,
    serial_number: null,
    comm_key: null,
    status: "Online",
    last_seen: at(-60_000),
    last_error: null,
    clock_drift_seconds: 2,
    memory_used_percent: 35,
    read_through: at(-2 * MIN),
    watermark: at(-2 * MIN),
    live_channel: null,
    live_since: null,
    live_error: null,
    modified: at(-30 * 24 * HOUR),
    ...d,
  });
  data.devices.push(
    device({
      name: "Main Gate",
      driver: "zk",
      sidecar: "Head Office",
      host: "192.168.1.201",
      port: 4370,
      comm_key: "123456",
      clock_drift_seconds: 3,
      memory_used_percent: 41.5,
      live_channel: "Up",
      live_since: at(-3 * HOUR),
    }),
    device({
      name: "Canteen",
      driver: "zk",
      sidecar: "Head Office",
      host: "192.168.1.202",
      port: 4370,
      clock_drift_seconds: 187,
      memory_used_percent: 62,
      live_channel: "Down",
      live_since: at(-4 * MIN),
      live_error: "DEVICE_CLOSED: the terminal closed the event connection; reconnecting",
    }),
    device({
      name: "Reception",
      driver: "hikvision",
      sidecar: "Head Office",
      url: "http://192.168.1.210",
      status: "Error",
      last_seen: at(-3 * HOUR),
      last_error: "DEVICE_AUTH_FAILED: http://192.168.1.210 rejected the user name or password",
      clock_drift_seconds: null,
      memory_used_percent: null,
      read_through: at(-3 * HOUR),
    }),
    device({
      name: "Loading Dock",
      driver: "adms",
      sidecar: "Warehouse",
      serial_number: "CQZ7231",
      pull_interval: 0,
      status: "Offline",
      last_seen: at(-48 * MIN),
      clock_drift_seconds: -4,
      memory_used_percent: 93,
      read_through: at(-48 * MIN),
    }),
    device({
      name: "Store Room",
      driver: "essl",
      sidecar: "Warehouse",
      url: "http://192.168.2.15/iclock/WebAPIService.asmx",
      enabled: 0,
      status: "Unknown",
      last_seen: null,
      clock_drift_seconds: null,
      memory_used_percent: null,
      read_through: null,
      watermark: null,
    }),
    // An unknown ADMS terminal that pushed to the Warehouse sidecar: awaiting approval (an Overview alert).
    device({
      name: "BAZR204960012",
      driver: "adms",
      sidecar: "Warehouse",
      serial_number: "BAZR204960012",
      host: "192.168.2.40",
      pull_interval: 0,
      enabled: 0,
      status: "Discovered",
      last_seen: null,
      clock_drift_seconds: null,
      memory_used_percent: null,
      read_through: null,
      watermark: null,
    }),
  );

  PEOPLE.forEach(([employee_name, department, designation], i) => {
    const mapped = i < 12 || i === 14;
    data.employees.push({
      name: `HR-EMP-${String(i + 1).padStart(5, "0")}`,
      employee_name,
      status: "Active",
      department,
      designation,
      attendance_device_id: mapped ? String(i + 1) : null,
    });
  });
  data.employees.push({
    name: "HR-EMP-00016",
    employee_name: "Ravi Kumar",
    status: "Left",
    department: "Operations",
    designation: "Operator",
    attendance_device_id: "16",
  });

  // Sync logs: scheduled pulls every 5 minutes for the online zk devices, the last 40 minutes.
  let logNo = 1;
  const logName = (): string => `BSL-${String(logNo++).padStart(7, "0")}`;
  const addLog = (
    log: Omit<SyncLogDoc, "name" | "request_excerpt" | "response_excerpt"> & Partial<SyncLogDoc>,
  ) => {
    const doc: SyncLogDoc = { request_excerpt: null, response_excerpt: null, ...log, name: logName() };
    data.logs.push(doc);
    return doc;
  };
  const logsFor = new Map<string, SyncLogDoc[]>();
  for (const name of ["Main Gate", "Canteen"]) {
    for (let k = 8; k >= 1; k--) {
      const started = now - k * 5 * MIN - 20_000;
      const log = addLog({
        device: name,
        sidecar: "Head Office",
        trigger: "schedule",
        command: null,
        status: "Success",
        started: naive(started),
        finished: naive(started + 1800 + Math.round(rnd() * 1500)),
        duration: 1.8 + Math.round(rnd() * 15) / 10,
        read_count: 0,
        new_count: 0,
        duplicate_count: 0,
        unmapped_count: 0,
        error_count: 0,
        error: null,
        request_excerpt: JSON.stringify({ command: "pull", device: name }, null, 1),
        response_excerpt: JSON.stringify({ read: 0 }, null, 1),
      });
      logsFor.set(name, [...(logsFor.get(name) ?? []), log]);
    }
  }
  addLog({
    device: "Reception",
    sidecar: "Head Office",
    trigger: "schedule",
    command: null,
    status: "Failed",
    started: at(-4 * MIN),
    finished: at(-4 * MIN + 900),
    duration: 0.9,
    read_count: 0,
    new_count: 0,
    duplicate_count: 0,
    unmapped_count: 0,
    error_count: 0,
    error: "DEVICE_AUTH_FAILED: http://192.168.1.210 rejected the user name or password",
  });
  const dockLog = addLog({
    device: "Loading Dock",
    sidecar: "Warehouse",
    trigger: "push",
    command: null,
    status: "Success",
    started: naive(Math.floor((now - 48 * MIN) / HOUR) * HOUR),
    finished: at(-48 * MIN),
    duration: 2100,
    read_count: 0,
    new_count: 0,
    duplicate_count: 0,
    unmapped_count: 0,
    error_count: 0,
    error: null,
  });

  // Today's punches: people arrive 07:00–10:30, lunch 12:30–14:00, leave from 17:00.
  let uidNo = 1;
  const punch = (
    deviceName: string,
    userId: string,
    time: number,
    direction: "IN" | "OUT",
    log: SyncLogDoc | undefined,
  ): PunchDoc | null => {
    if (time > now) return null;
    const employee = data.employees.find((e) => e.attendance_device_id === userId && e.status === "Active");
    const doc: PunchDoc = {
      name: (uidNo++).toString(16).padStart(12, "0") + "f3a9c2d1b0e4",
      status: employee ? "Processed" : "Unmapped",
      device: deviceName,
      device_user_id: userId,
      punch_time: naive(time),
      site_time: naive(time),
      direction,
      employee: employee?.name ?? null,
      employee_name: employee?.employee_name ?? null,
      employee_checkin: employee ? `EMP-CKIN-11-2026-${String(uidNo).padStart(6, "0")}` : null,
      reason: employee ? null : `No Employee has attendance_device_id = '${userId}'`,
      sync_log: log?.name ?? null,
      creation: naive(Math.min(now, time + 2 * MIN)),
    };
    data.punches.push(doc);
    if (log) {
      log.read_count++;
      if (employee) log.new_count++;
      else log.unmapped_count++;
    }
    return doc;
  };
  const logAt = (deviceName: string, time: number): SyncLogDoc | undefined =>
    deviceName === "Loading Dock"
      ? dockLog
      : (logsFor.get(deviceName) ?? []).find((l) => {
          const started = naiveToMs(l.started);
          return started >= time && started - time <= 5 * MIN;
        });
  for (let day = 0; day < 3; day++) {
    const base = dayStart - day * 24 * HOUR;
    // 40 punching people a day (the 13 mapped employees work shifts at both gates): a realistic curve.
    const mappedIds = data.employees
      .filter((e) => e.status === "Active" && e.attendance_device_id)
      .map((e) => e.attendance_device_id!);
    for (let person = 0; person < 40; person++) {
      const userId = mappedIds[person % mappedIds.length]!;
      const gate = person % 3 === 0 ? "Canteen" : "Main Gate";
      const arrive = base + 7 * HOUR + Math.round(rnd() * 3.5 * HOUR);
      const lunchOut = base + 12.5 * HOUR + Math.round(rnd() * 1 * HOUR);
      const lunchIn = lunchOut + 30 * MIN + Math.round(rnd() * 15 * MIN);
      const leave = base + 17 * HOUR + Math.round(rnd() * 2.5 * HOUR);
      for (const [time, dir] of [
        [arrive, "IN"],
        [lunchOut, "OUT"],
        [lunchIn, "IN"],
        [leave, "OUT"],
      ] as const) {
        punch(gate, userId, time, dir, day === 0 ? logAt(gate, time) : undefined);
      }
    }
  }
  const unmapped: [string, string, number][] = [
    ["0042", "Main Gate", 6],
    ["0042", "Canteen", 3],
    ["118", "Main Gate", 4],
    ["9001", "Loading Dock", 3],
    ["A-17", "Reception", 1],
  ];
  unmapped.forEach(([userId, deviceName, count], j) => {
    for (let k = 0; k < count; k++) {
      const time = now - (2 - (k % 3)) * 24 * HOUR - (j + 1) * 37 * MIN - k * 11 * MIN;
      punch(deviceName, userId, time, k % 2 ? "OUT" : "IN", undefined);
    }
  });
  data.punches.sort((a, b) => (a.site_time < b.site_time ? 1 : -1));
  const heldNames: [string, string, string][] = [
    ["Main Gate", "0042", "ANANYA  IYER"],
    ["Canteen", "0042", "ANANYA  IYER"],
    ["Main Gate", "118", "rohan mehtá"],
    ["Loading Dock", "9001", "Visitor 3"],
  ];
  for (const [device, device_user_id, user_name] of heldNames)
    data.device_users.push({ device, device_user_id, user_name, privilege: "User", removed_on: null });

  // Recent commands.
  let cmdNo = 41;
  const command = (c: Partial<CommandDoc> & Pick<CommandDoc, "command_type" | "sidecar" | "status">) => {
    const creation = c.creation ?? at(-10 * MIN);
    data.commands.push({
      name: `CMD-${String(cmdNo++).padStart(7, "0")}`,
      device: null,
      trigger: "schedule",
      requested_by: "Administrator",
      creation,
      expires_on: naive(naiveToMs(creation) + 30 * MIN),
      claimed_on: creation,
      finished_on: creation,
      attempts: 1,
      progress_done: 0,
      progress_total: 0,
      progress_message: null,
      sync_log: null,
      payload: "{}",
      result: null,
      error: null,
      ...c,
    });
  };
  for (const log of data.logs.filter((l) => l.trigger === "schedule").slice(-6)) {
    command({
      command_type: "pull",
      device: log.device,
      sidecar: "Head Office",
      status: log.status === "Failed" ? "Failed" : "Done",
      creation: log.started,
      finished_on: log.finished,
      sync_log: log.name,
      error: log.error,
      result: JSON.stringify({ read: log.read_count }),
    });
    log.command = data.commands.at(-1)!.name;
  }
  command({
    command_type: "test_connection",
    device: "Canteen",
    sidecar: "Head Office",
    status: "Done",
    trigger: "manual",
    creation: at(-26 * HOUR),
    result: JSON.stringify({ serial_number: "BJ2C183560123", clock_drift_seconds: 187 }),
  });
  data.commands.sort((a, b) => (a.creation < b.creation ? 1 : -1));
  data.logs.sort((a, b) => (a.started < b.started ? 1 : -1));
  data.attendance = seedAttendance(data.employees, dayStart);
  return data;
}

/**
 * Daily Attendance for the three days before the seeded day: everyone mapped is Present, except Priya Patel
 * (HR-EMP-00002: Half Day the day before yesterday, with an early exit), Vikram Singh (HR-EMP-00003: Absent
 * yesterday), Kavya Reddy (HR-EMP-00004: on approved leave yesterday, left alone) and Aarav Sharma
 * (HR-EMP-00001: late entry yesterday, and a punch that arrived after yesterday was marked).
 */
function seedAttendance(employees: EmployeeDoc[], dayStart: number): DeskAttendance {
  const marks: AttendanceMarkDoc[] = [];
  const people = employees.filter((e) => e.status === "Active" && e.attendance_device_id);
  let attendanceNo = 1;
  for (const back of [3, 2, 1]) {
    const date = naive(dayStart - back * 24 * HOUR).slice(0, 10);
    for (const e of people) {
      const at = (h: number, m: number): string =>
        `${date} ${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00`;
      let mark: Omit<AttendanceMarkDoc, "attendance_date" | "employee" | "employee_name" | "attendance"> = {
        outcome: "Present",
        reason: "2 punches, first to last: 8.75 h",
        punches: 2,
        first_punch: at(9, 0),
        last_punch: at(17, 45),
        working_hours: 8.75,
        late_entry: 0,
        early_exit: 0,
        late_punch: 0,
        late_punches: 0,
        late_punch_time: null,
      };
      if (e.name === "HR-EMP-00002" && back === 2)
        mark = {
          ...mark,
          outcome: "Half Day",
          reason: "2 punches, first to last: 3.5 h (half day below 4 h)",
          last_punch: at(12, 30),
          working_hours: 3.5,
          early_exit: 1,
        };
      if (e.name === "HR-EMP-00003" && back === 1)
        mark = {
          ...mark,
          outcome: "Absent",
          reason: "no punches on a working day",
          punches: 0,
          first_punch: null,
          last_punch: null,
          working_hours: 0,
        };
      if (e.name === "HR-EMP-00004" && back === 1)
        mark = {
          ...mark,
          outcome: "Skipped",
          reason: "approved leave HR-LAP-2026-00031 (Casual Leave)",
          punches: 0,
          first_punch: null,
          last_punch: null,
          working_hours: 0,
        };
      if (e.name === "HR-EMP-00001" && back === 1)
        mark = {
          ...mark,
          reason: "2 punches, first to last: 8.25 h; late entry after 09:15",
          first_punch: at(9, 30),
          working_hours: 8.25,
          late_entry: 1,
          late_punch: 1,
          late_punches: 1,
          late_punch_time: at(19, 5),
        };
      const marked = mark.outcome !== "Skipped";
      marks.push({
        attendance_date: date,
        employee: e.name,
        employee_name: e.employee_name,
        attendance: marked ? `HR-ATT-2026-${String(attendanceNo++).padStart(5, "0")}` : null,
        ...mark,
      });
    }
  }
  return {
    mode_on: true,
    start_date: naive(dayStart - 3 * 24 * HOUR).slice(0, 10),
    marked_through: naive(dayStart - 24 * HOUR).slice(0, 10),
    marks,
  };
}
