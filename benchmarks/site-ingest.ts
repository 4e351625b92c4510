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
// (the site's default company), BENCH_TIMEOUT_S (1800: give up waiting for processing).
// Employees BENCH0001..BENCHnnnn (attendance_device_id = employee id) are created on the first run and reused.
// Every run uses fresh punch times (a random day range in the past), so runs never collide with each other.
import { renderTable } from "../sidecar/src/cli/table.js";
import {
  BATCH,
  CONCURRENCY,
  DEVICE,
  EMPLOYEES,
  PUNCHES,
  SIDECAR,
  SINGLE,
  URL_,
  checkinsBetween,
  ensureEmployees,
  log,
  makePunches,
  postOneByOne,
  pushAll,
  pushStats,
  tickSummary,
  untilProcessed,
  watchTicks,
} from "./clients/siteBench.js";

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
    `staged ${staged.created} new (+${staged.other} other) in ${staged.seconds.toFixed(2)} s, ${pushStats.retries} batches retried`,
  );
  const { doneAt, counts } = await untilProcessed(batchedFrom, batchedTo);
  const e2eSeconds = (doneAt - e2eStart) / 1000;
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
  const single = await postOneByOne(singles, singleDevice);
  const singleFailures = SINGLE - single.ok;
  const singleSeconds = single.seconds;
  log(`one by one: ${single.ok} checkins in ${singleSeconds.toFixed(2)} s (${singleFailures} failed)`);

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
