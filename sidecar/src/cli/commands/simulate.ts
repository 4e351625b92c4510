import { ConfigError } from "../../errors.js";
import { scenario } from "../../../../test/simulators/zk/scenario.js";
import type { AttendanceFormat } from "../../../../test/simulators/zk/formats.js";
import { ZkSimulator } from "../../../../test/simulators/zk/zkSimulator.js";
import { epochMsToNaive } from "../../domain/naiveTime.js";
import { type ParsedArgs, intOption } from "../args.js";

const FORMATS: Record<string, AttendanceFormat> = { "40": 40, "16": 16, "8": 8 };

/** `simulate zk`: a simulated terminal on 127.0.0.1 until Ctrl-C, for trying the sidecar without hardware. */
export async function runSimulate(
  rest: readonly string[],
  args: ParsedArgs,
  print: (line: string) => void,
): Promise<number> {
  const problems: string[] = [];
  if (rest[0] !== "zk")
    problems.push(`simulate needs a device family: "simulate zk" (got "${rest[0] ?? ""}")`);
  const records = intOption(args.values.records, "records", 0, 1_000_000, 1_000, problems);
  const port = intOption(args.values.port, "port", 0, 65_535, 4370, problems);
  const commKey = intOption(args.values.commkey, "commkey", 0, 0xffffffff, 0, problems);
  const format = FORMATS[args.values.format ?? "40"];
  if (!format) problems.push(`--format "${args.values.format}" is not 40, 16 or 8`);
  if (problems.length) throw new ConfigError(problems);
  const numeric = format !== 40;
  // A week of realistic punches, then bulk history before it, to exactly the number asked for.
  const builder = scenario({ idKind: numeric ? "numeric" : "string" }).realisticWeeks({
    employees: 25,
    weeks: 1,
    startDate: epochMsToNaive(Date.now() - 8 * 86_400_000).slice(0, 10),
    seed: 4370,
  });
  const realistic = builder.build().punches.length;
  const built = (
    records <= realistic
      ? builder.keepFirstPunches(records)
      : builder.bulk(records - realistic, {
          startDate: epochMsToNaive(Date.now() - 400 * 86_400_000).slice(0, 10),
        })
  ).build();
  const sim = new ZkSimulator({
    scenario: built,
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
