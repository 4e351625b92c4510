// npx tsx benchmarks/site-history.ts — NEEDS A REAL FRAPPE BENCH (ERPNext + HRMS + biometric_sync, a worker running).
//
// Issue 12: does the site stay fast with years of history? In one run, against one site:
//   1. history (setup, loaded once in bulk, then reused): HISTORY_EMPLOYEES employees (default 500, the
//      benchmark's BENCH0001.. ones), HISTORY_DAYS working days back from HISTORY_END (730 days, 4 punches a
//      working day: about a million Employee Checkins) and the same number of Processed Biometric Punches linked
//      to them, spread over 10 devices. Loaded with INSERT … SELECT through the mariadb client, with the site's own
//      database credentials (BSYNC_BENCH/sites/BSYNC_SITE/site_config.json), then ANALYZE TABLE.
//   2. with the app's index on Employee Checkin (employee, time): BENCH_PUNCHES (20,000) new punches through
//      push_punches, staging and processing timed, and HRMS's one-by-one add_log_based_on_employee_field on a
//      sample (BENCH_SINGLE, default 1,000), on the same site;
//   3. without that index (dropped for the run, restored after): the same with BENCH_PUNCHES_NO_INDEX (1,000:
//      without the index each chunk's duplicate check reads every checkin, 80 s a chunk on 3 million);
//   4. processing alone: BENCH_BACKLOG (60,000) punches staged while the bench's RQ workers are held (each
//      busy with a job waiting on a Redis list), then released; the time until none is Pending, once for each of
//      BENCH_WORKERS (RQ workers and as many processing jobs, at most one per CPU; default "1,2,1,2,1,2": runs
//      vary by a third here, so each count's median is compared; the workers the bench lacks are started for the
//      run and stopped after it, so start the bench with one worker); with each run, how many of this machine's
//      CPUs were busy meanwhile (/proc/stat: workers, MariaDB and the rest), which says whether the run was bound
//      by the CPUs;
//   5. the HR page: each api.ui call and list the page makes, median of 5 (ms);
//   6. the plans MariaDB chooses for the hot queries on these tables (EXPLAIN).
// Prints figures and ratios; asserts nothing. Variables: those of site-ingest.ts, plus BSYNC_BENCH and BSYNC_SITE
// (as for the Frappe tests). Takes a while: the history load is 5-15 minutes on 2 cores (once), the one-by-one
// samples a few. BENCH_BACKLOG_ONLY=1 runs step 4 alone (to compare workers quickly, after a full run).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderTable } from "../sidecar/src/cli/table.js";
import {
  DEVICE,
  EMPLOYEES,
  PUNCHES,
  SIDECAR,
  URL_,
  admin,
  checkinsBetween,
  ensureEmployees,
  env,
  log,
  makePunches,
  need,
  num,
  postOneByOne,
  pendingBetween,
  pushAll,
  seconds,
  untilProcessed,
  userId,
} from "./clients/siteBench.js";
import { benchWorkers } from "./clients/benchWorkers.js";
import { coresBusy, cpuTicks } from "./clients/cpuLoad.js";

