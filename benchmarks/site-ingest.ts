// npx tsx benchmarks/site-ingest.ts — NEEDS A REAL FRAPPE BENCH (ERPNext + HRMS + biometric_sync, a worker running).
//
// The site side of issue 3's benchmark, in one run against one site:
//   batched:     N punches for E employees through push_punches in batches of B (as the sidecar user), timing
//                the HTTP calls (punches/s into staging), then polling Biometric Punch counts by status until
//                none of this run's punches is Pending (checkins/s out of processing, end to end);
//   one by one:  the same number of punches (or a sample, BENCH_SINGLE) posted one request per punch to HRMS's
//                add_log_based_on_employee_field (as the admin), which is what the existing tools do.
// While processing runs it watches the app's per-minute tick (Scheduled Job Type last_execution): with one RQ
// worker a backlog must not starve it (the processing job is time-boxed). Enable the site's scheduler first.
// It prints figures and the end-to-end ratio; it asserts nothing.
//
// Configured by the contract suite's variables (test/contract/site.contract.test.ts):
//   BSYNC_CONTRACT_URL, BSYNC_CONTRACT_SITE (optional: the site's name, sent as X-Frappe-Site-Name),
//   BSYNC_CONTRACT_KEY / _SECRET (the sidecar's API user), BSYNC_CONTRACT_SIDECAR,
//   BSYNC_CONTRACT_DEVICE (a Biometric Device of that sidecar; best a disabled one, so nothing pulls it),
//   BSYNC_CONTRACT_ADMIN_KEY / _SECRET (a System Manager: creates employees, reads counts, posts one by one).
// Optional: BENCH_PUNCHES (20000), BENCH_EMPLOYEES (500), BENCH_BATCH (500), BENCH_SINGLE (= BENCH_PUNCHES;
// set e.g. 2000 to time a sample), BENCH_CONCURRENCY (1: batches in flight at once), BENCH_COMPANY
// (_Test Company), BENCH_TIMEOUT_S (1800: give up waiting for processing).
// Employees BENCH0001..BENCHnnnn (attendance_device_id = employee id) are created on the first run and reused.
// Every run uses fresh punch times (a random day range in the past), so runs never collide with each other.
import { renderTable } from "../sidecar/src/cli/table.js";
import { epochMsToNaive } from "../sidecar/src/domain/naiveTime.js";
import { makePunch, type Punch } from "../sidecar/src/domain/punch.js";
import { isSidecarError } from "../sidecar/src/errors.js";
import { SiteClient } from "../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES, type PushItemResult } from "../sidecar/src/site/uploader.js";

