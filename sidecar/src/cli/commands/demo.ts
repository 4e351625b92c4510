import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { DeviceLocks } from "../../devices/deviceLock.js";
import { DevicePoller, type PollResult } from "../../devices/devicePoller.js";
import { epochMsToNaive } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import type { RecordReject } from "../../drivers/driver.js";
import { ZkDriver } from "../../drivers/zk/zkDriver.js";
import type { Logger } from "../../logging/logger.js";
import { writeFileAtomic } from "../../output/atomicFile.js";
import { csvLine } from "../../output/csv.js";
import { checkinImportCsv, punchesCsv, rejectsCsv } from "../../output/punchFiles.js";
import { Spool } from "../../spool/spool.js";
import { StateStore } from "../../spool/stateStore.js";
import { scenario } from "../../../../test/simulators/zk/scenario.js";
import type { AttendanceFormat } from "../../../../test/simulators/zk/formats.js";
import { ZkSimulator } from "../../../../test/simulators/zk/zkSimulator.js";
import type { ParsedArgs } from "../args.js";
import { renderTable } from "../table.js";

interface DemoTerminal {
  readonly name: string;
  readonly serial: string;
  readonly format: AttendanceFormat;
  readonly transport: "tcp" | "udp";
  readonly commKey: number;
  readonly employees: number;
  readonly absurd: boolean;
}

/** One terminal per record layout, one of them behind a comm key; dozens of employees, four weeks. */
const TERMINALS: readonly DemoTerminal[] = [
  {
    name: "Main Gate",
    serial: "CQZ7234560001",
    format: 40,
    transport: "tcp",
    commKey: 0,
    employees: 40,
    absurd: true,
  },
  {
    name: "Head Office",
    serial: "CQZ7234560002",
    format: 40,
    transport: "tcp",
    commKey: 123456,
    employees: 25,
    absurd: false,
  },
  {
    name: "Warehouse",
    serial: "AEH2093100017",
    format: 16,
    transport: "udp",
    commKey: 0,
    employees: 30,
    absurd: false,
  },
  {
    name: "Canteen",
    serial: "OIN7011200304",
    format: 8,
    transport: "tcp",
    commKey: 0,
    employees: 20,
    absurd: false,
  },
];

const WEEKS = 4;
const SITE_ZONE = "Asia/Kolkata";

/**
 * The sidecar's pull path end to end without hardware: simulated terminals → ZK driver → spool (fsync'd)
 * → cursor; then the spool drains into CSV files and only then are the entries confirmed.
 */