const BENCH = need("BSYNC_BENCH");
const SITE = need("BSYNC_SITE");
const HISTORY_DAYS = num("HISTORY_DAYS", 730);
const HISTORY_END = env.HISTORY_END ?? "2026-06-30";
const NO_INDEX_PUNCHES = num("BENCH_PUNCHES_NO_INDEX", 1_000);
// Three times step 2's punches: 20,000 took two workers 5 s on a million checkins, so the half second from the
// release to the jobs' start and a job's setup and last watermark move were a tenth of what was compared.
const BACKLOG = num("BENCH_BACKLOG", 60_000);
const BACKLOG_ONLY = env.BENCH_BACKLOG_ONLY === "1";
const SINGLE = num("BENCH_SINGLE", 1_000);
const WORKER_COUNTS = (env.BENCH_WORKERS ?? "1,2,1,2,1,2").split(",").map((n) => {
  const count = Number(n);
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_WORKERS: ${n} is not a worker count`);
  return count;
});
const HISTORY_DEVICES = 10;
const CHECKIN_INDEX = "bsync_employee_time";

const siteConfig = JSON.parse(readFileSync(path.join(BENCH, "sites", SITE, "site_config.json"), "utf8")) as {
  db_name: string;
  db_password: string;
  db_host?: string;
  db_port?: number;
};

/** SQL through the mariadb client as the site's own database user; returns the tab-separated rows. */
function sql(statement: string): string[][] {
  const out = execFileSync(
    "mariadb",
    [
      "-h",
      siteConfig.db_host ?? "127.0.0.1",
      "-P",
      String(siteConfig.db_port ?? 3306),
      "-u",
      siteConfig.db_name,
      `-p${siteConfig.db_password}`,
      "-N",
      "-B",
      siteConfig.db_name,
      "-e",
      statement,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return out
    .split("\n")
    .filter((line) => line.length)
    .map((line) => line.split("\t"));
}

const quote = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

async function ensureHistoryDevices(): Promise<string[]> {
  const names = Array.from({ length: HISTORY_DEVICES }, (_, i) => `History Gate ${i}`);
  for (const name of names) {
    const exists = await admin.call<number>("frappe.client.get_count", {
      doctype: "Biometric Device",
      filters: [["name", "=", name]],
    });
    if (exists) continue;
    await admin.call("frappe.client.insert", {
      doc: {
        doctype: "Biometric Device",
        device_name: name,
        driver: "zk",
        host: "192.0.2.60",
        port: 4370,
        sidecar: SIDECAR,
        enabled: 0,
        time_zone: "Asia/Kolkata",
      },
    });
  }
  return names;
}

async function loadHistory(): Promise<void> {
  const start = performance.now();
  const employees = await admin.call<{ name: string; employee_name: string; attendance_device_id: string }[]>(
    "frappe.client.get_list",
    {
      doctype: "Employee",
      filters: [["attendance_device_id", "like", "BENCH%"]],
      fields: ["name", "employee_name", "attendance_device_id"],
      limit_page_length: 0,
    },
  );
  const wanted = new Set(Array.from({ length: EMPLOYEES }, (_, i) => userId(i)));
  const chosen = employees.filter((e) => wanted.has(e.attendance_device_id));
  const already = Number(
    sql("select count(*) from `tabEmployee Checkin` where name like 'hist-ci-%'")[0]![0],
  );
  const expected = Number(
    sql(
      `select count(*) * 4 * ${chosen.length} from seq_1_to_${HISTORY_DAYS} d ` +
        `where weekday(date_sub(${quote(HISTORY_END)}, interval d.seq day)) < 5`,
    )[0]![0],
  );
  if (already >= expected) {
    log(`history already loaded: ${already} Employee Checkins`);
    return;
  }
  const devices = await ensureHistoryDevices();
  const values = chosen
    .map((e, i) => `(${i}, ${quote(e.name)}, ${quote(e.employee_name)}, ${quote(e.attendance_device_id)})`)
    .join(",\n");
  // One row per employee × working day × punch (08:00, 12:30, 13:15, 17:30 plus the employee's own seconds).
  const rows = `from bench_emp e join seq_1_to_${HISTORY_DAYS} d join seq_1_to_4 p
    where weekday(date_sub(${quote(HISTORY_END)}, interval d.seq day)) < 5`;
  const time = `timestamp(date_sub(${quote(HISTORY_END)}, interval d.seq day)) + interval
    (elt(p.seq, 28800, 45000, 47700, 63000) + e.i % 600) second`;
  // Named as the app names a punch (biometric_sync/ingest/uid.py): its time, then sha256(device|user id|time).
  const device = `elt(1 + e.i % ${HISTORY_DEVICES}, ${devices.map(quote).join(", ")})`;
  const uid = `sha2(concat(${device}, '|', e.uid, '|', date_format(${time}, '%Y-%m-%d %H:%i:%s')), 256)`;
  const key = `concat(date_format(${time}, '%Y%m%d%H%i%s'), '-', ${uid})`;
  sql(`
    create temporary table bench_emp (i int primary key, name varchar(140), employee_name varchar(140),
      uid varchar(140));
    insert into bench_emp values ${values};
    insert ignore into \`tabEmployee Checkin\` (name, employee, employee_name, log_type, time, device_id,
      skip_auto_attendance, creation, modified, owner, modified_by, docstatus, idx)
    select concat('hist-ci-', e.i, '-', d.seq, '-', p.seq), e.name, e.employee_name,
      if(p.seq % 2 = 1, 'IN', 'OUT'), ${time}, elt(1 + e.i % ${HISTORY_DEVICES}, ${devices.map(quote).join(", ")}),
      0, ${time}, ${time}, 'Administrator', 'Administrator', 0, 0
    ${rows};
    insert ignore into \`tabBiometric Punch\` (name, punch_uid, status, device, device_user_id, punch_time,
      site_time, state, direction, raw, employee, employee_name, employee_checkin, reason, creation, modified,
      owner, modified_by, docstatus, idx)
    select ${key}, ${uid}, 'Processed', ${device}, e.uid, ${time}, ${time}, if(p.seq % 2 = 1, 0, 1),
      if(p.seq % 2 = 1, 'IN', 'OUT'), concat(e.uid, '\t', ${time}, '\t', if(p.seq % 2 = 1, 0, 1), '\t1'), e.name,
      e.employee_name, concat('hist-ci-', e.i, '-', d.seq, '-', p.seq), 'history', ${time}, ${time},
      'Administrator', 'Administrator', 0, 0
    ${rows};
    analyze table \`tabEmployee Checkin\`, \`tabBiometric Punch\`;`);
  const loaded = Number(sql("select count(*) from `tabEmployee Checkin` where name like 'hist-ci-%'")[0]![0]);
  log(`loaded ${loaded} Employee Checkins and as many staged punches in ${seconds(start).toFixed(0)} s`);
}

