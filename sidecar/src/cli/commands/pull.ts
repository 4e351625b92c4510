import { isIP } from "node:net";
import path from "node:path";
import { parseNaiveBound, type NaiveDateTime } from "../../domain/naiveTime.js";
import { isValidTimeZone } from "../../domain/timeZone.js";
import type { Punch } from "../../domain/punch.js";
import type { AdmsDevice } from "../../drivers/adms/admsServer.js";
import { isAdmsUrl, parseAdmsUrl } from "../../drivers/adms/admsUrl.js";
import type { DeviceDriver, RecordReject } from "../../drivers/driver.js";
import { driverForUrl, type DriverContext } from "../../drivers/registry.js";
import { silentLogger } from "../../logging/logger.js";
import { ConfigError, toSidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { loadEmployeeMap, type EmployeeMap } from "../../output/employeeMap.js";
import type { SidecarConfig } from "../../config/schema.js";
import { Spool } from "../../spool/spool.js";
import { StateStore } from "../../spool/stateStore.js";
import { UniqueAppender } from "../../spool/uniqueAppender.js";
import { type ParsedArgs, intOption } from "../args.js";
import { renderTable } from "../table.js";
import { AdmsSession } from "./admsSession.js";
import { pendingPunches, writeOutputs } from "./pullOutput.js";

/** A device to read, as a URL of any family (zk://, hikvision://, essl://, ebioserver://, adms://). */
export interface PullSource {
  readonly url: string;
  /** The name stamped on punches, when the config gives one. */
  readonly name: string | null;
  /** The device clock's zone, when the config gives one (else the URL's tz parameter). */
  readonly timeZone: string | null;
}

/** The push server ADMS terminals upload to during a pull. */
export interface AdmsListen {
  readonly host: string;
  readonly port: number;
  /** How long (from the start) a terminal has to contact the server. */
  readonly waitMs: number;
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
  readonly adms: AdmsListen;
}

/** An ADMS source as the push server knows it: the config's name and zone win over the URL's id and tz. */
function admsDeviceOf(source: PullSource): AdmsDevice {
  const parsed = parseAdmsUrl(source.url);
  return {
    serialNumber: parsed.serialNumber,
    deviceName: source.name ?? parsed.deviceName,
    timeZone: source.timeZone ?? parsed.timeZone ?? null,
  };
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
  const serials = new Set<string>();
  for (const device of devices) {
    try {
      if (isAdmsUrl(device.url)) {
        const { serialNumber } = parseAdmsUrl(device.url);
        if (serials.has(serialNumber)) problems.push(`adms://${serialNumber} is listed twice`);
        serials.add(serialNumber);
      } else {
        driverForUrl(device.url, probe);
      }
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
  // A terminal is answered OK for what it uploads and does not send it again: a read that keeps nothing loses it.
  if (values["dry-run"] && devices.some((d) => isAdmsUrl(d.url)))
    problems.push(
      "--dry-run cannot read adms:// terminals: the push server must answer OK for what a terminal uploads, and the terminal then does not send it again, so the punches must be kept (use --out FILE)",
    );
  const admsPort = intOption(values["adms-port"], "adms-port", 1, 65_535, 8081, problems);
  const admsHost = values["adms-host"] ?? "0.0.0.0";
  if (isIP(admsHost) === 0)
    problems.push(`--adms-host "${admsHost}" is not an IP address to listen on (0.0.0.0 = every interface)`);
  const waitSeconds = intOption(values.wait, "wait", 1, 3600, 120, problems);
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
    adms: { host: admsHost, port: admsPort, waitMs: waitSeconds * 1000 },
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

/** A device ready to be read: its driver, a label safe to print, and what must happen before connecting. */
interface PullDevice {
  readonly driver: DeviceDriver;
  readonly label: string;
  readonly name: string;
  readonly timeZone: string | null;
  /** Resolves once the device can be read (an ADMS terminal has contacted the push server). */
  readonly ready: () => Promise<void>;
  /** The records the device holds, when the driver's count is not the device's own (ADMS: what it reported). */
  readonly recordCount?: () => number | null;
}

function openDevice(
  source: PullSource,
  plan: PullPlan,
  logger: Logger,
  adms: AdmsSession | null,
): PullDevice {
  if (isAdmsUrl(source.url)) {
    const { serialNumber, deviceName } = admsDeviceOf(source);
    if (!adms) throw new Error("an adms:// device needs the pull's ADMS session");
    return {
      driver: adms.driverFor(serialNumber),
      label: `adms://${serialNumber}`,
      name: deviceName,
      timeZone: adms.timeZoneOf(serialNumber),
      ready: () => adms.waitForContact(serialNumber),
      recordCount: () => adms.reportedLogCount(serialNumber),
    };
  }
  const { driver, label, timeZone } = driverForUrl(
    source.url,
    { logger, timeoutMs: plan.timeoutMs, state: null },
    source.name ?? undefined,
  );
  return {
    driver,
    label,
    name: source.name ?? label,
    timeZone: source.timeZone ?? timeZone,
    ready: () => Promise.resolve(),
  };
}

async function readDevice(
  source: PullSource,
  plan: PullPlan,
  logger: Logger,
  adms: AdmsSession | null,
): Promise<DeviceOutcome> {
  const { driver, label, name, timeZone, ready, recordCount } = openDevice(source, plan, logger, adms);
  const started = performance.now();
  try {
    await ready();
    const info = await driver.connect();
    const result = await driver.readPunches({
      window: { ...(plan.since && { since: plan.since }), ...(plan.until && { until: plan.until }) },
    });
    const punches = [...result.punches()];
    return {
      label,
      deviceId: punches[0]?.device ?? name,
      timeZone,
      serial: info.serialNumber ?? "?",
      onDevice: recordCount ? (recordCount() ?? "?") : result.deviceRecordCount,
      punches,
      rejects: result.rejects,
      seconds: (performance.now() - started) / 1000,
      error: null,
    };
  } catch (error) {
    const coded = toSidecarError(error);
    return {
      label,
      deviceId: name,
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

/** The run's durable store: the spool, its uid guard, and (with ADMS devices) the terminals' upload stamps. */
interface PullStore {
  readonly spool: Spool;
  readonly appender: UniqueAppender;
  readonly state: StateStore | null;
}

async function openStore(spoolDir: string, logger: Logger, withState: boolean): Promise<PullStore> {
  const spool = await Spool.open(spoolDir, { logger });
  try {
    // The stamps live under the spool's directory (and its lock): a terminal resumes where the last pull ended.
    // Their own folder: a service's state.json may sit beside a spool directory, never inside this one.
    const state = withState ? await StateStore.open(path.join(spoolDir, "adms"), { logger }) : null;
    return { spool, appender: await UniqueAppender.open(spool), state };
  } catch (error) {
    await spool.close().catch(() => undefined);
    throw error;
  }
}

async function closeStore(store: PullStore | null): Promise<void> {
  await store?.state?.close().catch(() => undefined);
  await store?.spool.close();
}

/**
 * Reads each device, makes the punches durable in the spool, writes the output file(s) atomically, and only
 * then confirms the spool entries. Entries left by an interrupted earlier run are written out too, and every
 * punch is written once, however many times it was read or spooled. ADMS terminals upload to a push server
 * that runs during the pull and stores their uploads in the spool before answering OK.
 */
export async function runPull(
  plan: PullPlan,
  logger: Logger,
  print: (line: string) => void,
): Promise<number> {
  const employees: EmployeeMap | null = plan.employeeMapFile
    ? await loadEmployeeMap(plan.employeeMapFile)
    : null;
  const admsDevices = plan.devices.filter((d) => isAdmsUrl(d.url)).map(admsDeviceOf);
  let store: PullStore | null = null;
  let session: AdmsSession | null = null;
  try {
    if (admsDevices.length > 0) {
      // Terminals are answered OK once their uploads are on disk, so the spool is open before anything is read.
      store = await openStore(plan.spoolDir, logger, true);
      session = await AdmsSession.start({
        ...plan.adms,
        devices: admsDevices,
        sink: store.appender,
        state: store.state!,
        logger,
      });
    }
    const outcomes: DeviceOutcome[] = [];
    for (const device of plan.devices) outcomes.push(await readDevice(device, plan, logger, session));
    // No terminal is answered OK after this: what the spool holds now is what this run writes.
    await session?.stop();
    printSummary(outcomes, session, print);
    const failed = outcomes.some((o) => o.error !== null);
    const read = outcomes.flatMap((o) => o.punches);
    if (plan.dryRun || !plan.out) {
      print(`dry run: ${read.length} punches read, nothing written`);
      return failed ? 1 : 0;
    }
    if (outcomes.every((o) => o.error !== null)) {
      const kept = store?.spool.depth() ?? 0;
      print(
        kept > 0
          ? `no device could be read; nothing written (${kept} punches in the spool are written by the next pull)`
          : "no device could be read; nothing written",
      );
      return 1;
    }
    store ??= await openStore(plan.spoolDir, logger, false);
    // What a terminal pushed is spooled already; a punch read again (or left by an earlier run) is not re-added.
    await store.appender.append(read);
    const pending = await pendingPunches(store.spool, plan);
    noteExtras(pending.inWindow, read, store.appender, session, print);
    const zones = new Map(outcomes.map((o) => [o.deviceId, o.timeZone]));
    await writeOutputs(
      plan,
      pending,
      outcomes.flatMap((o) => o.rejects),
      employees,
      zones,
      print,
    );
    await store.spool.ack(pending.seqs);
    return failed ? 1 : 0;
  } finally {
    await session?.stop();
    await closeStore(store);
  }
}

/** Says why the file may hold more than the devices returned: leftovers of an earlier run, unasked pushes. */
function noteExtras(
  written: readonly Punch[],
  read: readonly Punch[],
  appender: UniqueAppender,
  session: AdmsSession | null,
  print: (line: string) => void,
): void {
  const leftovers = written.filter((p) => appender.wasPending(p.uid)).length;
  if (leftovers > 0)
    print(`${leftovers} punches left in the spool by an earlier interrupted run are included`);
  const pushed = session?.pushedUids;
  if (!pushed) return;
  const readUids = new Set(read.map((p) => p.uid));
  const pushedOnly = written.filter(
    (p) => pushed.has(p.uid) && !readUids.has(p.uid) && !appender.wasPending(p.uid),
  ).length;
  if (pushedOnly > 0) print(`${pushedOnly} punches the ADMS terminals pushed on their own are included`);
}

function printSummary(
  outcomes: readonly DeviceOutcome[],
  session: AdmsSession | null,
  print: (line: string) => void,
): void {
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
  for (const { serialNumber, remoteAddress } of session?.unknownTerminals() ?? []) {
    print(
      `note: terminal ${serialNumber}${remoteAddress ? ` (${remoteAddress})` : ""} pushed to this sidecar but is not in this pull; it was refused and keeps its punches (add --device adms://${serialNumber} to read it)`,
    );
  }
}
