import type { NaiveDateTime } from "../../domain/naiveTime.js";
import type { Punch } from "../../domain/punch.js";
import type { RecordReject } from "../../drivers/driver.js";
import { writeFileAtomic } from "../../output/atomicFile.js";
import type { EmployeeMap } from "../../output/employeeMap.js";
import { checkinImportCsv, punchesCsv, punchesJson, rejectsCsv } from "../../output/punchFiles.js";
import type { Spool } from "../../spool/spool.js";

export interface PullWindow {
  readonly since: NaiveDateTime | null;
  readonly until: NaiveDateTime | null;
}

export interface OutputPlan extends PullWindow {
  readonly out: string | null;
  readonly format: "csv" | "json";
  readonly siteTimeZone: string | null;
}

export interface SpoolPunches {
  /** Each pending punch once (a uid spooled twice is one punch), inside the window. */
  readonly inWindow: Punch[];
  /** Pending punches outside the window: pushed by an ADMS terminal on its own, or left by an earlier run. */
  readonly outside: Punch[];
  /** Every pending entry, copies included: all of them are confirmed once the files are written. */
  readonly seqs: number[];
}

function inWindow(time: NaiveDateTime, window: PullWindow): boolean {
  return (!window.since || time >= window.since) && (!window.until || time <= window.until);
}

/** Reads the spool's pending entries: what the files of this run must hold, each punch once. */
export async function pendingPunches(spool: Spool, window: PullWindow): Promise<SpoolPunches> {
  const seen = new Set<string>();
  const result: SpoolPunches = { inWindow: [], outside: [], seqs: [] };
  for await (const { seq, punch } of spool.pending()) {
    result.seqs.push(seq);
    if (seen.has(punch.uid)) continue;
    seen.add(punch.uid);
    (inWindow(punch.time, window) ? result.inWindow : result.outside).push(punch);
  }
  return result;
}

/**
 * Writes the output file, and beside it (same base name) the punches outside the window, the unmapped ones
 * (with an employee map) and the records that could not become punches (CSV). Every file is atomic.
 */
export async function writeOutputs(
  plan: OutputPlan,
  punches: SpoolPunches,
  rejects: RecordReject[],
  employees: EmployeeMap | null,
  zones: ReadonlyMap<string, string | null>,
  print: (line: string) => void,
): Promise<void> {
  const out = plan.out!;
  const base = out.replace(/\.(csv|json)$/i, "");
  const main = punches.inWindow;
  if (plan.format === "json") {
    await writeFileAtomic(out, punchesJson(main, rejects));
  } else if (employees) {
    const result = checkinImportCsv(main, employees, {
      deviceZone: (device) => zones.get(device) ?? null,
      siteZone: plan.siteTimeZone,
    });
    if (plan.siteTimeZone && main.some((p) => !zones.get(p.device))) {
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
    await writeFileAtomic(out, punchesCsv(main));
  }
  if (punches.outside.length) {
    const aside = `${base}.outside-window.${plan.format}`;
    await writeFileAtomic(
      aside,
      plan.format === "json" ? punchesJson(punches.outside, []) : punchesCsv(punches.outside),
    );
    print(
      `${punches.outside.length} punches outside --since/--until (pushed by a terminal on its own, or left by an earlier run) are kept in ${aside}`,
    );
  }
  if (rejects.length && plan.format === "csv") {
    await writeFileAtomic(`${base}.rejects.csv`, rejectsCsv(rejects));
    print(
      `${rejects.length} records could not become punches (kept with their raw bytes): ${base}.rejects.csv`,
    );
  }
  print(`wrote ${main.length} punches to ${out}`);
}
