import {
  type DateTimeParts,
  epochMsToParts as partsFromUtcMs,
} from "../../../sidecar/src/domain/naiveTime.js";
import { encodePackedTime } from "../../../sidecar/src/drivers/zk/protocol/packedTime.js";
import { createPrng } from "./prng.js";
import type { Prng } from "./prng.js";
import type { IdKind, PunchInput, UserInput } from "./scenario.js";

/** Deterministic data generators behind ScenarioBuilder.realisticWeeks / bulk / absurdRecords. */

export interface RealisticWeeksOptions {
  readonly employees: number;
  readonly weeks: number;
  /** "YYYY-MM-DD": the first day generated (weekends are skipped). */
  readonly startDate: string;
  readonly seed: number;
  /**
   * String scenarios include the 12-character id "123456789012" (node-zklib truncates ids to 9 characters);
   * false leaves it out. Numeric scenarios never have it.
   */
  readonly includeLongId?: boolean;
}

export interface BulkOptions {
  readonly seed?: number;
  readonly startDate?: string;
  readonly employees?: number;
}

interface GeneratedPunch {
  readonly userId: string;
  readonly time: DateTimeParts;
  readonly verify: number;
  readonly state: number;
}

export interface GeneratedData {
  readonly users: UserInput[];
  readonly punches: GeneratedPunch[];
}

