import { epochMsToNaive } from "../../../sidecar/src/domain/naiveTime.js";
import { type IdKind, type Scenario, scenario } from "./scenario.js";

/**
 * Exactly `records` punches as a terminal in daily use holds them: a week of workdays for 25 people ending two
 * days ago (so a plain pull, or one with a recent --since, finds them), then older history to make up the number.
 */
export function recentLog(records: number, options: { idKind?: IdKind; seed: number }): Scenario {
  const day = 86_400_000;
  const builder = scenario(options.idKind ? { idKind: options.idKind } : {}).realisticWeeks({
    employees: 25,
    weeks: 1,
    startDate: epochMsToNaive(Date.now() - 8 * day).slice(0, 10),
    seed: options.seed,
  });
  const realistic = builder.build().punches.length;
  return (
    records <= realistic
      ? builder.keepFirstPunches(records)
      : builder.bulk(records - realistic, { startDate: epochMsToNaive(Date.now() - 400 * day).slice(0, 10) })
  ).build();
}
