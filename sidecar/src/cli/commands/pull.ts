import path from "node:path";
import { parseNaiveBound, type NaiveDateTime } from "../../domain/naiveTime.js";
import { isValidTimeZone } from "../../domain/timeZone.js";
import type { Punch } from "../../domain/punch.js";
import type { RecordReject } from "../../drivers/driver.js";
import { driverForUrl, type DriverContext } from "../../drivers/registry.js";
import { silentLogger } from "../../logging/logger.js";
import { ConfigError, toSidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { writeFileAtomic } from "../../output/atomicFile.js";
import { loadEmployeeMap, type EmployeeMap } from "../../output/employeeMap.js";
import { checkinImportCsv, punchesCsv, punchesJson, rejectsCsv } from "../../output/punchFiles.js";
import type { SidecarConfig } from "../../config/schema.js";
import { Spool } from "../../spool/spool.js";
import { type ParsedArgs, intOption } from "../args.js";
import { renderTable } from "../table.js";

/** A device to read, as a URL of any family (zk://, hikvision://, essl://, ebioserver://). */
export interface PullSource {
  readonly url: string;
  /** The name stamped on punches, when the config gives one. */
  readonly name: string | null;
  /** The device clock's zone, when the config gives one (else the URL's tz parameter). */
  readonly timeZone: string | null;
}

export interface PullPlan {
  readonly devices: readonly PullSource[];
  readonly since: NaiveDateTime | null;
  readonly until: NaiveDateTime | null;
  readonly out: string | null;
  readonly format: "csv" | "json";
  readonly dryRun: boolean;
  readonly employeeMapFile: string | null;
  readonly siteTimeZone: string | null;
  readonly spoolDir: string;
  readonly timeoutMs: number;
}

/**
 * Checks every pull option at once so the user sees all problems together. Devices come from --device URLs
 * and/or the enabled devices of a --config file (standalone mode), whose spool directory is then the default.
 */
export function planPull(
  args: ParsedArgs,
  cwd = process.cwd(),
  config: SidecarConfig | null = null,
): PullPlan {
  const { values } = args;
  const problems: string[] = [];
  const devices: PullSource[] = (config?.devices ?? [])
    .filter((d) => d.enabled)
    .map((d) => ({ url: d.url, name: d.name, timeZone: d.timeZone ?? null }));
  if (!values.device?.length && devices.length === 0)
    problems.push("--device URL (or --config FILE with devices) is required");
  for (const url of values.device ?? []) devices.push({ url, name: null, timeZone: null });
  // Constructors do no I/O: building each driver once checks every URL, listing all problems together.
  const probe: DriverContext = { logger: silentLogger, timeoutMs: 1000, state: null };
  for (const device of devices) {
    try {
      driverForUrl(device.url, probe);
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
    }
  }
  const bound = (name: "since" | "until"): NaiveDateTime | null => {
    const text = values[name];
    if (text === undefined) return null;
    const parsed = parseNaiveBound(text);
    if (!parsed) problems.push(`--${name} "${text}" is not YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"`);
    return parsed;
  };
  const since = bound("since");
  let until = bound("until");
  if (until && values.until && /^\d{4}-\d{2}-\d{2}$/.test(values.until.trim()))
    until = `${values.until.trim()} 23:59:59` as NaiveDateTime;
  if (since && until && since > until) problems.push(`--since ${since} is after --until ${until}`);
  const out = values.out ?? null;
  const ext = out ? path.extname(out).toLowerCase() : ".csv";
  if (ext !== ".csv" && ext !== ".json") problems.push(`--out "${out}" must end in .csv or .json`);
  if (!out && !values["dry-run"])
    problems.push("--out FILE.csv|FILE.json is required (or --dry-run to only read)");
  const siteTimeZone = values["site-tz"] ?? null;
  if (siteTimeZone && !isValidTimeZone(siteTimeZone))
    problems.push(`--site-tz "${siteTimeZone}" is not an IANA time zone`);
  if (values["employee-map"] && ext === ".json")
    problems.push("--employee-map writes ERPNext's Data Import CSV; use --out FILE.csv");
  const timeoutMs = intOption(values.timeout, "timeout", 100, 600_000, 10_000, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    devices,
    since,
    until,
    out: out ? path.resolve(cwd, out) : null,
    format: ext === ".json" ? "json" : "csv",
    dryRun: values["dry-run"] ?? false,
    employeeMapFile: values["employee-map"] ? path.resolve(cwd, values["employee-map"]) : null,
    siteTimeZone,
    spoolDir: values.spool
      ? path.resolve(cwd, values.spool)
      : (config?.spoolDir ?? path.resolve(cwd, ".biometric-sidecar/spool")),
    timeoutMs,
  };
}

export interface DeviceOutcome {
  readonly label: string;
  /** The `device` stamped on its punches. */
  readonly deviceId: string;
  readonly timeZone: string | null;
  readonly serial: string;
  readonly onDevice: number | string;
  readonly punches: Punch[];
  readonly rejects: RecordReject[];
  readonly seconds: number;
  readonly error: string | null;
}

async function readDevice(source: PullSource, plan: PullPlan, logger: Logger): Promise<DeviceOutcome> {
  const {
    driver,
    label,
    timeZone: urlZone,
  } = driverForUrl(source.url, { logger, timeoutMs: plan.timeoutMs, state: null }, source.name ?? undefined);
  const timeZone = source.timeZone ?? urlZone;
  const started = performance.now();
  try {
    const info = await driver.connect();
    const result = await driver.readPunches({
      window: { ...(plan.since && { since: plan.since }), ...(plan.until && { until: plan.until }) },
    });
    const punches = [...result.punches()];
    return {
      label,
      deviceId: punches[0]?.device ?? source.name ?? label,
      timeZone,
      serial: info.serialNumber ?? "?",
      onDevice: result.deviceRecordCount,
      punches,
      rejects: result.rejects,
      seconds: (performance.now() - started) / 1000,
      error: null,
    };
  } catch (error) {
    const coded = toSidecarError(error);
    return {
      label,
      deviceId: source.name ?? label,
      timeZone,
      serial: "?",
      onDevice: "-",
      punches: [],
      rejects: [],
      seconds: (performance.now() - started) / 1000,
      error: `${coded.code}: ${coded.message}`,
    };
  } finally {
    await driver.disconnect();
  }
}

/**
 * Reads each device, makes the punches durable in the spool, writes the output file(s) atomically, and only
 * then confirms the spool entries. Entries left by an interrupted earlier run are written out too.
 */
export async function runPull(
  plan: PullPlan,
  logger: Logger,
  print: (line: string) => void,
): Promise<number> {
  const employees: EmployeeMap | null = plan.employeeMapFile
    ? await loadEmployeeMap(plan.employeeMapFile)
    : null;
  const outcomes: DeviceOutcome[] = [];
  for (const device of plan.devices) outcomes.push(await readDevice(device, plan, logger));
  const punches = outcomes.flatMap((o) => o.punches);
  const rejects = outcomes.flatMap((o) => o.rejects);
  print(
    renderTable(
      ["device", "serial", "on device", "in window", "rejected", "seconds", "status"],
      outcomes.map((o) => [
        o.label,
        o.serial,
        o.onDevice,
        o.punches.length,
        o.rejects.length,
        Number(o.seconds.toFixed(2)),
        o.error ?? "ok",
      ]),
    ),
  );
  const failed = outcomes.some((o) => o.error !== null);
  if (plan.dryRun || !plan.out) {
    print(`dry run: ${punches.length} punches read, nothing written`);
    return failed ? 1 : 0;
  }
  if (outcomes.every((o) => o.error !== null)) {
    print("no device could be read; nothing written");
    return 1;
  }
  const spool = await Spool.open(plan.spoolDir, { logger });
  try {
    await spool.append(punches);
    const toWrite: { seq: number; punch: Punch }[] = [];
    for await (const entry of spool.pending()) toWrite.push(entry);
    const recovered = toWrite.length - punches.length;
    if (recovered > 0)
      print(`${recovered} punches left in the spool by an earlier interrupted run are included`);
    const all = toWrite.map((e) => e.punch);
    const zones = new Map(outcomes.map((o) => [o.deviceId, o.timeZone]));
    await writeOutputs(plan, all, rejects, employees, zones, print);
    await spool.ack(toWrite.map((e) => e.seq));
  } finally {
    await spool.close();
  }
  return failed ? 1 : 0;
}

async function writeOutputs(
  plan: PullPlan,
  punches: Punch[],
  rejects: RecordReject[],
  employees: EmployeeMap | null,
  zones: ReadonlyMap<string, string | null>,
  print: (line: string) => void,
): Promise<void> {
  const out = plan.out!;
  const base = out.replace(/\.(csv|json)$/i, "");
  if (plan.format === "json") {
    await writeFileAtomic(out, punchesJson(punches, rejects));
  } else if (employees) {
    const result = checkinImportCsv(punches, employees, {
      deviceZone: (device) => zones.get(device) ?? null,
      siteZone: plan.siteTimeZone,
    });
    if (plan.siteTimeZone && punches.some((p) => !zones.get(p.device))) {
      print(
        `note: devices without ?tz= keep their own wall-clock time (no conversion to ${plan.siteTimeZone})`,
      );
    }
    await writeFileAtomic(out, result.csv);
    if (result.unmapped.length) {
      await writeFileAtomic(`${base}.unmapped.csv`, punchesCsv(result.unmapped));
      print(
        `${result.unmapped.length} punches have user ids missing from the employee map: ${base}.unmapped.csv`,
      );
    }
  } else {
    await writeFileAtomic(out, punchesCsv(punches));
  }
  if (rejects.length && plan.format === "csv") {
    await writeFileAtomic(`${base}.rejects.csv`, rejectsCsv(rejects));
    print(
      `${rejects.length} records could not become punches (kept with their raw bytes): ${base}.rejects.csv`,
    );
  }
  print(`wrote ${punches.length} punches to ${out}`);
}
