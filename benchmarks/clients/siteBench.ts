// Shared by the site benchmarks (site-ingest.ts, site-history.ts): the two API clients of a real bench, the
// benchmark employees, pushes as the sidecar does them, counts, HRMS's one-by-one path and the tick watcher.
// Configured by the contract suite's variables (see site-ingest.ts). Asserts nothing.
import { epochMsToNaive, naiveToEpochMs, type NaiveDateTime } from "../../sidecar/src/domain/naiveTime.js";
import { makePunch, type Punch } from "../../sidecar/src/domain/punch.js";
import { isSidecarError } from "../../sidecar/src/errors.js";
import { SiteClient } from "../../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES, type PushItemResult } from "../../sidecar/src/site/uploader.js";
import { cpuTicks, type CpuTicks } from "./cpuLoad.js";

export const env = process.env;
if (!env.BSYNC_CONTRACT_URL) {
  console.log(
    "site benchmark: needs a real bench. Set BSYNC_CONTRACT_URL, BSYNC_CONTRACT_KEY, BSYNC_CONTRACT_SECRET,\n" +
      "BSYNC_CONTRACT_SIDECAR, BSYNC_CONTRACT_DEVICE, BSYNC_CONTRACT_ADMIN_KEY and BSYNC_CONTRACT_ADMIN_SECRET " +
      "(see the header of benchmarks/site-ingest.ts). Nothing was run.",
  );
  process.exit(0);
}
export const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
export const num = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return Math.floor(value);
};

export const URL_ = need("BSYNC_CONTRACT_URL");
export const SIDECAR = need("BSYNC_CONTRACT_SIDECAR");
export const DEVICE = need("BSYNC_CONTRACT_DEVICE");
export const PUNCHES = num("BENCH_PUNCHES", 20_000);
export const EMPLOYEES = num("BENCH_EMPLOYEES", 500);
export const BATCH = Math.min(1000, num("BENCH_BATCH", 500));
export const SINGLE = Math.min(PUNCHES, num("BENCH_SINGLE", PUNCHES));
export const CONCURRENCY = num("BENCH_CONCURRENCY", 1);
/** The benchmark employees' company: BENCH_COMPANY, else the site's default company (Global Defaults). */
const COMPANY = env.BENCH_COMPANY;
export const TIMEOUT_S = num("BENCH_TIMEOUT_S", 1800);

export const SITE_NAME = env.BSYNC_CONTRACT_SITE;
export const sidecar = new SiteClient({
  url: URL_,
  ...(SITE_NAME && { siteName: SITE_NAME }),
  apiKey: need("BSYNC_CONTRACT_KEY"),
  apiSecret: need("BSYNC_CONTRACT_SECRET"),
  timeoutMs: 120_000,
});
export const admin = new SiteClient({
  url: URL_,
  ...(SITE_NAME && { siteName: SITE_NAME }),
  apiKey: need("BSYNC_CONTRACT_ADMIN_KEY"),
  apiSecret: need("BSYNC_CONTRACT_ADMIN_SECRET"),
  timeoutMs: 120_000,
});

export const seconds = (fromMs: number): number => (performance.now() - fromMs) / 1000;
export const log = (line: string): void => console.log(`[site] ${line}`);
export const userId = (i: number): string => `BENCH${String(i + 1).padStart(4, "0")}`;