export async function runDemo(
  args: ParsedArgs,
  logger: Logger,
  print: (line: string) => void,
): Promise<number> {
  const started = performance.now();
  const outDir = path.resolve(args.values.out ?? "demo-output");
  await rm(path.join(outDir, "state"), { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const startDate = epochMsToNaive(Date.now() - WEEKS * 7 * 86_400_000).slice(0, 10);

  const simulators = TERMINALS.map((t) => {
    const builder = scenario({ idKind: t.format === 40 ? "string" : "numeric" })
      .identity({ serialNumber: t.serial, deviceName: t.name })
      .realisticWeeks({
        employees: t.employees,
        weeks: WEEKS,
        startDate,
        seed: t.serial.length * 7919 + t.employees,
      });
    if (t.absurd) builder.absurdRecords();
    return new ZkSimulator({
      scenario: builder.build(),
      attendanceFormat: t.format,
      commKey: t.commKey,
      timing: "coalesced",
    });
  });
  const spool = await Spool.open(path.join(outDir, "state", "spool"), { logger });
  const state = await StateStore.open(path.join(outDir, "state"), { logger });
  try {
    await Promise.all(simulators.map((s) => s.start()));
    const locks = new DeviceLocks();
    const pollers = TERMINALS.map(
      (t, i) =>
        new DevicePoller({
          deviceKey: t.name,
          driver: new ZkDriver({
            host: "127.0.0.1",
            port: t.transport === "udp" ? simulators[i]!.address.udpPort! : simulators[i]!.address.tcpPort,
            transport: t.transport,
            commKey: t.commKey,
            deviceId: t.name,
            logger,
          }),
          locks,
          sink: spool,
          cursors: state,
          intervalMs: 60_000,
          logger,
        }),
    );
    print(
      `Simulated terminals on 127.0.0.1: ${TERMINALS.map((t, i) => `${t.name} (${t.transport} ${t.transport === "udp" ? simulators[i]!.address.udpPort : simulators[i]!.address.tcpPort})`).join(", ")}`,
    );

    const first = await Promise.all(pollers.map((p) => p.pollOnce()));
    // Someone punches at the Main Gate; the next poll must bring exactly that punch and nothing already spooled.
    simulators[0]!.pushLivePunch({ userId: simulators[0]!.scenario.users[0]!.userId, state: 0 });
    const second = await Promise.all(pollers.map((p) => p.pollOnce()));

    const spooled: { seq: number; punch: Punch }[] = [];
    for await (const entry of spool.pending()) spooled.push(entry);
    const punches = spooled.map((e) => e.punch);
    const rejects = first.flatMap((r) => r.rejects);
    const files = await writeDemoFiles(outDir, punches, rejects, simulators);
    await spool.ack(spooled.map((e) => e.seq));

    print("");
    print(summaryTable(first, second));
    print("");
    print(
      `Spooled durably and written: ${punches.length} punches from ${TERMINALS.length} terminals; spool depth after confirming: ${spool.depth()}`,
    );
    if (rejects.length)
      print(
        `Records kept aside, not punches (${rejects.length}): ${[...new Set(rejects.map((r) => r.code))].join(", ")}`,
      );
    for (const [label, file] of files)
      print(`  ${label.padEnd(40)} ${path.relative(process.cwd(), file) || file}`);
    print(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    return 0;
  } finally {
    await spool.close();
    await state.close();
    await Promise.all(simulators.map((s) => s.stop()));
  }
}

function summaryTable(first: readonly PollResult[], second: readonly PollResult[]): string {
  return renderTable(
    [
      "terminal",
      "layout",
      "link",
      "comm key",
      "on device",
      "new (1st poll)",
      "new (2nd poll)",
      "rejected",
      "seconds",
    ],
    TERMINALS.map((t, i) => [
      t.name,
      `${t.format}-byte`,
      t.transport,
      t.commKey ? "yes" : "no",
      second[i]!.deviceRecordCount,
      first[i]!.fresh,
      second[i]!.fresh,
      first[i]!.rejects.length,
      Number((first[i]!.durationMs / 1000).toFixed(2)),
    ]),
  );
}

async function writeDemoFiles(
  outDir: string,
  punches: Punch[],
  rejects: RecordReject[],
  simulators: readonly ZkSimulator[],
): Promise<[string, string][]> {
  // The demo's HR master: every device user id gets an Employee ID, except one left unmapped on purpose.
  const userIds = [...new Set(simulators.flatMap((s) => s.scenario.users.map((u) => u.userId)))].sort();
  const employees = new Map(
    userIds.slice(1).map((id, i) => [id, `HR-EMP-${String(i + 1).padStart(5, "0")}`]),
  );
  let mapCsv = csvLine(["user_id", "employee"]);
  for (const [userId, employee] of employees) mapCsv += csvLine([userId, employee]);
  const importRows = checkinImportCsv(punches, employees, {
    deviceZone: () => SITE_ZONE,
    siteZone: SITE_ZONE,
  });
  const files: [string, string, string][] = [
    ["punches (one row per punch)", path.join(outDir, "punches.csv"), punchesCsv(punches)],
    ["employee map used", path.join(outDir, "employee-map.csv"), mapCsv],
    [
      "ERPNext Data Import: Employee Checkin",
      path.join(outDir, "employee-checkin-import.csv"),
      importRows.csv,
    ],
    [
      `unmapped user ids (${importRows.unmapped.length} punches)`,
      path.join(outDir, "unmapped.csv"),
      punchesCsv(importRows.unmapped),
    ],
    ["rejected records (raw bytes kept)", path.join(outDir, "rejects.csv"), rejectsCsv(rejects)],
  ];
  for (const [, file, content] of files) await writeFileAtomic(file, content);
  return files.map(([label, file]) => [label, file]);
}