const FIRST_NAMES = [
  "Asha",
  "Bilal",
  "Chen",
  "Divya",
  "Emeka",
  "Farah",
  "Gopal",
  "Hana",
  "Ivan",
  "Jaya",
  "Kofi",
  "Lena",
];
const LAST_NAMES = [
  "Rao",
  "Khan",
  "Wei",
  "Iyer",
  "Obi",
  "Aziz",
  "Nair",
  "Sato",
  "Petrov",
  "Menon",
  "Mensah",
  "Berg",
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function parseDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) throw new RangeError(`startDate "${text}" must be YYYY-MM-DD`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/**
 * Ids a site really has. String scenarios: "0111" (leading zero: must never become 111), optionally
 * "123456789012" (12 characters), a 1-character id, then 4-digit codes. Numeric scenarios: no leading zeros.
 */
function employeeIds(
  count: number,
  idKind: IdKind,
  includeLongId: boolean,
  taken: ReadonlySet<string>,
): string[] {
  const special =
    idKind === "string" ? ["0111", ...(includeLongId ? ["123456789012"] : []), "7", "0042"] : ["111", "7"];
  const ids: string[] = [];
  const add = (id: string): void => {
    if (!taken.has(id) && !ids.includes(id)) ids.push(id);
  };
  for (const id of special) if (ids.length < count) add(id);
  for (let n = 1001; ids.length < count; n++) add(String(n));
  return ids;
}

function makeUsers(ids: readonly string[], firstUid: number, prng: Prng): UserInput[] {
  return ids.map((userId, i) => ({
    userId,
    uid: firstUid + i,
    name: `${prng.pick(FIRST_NAMES)} ${prng.pick(LAST_NAMES)}`,
    privilege: i === 0 ? 14 : 0,
    card: prng.chance(0.5) ? prng.int(1_000_000, 9_999_999) : 0,
  }));
}

function pickVerify(prng: Prng): number {
  const r = prng.next();
  return r < 0.7 ? 1 : r < 0.9 ? 15 : r < 0.98 ? 4 : 0;
}

export function realisticWeeksData(
  options: RealisticWeeksOptions,
  idKind: IdKind,
  taken: ReadonlySet<string>,
  firstUid: number,
): GeneratedData {
  const prng = createPrng(options.seed);
  const ids = employeeIds(options.employees, idKind, options.includeLongId ?? true, taken);
  const users = makeUsers(ids, firstUid, prng);
  const start = parseDate(options.startDate);
  const raw: { ms: number; order: number; p: Omit<GeneratedPunch, "time"> }[] = [];
  let order = 0;
  const punch = (userId: string, ms: number, state: number): void => {
    raw.push({ ms, order: order++, p: { userId, verify: pickVerify(prng), state } });
  };
  // Each employee has a usual shift start (08:30, 09:00 or 10:00).
  const shiftStart = ids.map(() => prng.pick([8.5 * HOUR, 9 * HOUR, 10 * HOUR]));
  for (let day = 0; day < options.weeks * 7; day++) {
    const dayMs = start + day * 24 * HOUR;
    const weekday = new Date(dayMs).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    ids.forEach((userId, e) => {
      const startMs = dayMs + shiftStart[e]! + prng.int(-20, 25) * MINUTE + prng.int(0, 59) * 1000;
      const inMs = startMs;
      if (!prng.chance(0.03)) {
        punch(userId, inMs, 0);
        // A nervous second press within the minute: devices log both.
        if (prng.chance(0.03)) punch(userId, inMs + prng.int(5, 50) * 1000, 0);
      }
      if (prng.chance(0.25)) {
        const breakOut = dayMs + 13 * HOUR + prng.int(-10, 10) * MINUTE + prng.int(0, 59) * 1000;
        punch(userId, breakOut, 2);
        punch(userId, breakOut + prng.int(30, 50) * MINUTE + prng.int(0, 59) * 1000, 3);
      }
      const outMs = startMs + 8.5 * HOUR + prng.int(-10, 40) * MINUTE + prng.int(0, 59) * 1000;
      if (!prng.chance(0.03)) punch(userId, outMs, 1);
      if (prng.chance(0.1)) {
        const otIn = outMs + prng.int(15, 30) * MINUTE;
        punch(userId, otIn, 4);
        punch(userId, otIn + prng.int(90, 180) * MINUTE + prng.int(0, 59) * 1000, 5);
      }
    });
  }
  // A device log is in the order punches happened.
  raw.sort((a, b) => a.ms - b.ms || a.order - b.order);
  return { users, punches: raw.map(({ ms, p }) => ({ ...p, time: partsFromUtcMs(ms) })) };
}

export function bulkData(
  count: number,
  options: BulkOptions,
  idKind: IdKind,
  taken: ReadonlySet<string>,
  firstUid: number,
): GeneratedData {
  const prng = createPrng(options.seed ?? 4370);
  const ids = employeeIds(options.employees ?? 50, idKind, false, taken);
  const users = makeUsers(ids, firstUid, prng);
  const lastState = new Array<number>(ids.length).fill(1);
  let ms = parseDate(options.startDate ?? "2024-01-01") + 8 * HOUR;
  const punches: GeneratedPunch[] = new Array<GeneratedPunch>(count);
  for (let i = 0; i < count; i++) {
    ms += prng.int(5, 60) * 1000;
    const e = prng.int(0, ids.length - 1);
    const state = lastState[e] === 0 ? 1 : 0;
    lastState[e] = state;
    punches[i] = { userId: ids[e]!, time: partsFromUtcMs(ms), verify: 1, state };
  }
  return { users, punches };
}

/** Packed 0 (2000-01-01 00:00:00), a far-future time, and packed "2024-02-31 08:00:00" (impossible). */
export function absurdPunches(userId: string): PunchInput[] {
  const feb31: DateTimeParts = { year: 2024, month: 2, day: 31, hour: 8, minute: 0, second: 0 };
  // Built arithmetically, as corrupt firmware would: every month counts 31 days, so Feb 31 packs fine.
  const feb31Packed = ((24 * 12 * 31 + (2 - 1) * 31 + (31 - 1)) * 86400 + 8 * 3600) >>> 0;
  if (feb31Packed !== encodePackedTime(feb31))
    throw new Error("packed-time arithmetic disagrees with the codec");
  return [
    { userId, time: { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, verify: 1, state: 0 },
    { userId, time: { year: 2087, month: 6, day: 15, hour: 12, minute: 0, second: 0 }, verify: 1, state: 1 },
    { userId, time: feb31, verify: 1, state: 0, packedTime: feb31Packed },
  ];
}
