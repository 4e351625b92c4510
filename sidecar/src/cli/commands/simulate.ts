import { ConfigError } from "../../errors.js";
import { recentLog } from "../../../../test/simulators/zk/recentLog.js";
import type { AttendanceFormat } from "../../../../test/simulators/zk/formats.js";
import { ZkSimulator } from "../../../../test/simulators/zk/zkSimulator.js";
import { EsslSimulator } from "../../../../test/simulators/essl/esslSimulator.js";
import { esslRecords } from "../../../../test/simulators/essl/esslRecords.js";
import { hikEvents } from "../../../../test/simulators/hikvision/hikEvents.js";
import { HikSimulator } from "../../../../test/simulators/hikvision/hikSimulator.js";
import {
  CONNECTION_QUIRKS,
  type ConnectionQuirk,
} from "../../../../test/simulators/shared/loopbackHttpServer.js";
import { isValidTimeZone, systemTimeZone } from "../../domain/timeZone.js";
import { type ParsedArgs, intOption } from "../args.js";
import { runSimulateAdms } from "./simulateAdms.js";

const FORMATS: Record<string, AttendanceFormat> = { "40": 40, "16": 16, "8": 8 };

/**
 * `simulate zk|hikvision|essl`: a simulated terminal on 127.0.0.1 until Ctrl-C, for trying the sidecar without
 * hardware; `simulate adms` is a terminal pushing to a sidecar (simulateAdms.ts).
 */
export async function runSimulate(
  rest: readonly string[],
  args: ParsedArgs,
  print: (line: string) => void,
): Promise<number> {
  const problems: string[] = [];
  if (rest[0] === "hikvision" || rest[0] === "essl") return runHttpSimulator(rest[0], args, print);
  if (rest[0] === "adms") return runSimulateAdms(args, print);
  if (rest[0] !== "zk")
    problems.push(`simulate needs a device family: zk, hikvision, essl or adms (got "${rest[0] ?? ""}")`);
  const records = intOption(args.values.records, "records", 0, 1_000_000, 1_000, problems);
  const port = intOption(args.values.port, "port", 0, 65_535, 4370, problems);
  const commKey = intOption(args.values.commkey, "commkey", 0, 0xffffffff, 0, problems);
  const format = FORMATS[args.values.format ?? "40"];
  if (!format) problems.push(`--format "${args.values.format}" is not 40, 16 or 8`);
  if (problems.length) throw new ConfigError(problems);
  // 16- and 8-byte records hold numeric user ids only.
  const built = recentLog(records, { idKind: format === 40 ? "string" : "numeric", seed: 4370 });
  const timeZone = args.values.tz ?? systemTimeZone();
  if (!isValidTimeZone(timeZone)) throw new ConfigError([`--tz "${timeZone}" is not an IANA time zone`]);
  const sim = new ZkSimulator({
    scenario: built,
    timeZone,
    tcpPort: port,
    udpPort: "same",
    commKey,
    attendanceFormat: format,
  });
  const address = await sim.start();
  const query = commKey ? `?commkey=${commKey}` : "";
  print(
    `Simulated ZK terminal ${built.identity.serialNumber}: ${built.users.length} users, ${built.punches.length} punches, ${format}-byte records`,
  );
  print(`Listening on ${address.host}:${address.tcpPort} (TCP and UDP). Try:`);
  print(
    `  biometric-sidecar pull --device zk://${address.host}:${address.tcpPort}${query} --out punches.csv`,
  );
  print("Ctrl-C stops it.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await sim.stop();
  return 0;
}

/** `simulate hikvision|essl`: an ISAPI terminal or an eTimeTrackLite server on 127.0.0.1 until Ctrl-C. */
async function runHttpSimulator(
  family: "hikvision" | "essl",
  args: ParsedArgs,
  print: (line: string) => void,
): Promise<number> {
  const problems: string[] = [];
  const records = intOption(args.values.records, "records", 0, 1_000_000, 500, problems);
  const port = intOption(args.values.port, "port", 0, 65_535, family === "hikvision" ? 8080 : 8090, problems);
  const connection = (args.values.connection ?? "polite") as ConnectionQuirk;
  if (!CONNECTION_QUIRKS.includes(connection))
    problems.push(`--connection "${connection}" is not one of ${CONNECTION_QUIRKS.join(", ")}`);
  if (problems.length) throw new ConfigError(problems);
  // Punches over the last days, so a plain pull finds them (the drivers look back a bounded time).
  const start = Date.now() - 3 * 86_400_000;
  if (family === "hikvision") {
    const sim = new HikSimulator({
      port,
      connection,
      username: "admin",
      password: "admin12345",
      events: hikEvents(records, { startUtcMs: start }),
    });
    const address = await sim.start();
    print(
      `Simulated Hikvision terminal (ISAPI, Digest auth admin/admin12345) with ${records} events on ${address.host}:${address.port}. Try:`,
    );
    print(
      `  biometric-sidecar pull --device 'hikvision://admin:admin12345@${address.host}:${address.port}?tz=Asia/Kolkata' --out punches.csv`,
    );
    await untilStopped();
    await sim.stop();
    return 0;
  }
  const sim = new EsslSimulator({
    port,
    connection,
    userName: "api",
    password: "api",
    records: esslRecords(records, { serialNumber: "SIM0000001" }, start),
  });
  const address = await sim.start();
  print(
    `Simulated eTimeTrackLite web service (user api/api, device SIM0000001) with ${records} logs on ${address.host}:${address.port}. Try:`,
  );
  print(
    `  biometric-sidecar pull --device 'essl://api:api@${address.host}:${address.port}?serial=SIM0000001&tz=Asia/Kolkata' --out punches.csv`,
  );
  await untilStopped();
  await sim.stop();
  return 0;
}

function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}
