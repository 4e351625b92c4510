import { AdmsTerminal, type TerminalPunch } from "../../../../test/simulators/adms/admsTerminal.js";
import { recentLog } from "../../../../test/simulators/zk/recentLog.js";
import { formatNaive } from "../../domain/naiveTime.js";
import { isValidTimeZone } from "../../domain/timeZone.js";
import { ConfigError } from "../../errors.js";
import { type ParsedArgs, intOption } from "../args.js";

const DEFAULT_SERIAL = "SIMADMS0001";
/** Firmware waits ErrorDelay (30 s and more) after a failed request; the simulator retries sooner. */
const RETRY_MS = 1000;

interface SimulateAdmsPlan {
  readonly server: string;
  readonly host: string;
  readonly port: number;
  readonly serialNumber: string;
  readonly records: number;
  readonly timeZone: string | null;
  readonly key: string | null;
}

function planSimulateAdms(args: ParsedArgs): SimulateAdmsPlan {
  const { values } = args;
  const problems: string[] = [];
  let host = "";
  let port = 0;
  const server = values.server;
  if (server === undefined) {
    problems.push("--server http://HOST:PORT is required: the address of the sidecar's ADMS push server");
  } else {
    const url = URL.canParse(server) ? new URL(server) : null;
    if (!url || url.protocol !== "http:" || !url.hostname || (url.pathname !== "/" && url.pathname !== ""))
      problems.push(`--server "${server}" is not http://HOST:PORT (terminals speak plain HTTP)`);
    else {
      host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      port = url.port ? Number(url.port) : 80;
    }
  }
  const serialNumber = values.sn ?? DEFAULT_SERIAL;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(serialNumber))
    problems.push(`--sn "${serialNumber}" is not a serial number (letters, digits, _ and -, at most 64)`);
  const records = intOption(values.records, "records", 0, 1_000_000, 500, problems);
  const timeZone = values.tz ?? null;
  if (timeZone !== null && !isValidTimeZone(timeZone))
    problems.push(`--tz "${timeZone}" is not an IANA time zone`);
  const key = values.key ?? null;
  if (key === "") problems.push("--key must not be empty");
  if (problems.length) throw new ConfigError(problems);
  return { server: server!, host, port, serialNumber, records, timeZone, key };
}

/** `records` punches as a terminal in daily use holds them (see recentLog), in the order they happened. */
function terminalLog(records: number): TerminalPunch[] {
  const built = recentLog(records, { seed: 8081 });
  return built.punches
    .map((p) => ({ userId: p.userId, time: formatNaive(p.time), state: p.state, verify: p.verify }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/**
 * `simulate adms --server http://HOST:PORT`: a ZKTeco terminal in ADMS push mode (firmware-like: it resends
 * until OK, keeps its stamp, polls for commands) pushing to a sidecar until Ctrl-C, saying what it does.
 */
export async function runSimulateAdms(args: ParsedArgs, print: (line: string) => void): Promise<number> {
  const plan = planSimulateAdms(args);
  const punches = terminalLog(plan.records);
  const terminal = new AdmsTerminal({
    host: plan.host,
    port: plan.port,
    serialNumber: plan.serialNumber,
    key: plan.key,
    punches,
    errorDelayMs: RETRY_MS,
  });
  const span = punches.length ? ` from ${punches[0]!.time} to ${punches[punches.length - 1]!.time}` : "";
  print(
    `Simulated ADMS terminal ${plan.serialNumber}: ${punches.length} punches${span}, pushing to ${plan.server}`,
  );
  const tz = plan.timeZone ? `?tz=${plan.timeZone}` : "";
  print("Read them with:");
  print(
    `  biometric-sidecar pull --device 'adms://${plan.serialNumber}${tz}' --adms-port ${plan.port} --out punches.csv`,
  );
  print("Ctrl-C stops it.");
  const progress = new ProgressReport(terminal, plan, punches.length, print);
  terminal.start();
  const timer = setInterval(() => progress.report(), 250);
  await untilStopped();
  clearInterval(timer);
  await terminal.stop();
  progress.report();
  print(`stopped: ${terminal.stamp} of ${punches.length} punches acknowledged by the server`);
  return 0;
}

/** Prints what the terminal does, once per change: waiting for the server, refused, connected, uploaded, commands. */
class ProgressReport {
  private state = "";
  private stamp = 0;
  private readonly commands = new Map<string, number>();

  constructor(
    private readonly terminal: AdmsTerminal,
    private readonly plan: SimulateAdmsPlan,
    private readonly total: number,
    private readonly print: (line: string) => void,
  ) {}

  report(): void {
    const { terminal, plan } = this;
    const settings = terminal.settings;
    const status = terminal.stats.lastStatus;
    const state = settings
      ? "connected"
      : status === null || status === 200
        ? terminal.stats.networkErrors > 0
          ? "unreachable"
          : "starting"
        : `refused ${status}`;
    if (state !== this.state) {
      this.state = state;
      if (state === "unreachable")
        this.print(`waiting for the server at ${plan.server} (not reachable yet; trying every second)`);
      else if (state.startsWith("refused"))
        this.print(
          `the server refused this terminal (HTTP ${status}): is adms://${plan.serialNumber} one of its devices${plan.key ? ", and is the key right" : ""}? trying every second`,
        );
      else if (state === "connected")
        this.print(
          `handshake with ${plan.server}: OK (poll every ${settings!.delayMs / 1000} s, resume after record ${settings!.attlogStamp ?? "none: uploads everything"})`,
        );
    }
    if (settings && terminal.stamp !== this.stamp) {
      this.stamp = terminal.stamp;
      this.print(
        terminal.stamp >= this.total
          ? `all ${this.total} punches acknowledged by the server; polling for commands`
          : `${terminal.stamp} of ${this.total} punches acknowledged by the server`,
      );
    }
    for (const [command, count] of Object.entries(terminal.stats.commands)) {
      if ((this.commands.get(command) ?? 0) === count) continue;
      this.commands.set(command, count);
      this.print(
        command === "DATA"
          ? "the server asked for a time range again (DATA QUERY ATTLOG): uploading it"
          : `the server sent the command ${command}`,
      );
    }
  }
}

function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}
