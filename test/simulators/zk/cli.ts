import { formatNaive } from "../../../sidecar/src/domain/naiveTime.js";
import { scenario } from "./scenario.js";
import type { Timing } from "./session.js";
import { ZkSimulator } from "./zkSimulator.js";
import type { ZkSimulatorAddress } from "./zkSimulator.js";

/**
 * `biometric-sidecar simulate zk`: a ZK terminal on this machine with realistic data, so people can try the
 * sidecar without hardware. The sidecar CLI parses flags and calls this.
 */

export interface RunZkSimulatorOptions {
  /** Punches in the log. Default 500. */
  readonly records?: number;
  /** Employees (users). Default 25. */
  readonly employees?: number;
  /** TCP (and UDP) port. Default 4370, as on a device; 0 = any free port. */
  readonly port?: number;
  /** Default "127.0.0.1". */
  readonly host?: string;
  readonly commKey?: number;
  /** 40 = string ids (newer firmware); 16 and 8 = numeric ids (older firmware). Default 40. */
  readonly format?: 40 | 16 | 8;
  readonly timing?: Timing;
  readonly seed?: number;
}

export interface ZkSimulatorHandle {
  readonly simulator: ZkSimulator;
  readonly address: ZkSimulatorAddress;
  /** The device URL to put in the sidecar config. */
  readonly url: string;
  stop(): Promise<void>;
}

const PUNCHES_PER_EMPLOYEE_WEEK = 10;

export async function runZkSimulator(
  options: RunZkSimulatorOptions,
  log: (line: string) => void,
): Promise<ZkSimulatorHandle> {
  const records = options.records ?? 500;
  const employees = options.employees ?? 25;
  const format = options.format ?? 40;
  if (!Number.isInteger(records) || records < 0)
    throw new RangeError(`--records must be a whole number ≥ 0 (got ${records})`);
  if (!Number.isInteger(employees) || employees < 1)
    throw new RangeError(`employees must be ≥ 1 (got ${employees})`);
  const numeric = format !== 40;
  // Generate enough realistic weeks, then cut to the exact count asked for.
  const weeks = Math.max(1, Math.ceil(records / (employees * PUNCHES_PER_EMPLOYEE_WEEK * 0.8)));
  const built = scenario({ idKind: numeric ? "numeric" : "string" })
    .realisticWeeks({ employees, weeks, startDate: "2024-03-04", seed: options.seed ?? 4370 })
    .keepFirstPunches(records)
    .build();
  const simulator = new ZkSimulator({
    scenario: built,
    host: options.host ?? "127.0.0.1",
    tcpPort: options.port ?? 4370,
    udpPort: "same",
    ...(options.commKey === undefined ? {} : { commKey: options.commKey }),
    attendanceFormat: format,
    userFormat: numeric ? 28 : 72,
    timing: options.timing ?? "split-node",
  });
  const address = await simulator.start();
  const key = options.commKey !== undefined && options.commKey !== 0 ? options.commKey : undefined;
  const url = `zk://${address.host}:${address.tcpPort}${key === undefined ? "" : `?commkey=${key}`}`;
  const first = built.punches[0];
  const last = built.punches[built.punches.length - 1];
  log(`ZK simulator listening on ${address.host}:${address.tcpPort} (TCP and UDP)`);
  log(
    `  device ${built.identity.serialNumber}, "${built.identity.firmware}", ${format}-byte records, ` +
      `${numeric ? 28 : 72}-byte users, timing ${options.timing ?? "split-node"}`,
  );
  log(
    `  ${built.users.length} users, ${built.punches.length} punches` +
      (first && last ? ` (${formatNaive(first.time)} … ${formatNaive(last.time)})` : ""),
  );
  if (key !== undefined) log(`  comm key ${key}`);
  log(`  use: ${url}`);
  return { simulator, address, url, stop: () => simulator.stop() };
}