interface Leg {
  label: string;
  staged: number;
  stagingSeconds: number;
  checkins: number;
  e2eSeconds: number;
  single: { ok: number; seconds: number };
}

/** New punches after the history (fresh days per run), batched and one by one. */
async function leg(label: string, count: number, offsetDays: number): Promise<Leg> {
  // Random days far from other runs' (a window shared with an earlier run would count its checkins too).
  const day = 86_400_000;
  const base =
    Date.parse(`${HISTORY_END}T00:00:00Z`) + (offsetDays + Math.floor(Math.random() * 30_000)) * day;
  const batched = makePunches(count, base);
  const singles = makePunches(SINGLE, base + Math.ceil((count * 37_000) / day + 1) * day);
  const from = batched[0]!.time;
  const to = batched[batched.length - 1]!.time;
  const start = performance.now();
  const staged = await pushAll(batched);
  const { doneAt } = await untilProcessed(from, to);
  const e2eSeconds = (doneAt - start) / 1000;
  const checkins = await checkinsBetween(from, to, DEVICE);
  const single = await postOneByOne(singles, `${DEVICE} (one by one)`);
  log(
    `${label}: staged ${staged.created} in ${staged.seconds.toFixed(1)} s, ${checkins} checkins after ` +
      `${e2eSeconds.toFixed(1)} s; one by one ${single.ok} in ${single.seconds.toFixed(1)} s`,
  );
  return { label, staged: staged.created, stagingSeconds: staged.seconds, checkins, e2eSeconds, single };
}

const workers = benchWorkers(BENCH, SITE, log);
const withQueue = (code: string): string => workers.withQueue(code);

// Holding the workers: each takes a job that waits for a token on a Redis list, so the punches' processing jobs
// queue up behind them; the release pushes one token per worker and every worker takes its processing job
// within milliseconds, as workers waiting on the queue do on a real site. RQ's suspend flag, used before, let
// each worker sleep a second between looks at the flag: every run started 0 to 1 s late, and the two workers of
// a two-worker run up to a second apart (one job running alone meanwhile), out of a run of about 11 s.
const HELD_KEY = "biometric_sync:benchmark:held";
const RELEASE_KEY = "biometric_sync:benchmark:release";
// A held worker lets go by itself after this long, should the benchmark stop before releasing it.
const HOLD_LIMIT_S = 900;