const env = process.env;
if (!env.BSYNC_CONTRACT_URL) {
  console.log(
    "site-ingest benchmark: needs a real bench. Set BSYNC_CONTRACT_URL, BSYNC_CONTRACT_KEY, BSYNC_CONTRACT_SECRET,\n" +
      "BSYNC_CONTRACT_SIDECAR, BSYNC_CONTRACT_DEVICE, BSYNC_CONTRACT_ADMIN_KEY and BSYNC_CONTRACT_ADMIN_SECRET " +
      "(see the header of benchmarks/site-ingest.ts). Nothing was run.",
  );
  process.exit(0);
}
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const num = (name: string, fallback: number): number => {
  const value = Number(env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return Math.floor(value);
};

const URL_ = need("BSYNC_CONTRACT_URL");
const SIDECAR = need("BSYNC_CONTRACT_SIDECAR");
const DEVICE = need("BSYNC_CONTRACT_DEVICE");
const PUNCHES = num("BENCH_PUNCHES", 20_000);
const EMPLOYEES = num("BENCH_EMPLOYEES", 500);
const BATCH = Math.min(1000, num("BENCH_BATCH", 500));
const SINGLE = Math.min(PUNCHES, num("BENCH_SINGLE", PUNCHES));
const CONCURRENCY = num("BENCH_CONCURRENCY", 1);
const COMPANY = env.BENCH_COMPANY ?? "_Test Company";
const TIMEOUT_S = num("BENCH_TIMEOUT_S", 1800);

const SITE_NAME = env.BSYNC_CONTRACT_SITE;
const sidecar = new SiteClient({
  url: URL_,
  ...(SITE_NAME && { siteName: SITE_NAME }),
  apiKey: need("BSYNC_CONTRACT_KEY"),
  apiSecret: need("BSYNC_CONTRACT_SECRET"),
  timeoutMs: 120_000,
});
const admin = new SiteClient({
  url: URL_,
  ...(SITE_NAME && { siteName: SITE_NAME }),
  apiKey: need("BSYNC_CONTRACT_ADMIN_KEY"),
  apiSecret: need("BSYNC_CONTRACT_ADMIN_SECRET"),
  timeoutMs: 120_000,
});

const seconds = (fromMs: number): number => (performance.now() - fromMs) / 1000;
const log = (line: string): void => console.log(`[site-ingest] ${line}`);
const userId = (i: number): string => `BENCH${String(i + 1).padStart(4, "0")}`;

async function ensureEmployees(): Promise<void> {
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
  const start = performance.now();
  for (let i = 0; i < missing.length; i += 100) {
    const docs = missing.slice(i, i + 100).map((id) => ({
      doctype: "Employee",
      first_name: `Bench ${id}`,
      gender: "Female",
      date_of_birth: "1990-01-01",
      date_of_joining: "2020-01-01",
      company: COMPANY,
      status: "Active",
      attendance_device_id: id,
    }));
    await admin.call("frappe.client.insert_many", { docs });
  }
  log(`created ${missing.length} employees in ${seconds(start).toFixed(1)} s`);
}

/** `count` punches from `startMs`, 37 s apart, round-robin over the employees, alternating IN and OUT. */
function makePunches(count: number, startMs: number): Punch[] {
  return Array.from({ length: count }, (_, i) =>
    makePunch({
      device: DEVICE,
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

/** This run's punches (device + punch_time window) by status. */
async function countsByStatus(from: string, to: string): Promise<Map<string, number>> {
  const rows = await admin.call<StatusCount[]>("frappe.client.get_list", {
    doctype: "Biometric Punch",
    filters: [
      ["device", "=", DEVICE],
      ["punch_time", ">=", from],
      ["punch_time", "<=", to],
    ],
    fields: ["status", "count(name) as n"],
    group_by: "status",
    limit_page_length: 0,
  });
  return new Map(rows.map((row) => [row.status, Number(row.n)]));
}

async function checkinsBetween(from: string, to: string, deviceId: string): Promise<number> {
  return admin.call<number>("frappe.client.get_count", {
    doctype: "Employee Checkin",
    filters: [
      ["device_id", "=", deviceId],
      ["time", ">=", from],
      ["time", "<=", to],
    ],
  });
}

let retries = 0;

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
      retries++;
      log(`batch retried after ${error.code}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

async function pushAll(punches: Punch[]): Promise<{ seconds: number; created: number; other: number }> {
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
function watchTicks(): { stop: () => Promise<string[]> } {
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

function tickSummary(runs: string[], processingSeconds: number): string {
  const times = runs.map((run) => Date.parse(run.replace(" ", "T") + "Z"));
  let longest = 0;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i]! - times[i - 1]!) / 1000);
  return (
    `the per-minute tick ran ${runs.length} times during ${(processingSeconds / 60).toFixed(1)} min of ` +
    `processing; longest gap between runs ${longest.toFixed(0)} s` +
    (runs.length < 2 ? " (is the site's scheduler enabled? bench --site S enable-scheduler)" : "")
  );
}

async function main(): Promise<void> {
  log(`site ${URL_}, sidecar "${SIDECAR}", device "${DEVICE}"`);
  log(
    `${PUNCHES} punches, ${EMPLOYEES} employees, batches of ${BATCH} (${CONCURRENCY} in flight); one by one: ${SINGLE}${SINGLE < PUNCHES ? " (a sample)" : ""}`,
  );
  await ensureEmployees();

  // Fresh, disjoint time windows for this run: batched first, then the one-by-one posts.
  const day = 86_400_000;
  const base = Date.UTC(2015, 0, 1) + Math.floor(Math.random() * 3000) * day;
  const batched = makePunches(PUNCHES, base);
  const singleBase = base + Math.ceil((PUNCHES * 37_000) / day + 1) * day;
  const singles = makePunches(SINGLE, singleBase);
  const batchedFrom = batched[0]!.time;
  const batchedTo = batched[batched.length - 1]!.time;

  // 1. Batched: staging (HTTP), then processing until nothing of this run is Pending.
  const e2eStart = performance.now();
  const ticks = watchTicks();
  const staged = await pushAll(batched);
  log(
    `staged ${staged.created} new (+${staged.other} other) in ${staged.seconds.toFixed(2)} s, ${retries} batches retried`,
  );
  let counts = new Map<string, number>();
  const deadline = Date.now() + TIMEOUT_S * 1000;
  for (;;) {
    counts = await countsByStatus(batchedFrom, batchedTo);
    const pending = counts.get("Pending") ?? 0;
    if (pending === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const e2eSeconds = seconds(e2eStart);
  const processingSeconds = e2eSeconds - staged.seconds;
  const tickRuns = await ticks.stop();
  const pendingLeft = counts.get("Pending") ?? 0;
  const checkins = await checkinsBetween(batchedFrom, batchedTo, DEVICE);
  log(
    `processed: ${[...counts].map(([s, n]) => `${s} ${n}`).join(", ")}; ${checkins} Employee Checkins; ` +
      `${e2eSeconds.toFixed(2)} s end to end${pendingLeft ? ` (GAVE UP with ${pendingLeft} still Pending)` : ""}`,
  );

  // 2. One by one through HRMS, as the existing tools post (keep-alive connection: a kind baseline).
  const singleDevice = `${DEVICE} (one by one)`;
  const singleStart = performance.now();
  let singleFailures = 0;
  for (const punch of singles) {
    try {
      await admin.call("hrms.hr.doctype.employee_checkin.employee_checkin.add_log_based_on_employee_field", {
        employee_field_value: punch.user_id,
        timestamp: punch.time,
        device_id: singleDevice,
        log_type: punch.direction,
      });
    } catch {
      singleFailures++;
    }
  }
  const singleSeconds = seconds(singleStart);
  log(
    `one by one: ${SINGLE - singleFailures} checkins in ${singleSeconds.toFixed(2)} s (${singleFailures} failed)`,
  );

  const stagingRate = staged.created / staged.seconds;
  const processingRate = checkins / e2eSeconds;
  const e2eRate = (PUNCHES - pendingLeft) / e2eSeconds;
  const singleRate = (SINGLE - singleFailures) / singleSeconds;
  const row = (what: string, n: number, secs: number, rate: number) => [
    what,
    n,
    Number(secs.toFixed(2)),
    Math.round(rate),
  ];
  console.log(`\nSite ingest benchmark against ${URL_} (a real bench; node ${process.version})\n`);
  console.log(
    renderTable(
      ["path", "count", "seconds", "per second"],
      [
        row(
          `push_punches → staging (HTTP, batches of ${BATCH})`,
          staged.created,
          staged.seconds,
          stagingRate,
        ),
        row(
          "staging → Employee Checkin (after staging ended)",
          checkins,
          processingSeconds,
          checkins / processingSeconds,
        ),
        row("batched end to end: first push → last checkin", checkins, e2eSeconds, processingRate),
        row(
          `one by one: add_log_based_on_employee_field${SINGLE < PUNCHES ? " (sample)" : ""}`,
          SINGLE - singleFailures,
          singleSeconds,
          singleRate,
        ),
      ],
    ),
  );
  console.log(
    `\nend to end, batched / one by one: ${(e2eRate / singleRate).toFixed(1)}x (goal ≥ 10x); ` +
      `staging ${Math.round(stagingRate)} punches/s (goal ≥ 2,000).`,
  );
  console.log(`While staging and processing, ${tickSummary(tickRuns, e2eSeconds)}.`);
  console.log(
    "Both paths end in the same Employee Checkin rows through HRMS; the one-by-one baseline uses a keep-alive " +
      "connection (kinder to it than a new connection per punch).",
  );
}

await main();