export async function ensureEmployees(): Promise<void> {
  const existing = new Set(
    (
      await admin.call<{ attendance_device_id: string }[]>("frappe.client.get_list", {
        doctype: "Employee",
        filters: [["attendance_device_id", "like", "BENCH%"]],
        fields: ["attendance_device_id"],
        limit_page_length: 0,
      })
    ).map((row) => row.attendance_device_id),
  );
  const missing = Array.from({ length: EMPLOYEES }, (_, i) => userId(i)).filter((id) => !existing.has(id));
  if (missing.length === 0) {
    log(`${EMPLOYEES} employees BENCH0001..${userId(EMPLOYEES - 1)} already exist`);
    return;
  }
  const company =
    COMPANY ??
    (await admin.call<string | null>("frappe.client.get_single_value", {
      doctype: "Global Defaults",
      field: "default_company",
    }));
  if (!company) throw new Error("the site has no default company: set BENCH_COMPANY");
  const start = performance.now();
  for (let i = 0; i < missing.length; i += 100) {
    const docs = missing.slice(i, i + 100).map((id) => ({
      doctype: "Employee",
      first_name: `Bench ${id}`,
      gender: "Female",
      date_of_birth: "1990-01-01",
      date_of_joining: "2020-01-01",
      company,
      status: "Active",
      attendance_device_id: id,
    }));
    await admin.call("frappe.client.insert_many", { docs });
  }
  log(`created ${missing.length} employees in ${seconds(start).toFixed(1)} s`);
}

/** `count` punches from `startMs`, 37 s apart, round-robin over the employees, alternating IN and OUT. */
export function makePunches(count: number, startMs: number, device = DEVICE): Punch[] {
  return Array.from({ length: count }, (_, i) =>
    makePunch({
      device,
      userId: userId(i % EMPLOYEES),
      time: epochMsToNaive(startMs + i * 37_000),
      state: Math.floor(i / EMPLOYEES) % 2,
      verify: 1,
      raw: "site-ingest benchmark",
    }),
  );
}

interface StatusCount {
  status: string;
  n: number;
}

/**
 * A site_time window that holds every punch of a punch_time window (a device's zone is at most 14 h from the
 * site's): with it the counts below go through the (device[, status], site_time) indexes. Filtered on punch_time
 * alone, MariaDB read every punch of the benchmark device (900,000 after a few runs: seconds per count, which
 * were timed as processing, and a core taken from the processing being timed).
 */
function siteTimeWindow(from: string, to: string): [string, string] {
  const day = 86_400_000;
  return [
    epochMsToNaive(naiveToEpochMs(from as NaiveDateTime) - day),
    epochMsToNaive(naiveToEpochMs(to as NaiveDateTime) + day),
  ];
}