async function holdWorkers(): Promise<void> {
  const held = workers.count();
  const python = path.join(BENCH, "env", "bin", "python");
  const config = path.join(BENCH, "sites", "common_site_config.json");
  // What each held worker runs (as a subprocess, so that the job itself needs nothing of this benchmark).
  const wait =
    "import json\nfrom redis import Redis\n" +
    `r = Redis.from_url(json.load(open(${JSON.stringify(config)}))["redis_queue"])\n` +
    `r.incr(${JSON.stringify(HELD_KEY)})\nr.blpop([${JSON.stringify(RELEASE_KEY)}], ${HOLD_LIMIT_S})`;
  const command = JSON.stringify([python, "-c", wait]); // a JSON list of strings is a Python list too
  withQueue(
    [
      "from rq import Queue, Worker",
      `queue.delete(${JSON.stringify(HELD_KEY)}, ${JSON.stringify(RELEASE_KEY)})`,
      // Every worker serves the default queue (the bench's own and those withWorkers starts).
      "default = next(q for w in Worker.all(connection=queue) for q in w.queue_names() if q.endswith('default'))",
      `for _ in range(${held}):`,
      `    Queue(default, connection=queue).enqueue('subprocess.call', ${command}, job_timeout=${HOLD_LIMIT_S + 60})`,
    ].join("\n"),
  );
  const deadline = Date.now() + 60_000;
  while (Number(withQueue(`print(int(queue.get(${JSON.stringify(HELD_KEY)}) or 0))`)) < held) {
    if (Date.now() > deadline) throw new Error(`the bench's ${held} RQ worker(s) were not all held in 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Lets every held worker go (and resumes RQ, which an earlier version of this benchmark suspended). */
const releaseWorkers = (): string =>
  withQueue(
    "from rq.suspension import resume\nresume(queue)\n" +
      `queue.rpush(${JSON.stringify(RELEASE_KEY)}, *["go"] * max(1, int(queue.get(${JSON.stringify(HELD_KEY)}) or 0)))`,
  );

interface Backlog {
  workers: number;
  /** Processing jobs the site ran side by side (at most one per CPU, whatever the workers). */
  jobs: number;
  /** Staging alone: the workers were held meanwhile. */
  stagingSeconds: number;
  checkins: number;
  seconds: number;
  /** This machine's CPUs busy on average from the release to the last punch (undefined off Linux). */
  cores: number | undefined;
}

/** Processing alone: punches staged while the workers are held, then timed from their release. */
async function backlog(offsetDays: number): Promise<Backlog> {
  const day = 86_400_000;
  const base =
    Date.parse(`${HISTORY_END}T00:00:00Z`) + (offsetDays + Math.floor(Math.random() * 30_000)) * day;
  const punches = makePunches(BACKLOG, base);
  const from = punches[0]!.time;
  const to = punches[punches.length - 1]!.time;
  await holdWorkers();
  let start: number;
  let ticks: ReturnType<typeof cpuTicks>;
  let staged: Awaited<ReturnType<typeof pushAll>>;
  let pendingAtRelease: number;
  try {
    staged = await pushAll(punches);
  } finally {
    // Only what was Pending at the release is counted (should a worker the bench gained meanwhile have taken
    // some of it during the staging).
    pendingAtRelease = await pendingBetween(from, to, DEVICE);
    releaseWorkers();
    start = performance.now();
    ticks = cpuTicks();
  }
  const { doneAt, cpuAt } = await untilProcessed(from, to);
  const cores = coresBusy(ticks, cpuAt);
  const secondsTaken = (doneAt - start) / 1000;
  const checkins = await checkinsBetween(from, to, DEVICE);
  log(
    `backlog: ${checkins} checkins, ${pendingAtRelease} of them processed in ${secondsTaken.toFixed(1)} s ` +
      `after the release, with ${workers.count()} RQ worker(s)` +
      (cores === undefined ? "" : `, ${cores.toFixed(2)} of ${os.cpus().length} CPUs busy meanwhile`),
  );
  return {
    workers: workers.count(),
    jobs: workers.jobs(),
    stagingSeconds: staged.seconds,
    checkins: pendingAtRelease,
    seconds: secondsTaken,
    cores,
  };
}

/** Processing alone with each of WORKER_COUNTS, one after the other on the same site. */
async function backlogs(offsetDays: number): Promise<Backlog[]> {
  const runs: Backlog[] = [];
  for (const [i, count] of WORKER_COUNTS.entries()) {
    runs.push(await workers.withWorkers(count, () => backlog(offsetDays + i * 40)));
  }
  return runs;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Each worker count's median over its runs, and its ratio to the first count's median: one run of each varies by
 * a third on this machine (a shared VM), so BENCH_WORKERS repeats them, alternating (the default "1,2,1,2,1,2").
 */
function backlogSummary(runs: Backlog[]): string {
  const rate = (run: Backlog): number => run.checkins / run.seconds;
  const counts = [...new Set(runs.map((run) => run.workers))];
  const medians = counts.map((count) => median(runs.filter((run) => run.workers === count).map(rate)));
  return renderTable(
    ["RQ workers", "runs", "median checkins /s", `÷ ${counts[0]} worker(s)`],
    counts.map((count, i) => [
      count,
      runs.filter((run) => run.workers === count).length,
      Math.round(medians[i]!),
      Number((medians[i]! / medians[0]!).toFixed(2)),
    ]),
  );
}

function backlogTable(runs: Backlog[]): string {
  return renderTable(
    [
      "RQ workers",
      "processing jobs",
      "Pending at release",
      "seconds",
      "checkins /s",
      `CPUs busy (of ${os.cpus().length})`,
    ],
    runs.map((run) => [
      run.workers,
      run.jobs,
      run.checkins,
      Number(run.seconds.toFixed(1)),
      Math.round(run.checkins / run.seconds),
      run.cores === undefined ? "n/a" : Number(run.cores.toFixed(2)),
    ]),
  );
}

async function pageTimings(): Promise<(string | number)[][]> {
  const calls: [string, string, Record<string, unknown>][] = [
    ["Overview", "biometric_sync.api.ui.overview", {}],
    ["Devices", "biometric_sync.api.ui.devices", {}],
    ["Device", "biometric_sync.api.ui.device", { name: "History Gate 0" }],
    ["Sidecars", "biometric_sync.api.ui.sidecars", {}],
    ["Unmapped", "biometric_sync.api.ui.unmapped_groups", {}],
    ["Map: find employees", "biometric_sync.api.ui.find_employees", { txt: "Bench" }],
    ["Punches: newest 50", "biometric_sync.api.ui.punches", { page_length: 50 }],
    // As the page asks: counted up to 10,001 rows ("10,000+"), not every punch of the years.
    [
      "Punches: count",
      "frappe.desk.reportview.get_count",
      { doctype: "Biometric Punch", filters: [], limit: 10_001 },
    ],
    ["Punches: one device", "biometric_sync.api.ui.punches", { device: "History Gate 3", page_length: 50 }],
    [
      "Punches: one employee's user id",
      "biometric_sync.api.ui.punches",
      { user_id: userId(7), page_length: 50 },
    ],
    [
      "Sync logs: newest 50",
      "frappe.client.get_list",
      {
        doctype: "Biometric Sync Log",
        fields: ["name", "device", "started", "status"],
        order_by: "started desc, name desc",
        limit_page_length: 50,
      },
    ],
  ];
  const rows: (string | number)[][] = [];
  for (const [label, method, args] of calls) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await admin.call(method, args);
      times.push(performance.now() - start);
    }
    rows.push([label, method.replace("biometric_sync.api.", ""), Math.round(median(times))]);
  }
  return rows;
}

function plans(): string[][] {
  const queries: [string, string][] = [
    [
      "claim: oldest Pending",
      "select name from `tabBiometric Punch` where status = 'Pending' order by site_time, name limit 4000",
    ],
    [
      "watermark",
      "select min(site_time) from `tabBiometric Punch` where device = 'History Gate 1' and status = 'Pending'",
    ],
    [
      "unmapped groups",
      "select device_user_id, device, site_time from `tabBiometric Punch` where status = 'Unmapped' limit 20000",
    ],
    ["punches page", "select name from `tabBiometric Punch` order by site_time desc, name desc limit 50"],
    [
      "punches of a device (the page's ui.punches)",
      "select name, site_time, status from `tabBiometric Punch` force index (bsync_device_site_time) where device = 'History Gate 3' order by site_time desc, name desc limit 50",
    ],
    [
      "punches of one device user id (ui.punches)",
      "select name from `tabBiometric Punch` where device_user_id = 'BENCH0008' order by site_time desc, name desc limit 50",
    ],
    [
      "retention",
      "select name from `tabBiometric Punch` where creation < '2025-01-01' and status in ('Processed', 'Duplicate', 'Skipped') order by creation limit 10000",
    ],
    [
      "HRMS duplicate check",
      `select name from \`tabEmployee Checkin\` where employee = (select name from tabEmployee where attendance_device_id = 'BENCH0007') and time = '2026-01-05 08:00:07' and log_type = 'IN'`,
    ],
  ];
  return queries.map(([label, query]) => {
    const row = sql(`explain ${query}`)[0]!;
    // id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra
    return [label, row[3] ?? "", row[5] ?? "", row[8] ?? "", row[9] ?? ""];
  });
}

