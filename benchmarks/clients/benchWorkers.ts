// The bench's RQ workers for the history benchmark's processing runs: how many serve the default queue, extra
// ones started for a run and stopped after it, and the site's `biometric_sync_processing_jobs` set to match, so
// that one run compares 1, 2, 4 workers side by side on the same site. Asserts nothing.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import path from "node:path";

const JOBS_KEY = "biometric_sync_processing_jobs";

export interface BenchWorkers {
  /** RQ workers registered for this bench (any queue). */
  count(): number;
  /** Runs `fn` with `workers` RQ workers and as many processing jobs; the site config as it was after. */
  withWorkers<T>(workers: number, fn: () => Promise<T>): Promise<T>;
  /** The processing jobs the site runs side by side in the current withWorkers (its own partition_count: one
   * per CPU at most). */
  jobs(): number;
  /** Runs Python with the bench's RQ queue connection as `queue` (from sites/common_site_config.json); returns
   * what it printed. */
  withQueue(code: string): string;
}

export function benchWorkers(bench: string, site: string, log: (line: string) => void): BenchWorkers {
  const python = path.join(bench, "env", "bin", "python");
  const sites = path.join(bench, "sites");
  let jobs = 1;
  const frappe = (...args: string[]): string =>
    execFileSync(python, ["-m", "frappe.utils.bench_helper", "frappe", ...args], {
      cwd: sites,
      encoding: "utf8",
    }).trim();
  const withQueue = (code: string): string => {
    const config = path.join(sites, "common_site_config.json");
    const setup =
      "import json\nfrom redis import Redis\n" +
      `queue = Redis.from_url(json.load(open(${JSON.stringify(config)}))["redis_queue"])\n`;
    return execFileSync(python, ["-c", setup + code], { encoding: "utf8" }).trim();
  };
  const count = (): number =>
    Number(withQueue("from rq import Worker\nprint(len(Worker.all(connection=queue)))"));

  async function untilCount(wanted: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (count() !== wanted) {
      if (Date.now() > deadline) throw new Error(`the bench did not reach ${wanted} RQ workers in 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async function withWorkers<T>(workers: number, fn: () => Promise<T>): Promise<T> {
    const running = count();
    if (running > workers) {
      throw new Error(
        `the bench already runs ${running} RQ workers: start it with fewer to measure ${workers}`,
      );
    }
    const logFile = openSync(path.join(bench, "logs", "biometric_sync-benchmark-workers.log"), "a");
    const extra: ChildProcess[] = [];
    for (let i = running; i < workers; i++) {
      extra.push(
        spawn(python, ["-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "default"], {
          cwd: sites,
          stdio: ["ignore", logFile, logFile],
        }),
      );
    }
    const configPath = path.join(sites, site, "site_config.json");
    const before = (JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>)[JOBS_KEY];
    frappe("--site", site, "set-config", JOBS_KEY, String(workers));
    try {
      await untilCount(workers);
      // bench execute prints the function's return value last.
      const out = frappe("--site", site, "execute", "biometric_sync.ingest.tasks.partition_count");
      jobs = Number(out.split("\n").at(-1));
      log(`${workers} RQ worker(s) (${extra.length} started for this run), ${jobs} processing job(s)`);
      return await fn();
    } finally {
      // Frappe's set-config removes a key set to "None".
      frappe(
        "--site",
        site,
        "set-config",
        JOBS_KEY,
        before === undefined ? "None" : typeof before === "string" ? before : JSON.stringify(before),
      );
      for (const child of extra) child.kill("SIGTERM"); // RQ's warm shutdown: the job in hand finishes
      await untilCount(running).catch((error: unknown) => log(String(error)));
    }
  }

  return { count, withWorkers, jobs: () => jobs, withQueue };
}
