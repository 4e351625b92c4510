import { epochMsToNaive, type NaiveDateTime, naiveToEpochMs } from "../../../sidecar/src/domain/naiveTime.js";
import type { TerminalPunch } from "./admsTerminal.js";

/** `count` punches from 08:00 of `date`, 61 s apart (distinct times), PINs with leading zeros, in/out in turn. */
export function terminalPunches(count: number, date = "2026-03-02", users = 7): TerminalPunch[] {
  const start = naiveToEpochMs(`${date} 08:00:00` as NaiveDateTime);
  return Array.from({ length: count }, (_, i) => ({
    userId: String(1 + (i % users)).padStart(4, "0"),
    time: epochMsToNaive(start + i * 61_000),
    state: i % 2,
    verify: 1,
  }));
}