async function main(): Promise<void> {
  log(`site ${URL_} (${SITE}), sidecar "${SIDECAR}", device "${DEVICE}"`);
  releaseWorkers(); // an earlier run stopped while it held them
  await ensureEmployees();
  await loadHistory();
  const sizes = sql(
    "select (select count(*) from `tabEmployee Checkin`), (select count(*) from `tabBiometric Punch`)",
  )[0]!;
  log(`site holds ${sizes[0]} Employee Checkins and ${sizes[1]} staged punches`);
  if (BACKLOG_ONLY) {
    const runs = await backlogs(6000);
    console.log(`\nProcessing alone (punches staged while the workers were held):\n`);
    console.log(backlogTable(runs));
    console.log(`\n${backlogSummary(runs)}`);
    return;
  }

  const withIndex = await leg("with the index", PUNCHES, 30);
  sql(`alter table \`tabEmployee Checkin\` drop index if exists \`${CHECKIN_INDEX}\``);
  let withoutIndex: Leg;
  try {
    withoutIndex = await leg("without the index", NO_INDEX_PUNCHES, 3000);
  } finally {
    sql(`alter table \`tabEmployee Checkin\` add index if not exists \`${CHECKIN_INDEX}\` (employee, time)`);
  }
  const alone = await backlogs(6000);
  const page = await pageTimings();
  const plan = plans();

  const rate = (n: number, s: number) => Math.round(n / s);
  const pool = Math.round(Number(sql("select @@innodb_buffer_pool_size")[0]![0]) / 1048576);
  console.log(
    `\nSite with history (${sizes[0]} checkins, ${sizes[1]} staged punches), ${URL_}; ` +
      `MariaDB's buffer pool ${pool} MB (the figures depend on it once the tables outgrow it)\n`,
  );
  console.log(
    renderTable(
      ["run", "staging /s", "processing /s (end to end)", "one by one /s", "end to end ÷ one by one"],
      [withIndex, withoutIndex].map((l) => [
        l.label,
        rate(l.staged, l.stagingSeconds),
        rate(l.checkins, l.e2eSeconds),
        rate(l.single.ok, l.single.seconds),
        Number((l.checkins / l.e2eSeconds / (l.single.ok / l.single.seconds)).toFixed(1)),
      ]),
    ),
  );
  console.log(
    `\nProcessing alone (punches staged while the workers were held; staging alone ` +
      `${rate(BACKLOG, alone[0]!.stagingSeconds)} punches/s):\n`,
  );
  console.log(backlogTable(alone));
  console.log(`\n${backlogSummary(alone)}`);
  console.log(
    `\nGoals: processing ≥ 150/s with one worker, staging ≥ 2,000/s, end to end ≥ 10× one by one (with the index);` +
      ` 2 workers ≥ 1.5× one.`,
  );
  console.log("\nThe HR page on this site (median of 5 calls, ms; goal ≤ 300):\n");
  console.log(renderTable(["page", "call", "ms"], page));
  console.log("\nQuery plans on these tables (EXPLAIN):\n");
  console.log(renderTable(["query", "access", "index", "rows examined (estimate)", "extra"], plan));
}

await main();