/** This run's punches (device + punch_time window) by status. */
export async function countsByStatus(
  from: string,
  to: string,
  device = DEVICE,
): Promise<Map<string, number>> {
  const rows = await admin.call<StatusCount[]>("frappe.client.get_list", {
    doctype: "Biometric Punch",
    filters: [
      ["device", "=", device],
      ["site_time", "between", siteTimeWindow(from, to)],
      ["punch_time", ">=", from],
      ["punch_time", "<=", to],
    ],
    fields: ["status", "count(name) as n"],
    group_by: "status",
    limit_page_length: 0,
  });
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

export async function checkinsBetween(from: string, to: string, deviceId: string): Promise<number> {
  return admin.call<number>("frappe.client.get_count", {
    doctype: "Employee Checkin",
    filters: [
      ["device_id", "=", deviceId],
      ["time", ">=", from],
      ["time", "<=", to],
    ],
  });
}

export const pushStats = { retries: 0 };

/** As the sidecar's uploader does: a retryable failure (5xx, timeout) is sent again after a pause. */
async function pushWithRetry(batch: Punch[]): Promise<{ results: PushItemResult[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sidecar.call<{ results: PushItemResult[] }>(PUSH_PUNCHES, {
        sidecar: SIDECAR,
        device: DEVICE,
        punches: batch,
      });
    } catch (error) {
      if (!isSidecarError(error) || !error.retryable || attempt >= 5) throw error;
      pushStats.retries++;
      log(`batch retried after ${error.code}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

export async function pushAll(
  punches: Punch[],
): Promise<{ seconds: number; created: number; other: number }> {
  const batches: Punch[][] = [];
  for (let i = 0; i < punches.length; i += BATCH) batches.push(punches.slice(i, i + BATCH));
  let created = 0;
  let other = 0;
  let next = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const answer = await pushWithRetry(batch);
      for (const result of answer.results) {
        if (result.status === "new") created++;
        else other++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { seconds: seconds(start), created, other };
}

const TICK = "biometric_sync.outbox.scheduler.tick";

/** Polls the tick's last run (server time) until stopped; returns the distinct run times seen. */
export function watchTicks(): { stop: () => Promise<string[]> } {
  const seen = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const row = await admin.call<{ last_execution: string | null } | null>("frappe.client.get_value", {
          doctype: "Scheduled Job Type",
          filters: { method: TICK },
          fieldname: "last_execution",
        });
        if (row?.last_execution) seen.add(row.last_execution);
      } catch {
        // a busy site: try again on the next round
      }
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...seen].sort();
    },
  };
}

export function tickSummary(runs: string[], processingSeconds: number): string {
  const times = runs.map((run) => Date.parse(run.replace(" ", "T") + "Z"));
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i]! - times[i - 1]!) / 1000);
  return (
    `the per-minute tick ran ${runs.length} times during ${(processingSeconds / 60).toFixed(1)} min of ` +
    `processing; longest gap between runs ${longest.toFixed(0)} s` +
    (runs.length < 2 ? " (is the site's scheduler enabled? bench --site S enable-scheduler)" : "")
  );
}

/** HRMS's one-by-one path, as the existing tools post: one request per punch. Returns checkins and seconds. */
export async function postOneByOne(
  punches: Punch[],
  deviceId: string,
): Promise<{ ok: number; seconds: number }> {
  const start = performance.now();
  let failures = 0;
  for (const punch of punches) {
    try {
      await admin.call("hrms.hr.doctype.employee_checkin.employee_checkin.add_log_based_on_employee_field", {
        employee_field_value: punch.user_id,
        timestamp: punch.time,
        device_id: deviceId,
        log_type: punch.direction,
      });
    } catch {
      failures++;
    }
  }
  return { ok: punches.length - failures, seconds: seconds(start) };
}

/**
 * Waits until none of the device's punches in [from, to] is Pending (or the timeout). Returns when that was seen
 * (performance.now(), to time processing by: the counts after it are not processing) and the counts by status.
 */
export async function untilProcessed(
  from: string,
  to: string,
  device = DEVICE,
): Promise<{ doneAt: number; cpuAt: CpuTicks | undefined; counts: Map<string, number> }> {
  const deadline = Date.now() + TIMEOUT_S * 1000;
  // Asks only whether one Pending punch is left, through the (device, status, site_time) index. The benchmark is
  // the observer, not a load: counting every status read every punch of the device each time (a second per poll
  // once it held 200,000), and even counting the Pending ones read up to a whole backlog's rows four times a
  // second, CPU taken from the workers being timed.
  while ((await anyPendingBetween(from, to, device)) && Date.now() <= deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const doneAt = performance.now();
  const cpuAt = cpuTicks();
  return { doneAt, cpuAt, counts: await countsByStatus(from, to, device) };
}

/** Whether a punch of this window is still Pending: one index entry read, whatever the backlog. */
export async function anyPendingBetween(from: string, to: string, device: string): Promise<boolean> {
  const rows = await admin.call<{ name: string }[]>("frappe.client.get_list", {
    doctype: "Biometric Punch",
    filters: pendingFilters(from, to, device),
    fields: ["name"],
    // The index's own order: any other (get_list's default is modified desc) sorts every Pending row first.
    order_by: "site_time asc",
    limit_page_length: 1,
  });
  return rows.length > 0;
}

export async function pendingBetween(from: string, to: string, device: string): Promise<number> {
  return admin.call<number>("frappe.client.get_count", {
    doctype: "Biometric Punch",
    filters: pendingFilters(from, to, device),
  });
}

/** This run's Pending punches: the device, the status and a site_time window lead to the index. */
function pendingFilters(from: string, to: string, device: string): unknown[] {
  return [
    ["device", "=", device],
    ["status", "=", "Pending"],
    ["site_time", "between", siteTimeWindow(from, to)],
    ["punch_time", ">=", from],
    ["punch_time", "<=", to],
  ];
}
