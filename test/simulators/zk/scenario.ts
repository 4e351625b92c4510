import type { DateTimeParts } from "../../../sidecar/src/domain/naiveTime.js";
import { isValidParts, naiveParts, parseNaive } from "../../../sidecar/src/domain/naiveTime.js";
import type { ZkUser } from "../../../sidecar/src/drivers/zk/protocol/userRecords.js";
import { absurdPunches, bulkData, realisticWeeksData } from "./scenarioGenerators.js";
import type { BulkOptions, RealisticWeeksOptions } from "./scenarioGenerators.js";

/**
 * What a simulated device holds: users, its attendance log, identity, capacities and clock offset. Built once
 * (fluent builder), then frozen, so a test can compare what a client read against exactly what was served.
 */

/** "string" ids (40/49-byte records, 72-byte users) keep leading zeros; "numeric" ids (16/8/28) cannot. */
export type IdKind = "string" | "numeric";

export interface ScenarioPunch {
  /** Internal user serial on the device (the 8-byte layout carries only this). */
  readonly uid: number;
  readonly userId: string;
  /** Wall-clock parts. May be an impossible date when `packedTime` is set (see absurd records). */
  readonly time: Readonly<DateTimeParts>;
  /** Verify type (pyzk "status"): 0 password, 1 fingerprint, 4 card, 15 face. */
  readonly verify: number;
  /** Punch state (pyzk "punch"): 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out. */
  readonly state: number;
  /** Raw packed uint32 to put on the wire instead of encoding `time` (corrupt values such as Feb 31). */
  readonly packedTime?: number;
}

export interface DeviceIdentity {
  readonly serialNumber: string;
  readonly firmware: string;
  readonly platform: string;
  readonly deviceName: string;
  readonly mac: string;
  readonly ipAddress: string;
  readonly netMask: string;
  readonly gateway: string;
  readonly fpVersion: string;
  /** Further CMD_OPTIONS_RRQ names and values (e.g. {"~OS": "1"}); they override the defaults. */
  readonly extraOptions: Readonly<Record<string, string>>;
}

export interface Capacities {
  readonly users: number;
  readonly records: number;
  readonly fingers: number;
}

export interface Scenario {
  readonly idKind: IdKind;
  readonly users: readonly ZkUser[];
  readonly punches: readonly ScenarioPunch[];
  readonly identity: DeviceIdentity;
  readonly capacities: Capacities;
  /** Device clock minus host clock, in ms (a device whose clock drifted or was never set). */
  readonly clockOffsetMs: number;
}

export const DEFAULT_IDENTITY: DeviceIdentity = {
  serialNumber: "SIM4370A000001",
  firmware: "Ver 6.60 Apr 28 2015",
  platform: "ZMM220_TFT",
  deviceName: "K40/ID",
  mac: "00:17:61:10:43:70",
  ipAddress: "127.0.0.1",
  netMask: "255.255.255.0",
  gateway: "127.0.0.1",
  fpVersion: "10",
  extraOptions: {},
};

export interface UserInput {
  readonly userId: string;
  readonly uid?: number;
  readonly name?: string;
  readonly privilege?: number;
  readonly card?: number;
}

export interface PunchInput {
  readonly userId: string;
  /** Parts or "YYYY-MM-DD HH:MM:SS". */
  readonly time: DateTimeParts | string;
  readonly verify?: number;
  readonly state?: number;
  /** Needed only for a punch by a user who is not in the user table. */
  readonly uid?: number;
  readonly packedTime?: number;
}

const MAX_UINT32 = 0xffffffff;

/** Canonical decimal without leading zeros, fitting a uint32: what a numeric-id format can carry intact. */
export function isCanonicalNumericId(userId: string): boolean {
  return /^(0|[1-9]\d{0,9})$/.test(userId) && Number(userId) <= MAX_UINT32;
}

export function checkUserId(userId: string, idKind: IdKind): void {
  if (idKind === "numeric") {
    if (!isCanonicalNumericId(userId)) {
      throw new RangeError(
        `user id "${userId}" cannot be stored in a numeric-id format (16/8-byte records, 28-byte users): ` +
          `it must be a decimal number without leading zeros, at most ${MAX_UINT32}; use a "string" scenario instead`,
      );
    }
    return;
  }
  // 24-byte NUL-padded field; pyzk splits at the first NUL, so a NUL inside would be lost.
  if (userId.length === 0 || userId.length > 24 || userId.includes("\0") || /[^\x20-\x7e]/.test(userId)) {
    throw new RangeError(`user id "${userId}" must be 1–24 printable ASCII characters`);
  }
}

/** Parts from parts or "YYYY-MM-DD HH:MM:SS" (validated when text; parts are checked by the caller). */
export function toDateTimeParts(time: DateTimeParts | string): DateTimeParts {
  if (typeof time !== "string") return { ...time };
  const parsed = parseNaive(time);
  if (parsed === null) throw new RangeError(`"${time}" is not a valid "YYYY-MM-DD HH:MM:SS" time`);
  return naiveParts(parsed);
}

function freezePunch(p: ScenarioPunch): ScenarioPunch {
  Object.freeze(p.time);
  return Object.freeze(p);
}

export class ScenarioBuilder {
  private readonly users: ZkUser[] = [];
  private readonly usersById = new Map<string, ZkUser>();
  private readonly punches: ScenarioPunch[] = [];
  private identityValue: DeviceIdentity = DEFAULT_IDENTITY;
  private capacityOverride: Partial<Capacities> = {};
  private clockOffsetMsValue = 0;

  constructor(readonly idKind: IdKind = "string") {}

  identity(partial: Partial<DeviceIdentity>): this {
    this.identityValue = { ...this.identityValue, ...partial };
    return this;
  }

  capacities(partial: Partial<Capacities>): this {
    this.capacityOverride = { ...this.capacityOverride, ...partial };
    return this;
  }

  clockOffset(ms: number): this {
    this.clockOffsetMsValue = ms;
    return this;
  }

  addUser(input: UserInput): this {
    checkUserId(input.userId, this.idKind);
    if (this.usersById.has(input.userId))
      throw new RangeError(`user id "${input.userId}" is already on the device`);
    const uid = input.uid ?? this.nextUid();
    if (!Number.isInteger(uid) || uid < 1 || uid > 0xffff) throw new RangeError(`uid ${uid} must be 1–65535`);
    if (this.users.some((u) => u.uid === uid)) throw new RangeError(`uid ${uid} is already taken`);
    const user: ZkUser = Object.freeze({
      uid,
      userId: input.userId,
      name: input.name ?? `User ${input.userId}`,
      privilege: input.privilege ?? 0,
      card: input.card ?? 0,
    });
    this.users.push(user);
    this.usersById.set(user.userId, user);
    return this;
  }

  addPunch(input: PunchInput): this {
    this.punches.push(freezePunch(this.resolvePunch(input)));
    return this;
  }

  /** Deterministic workday IN/OUT punches with breaks, overtime, gaps and near-duplicates (see generator). */
  realisticWeeks(options: RealisticWeeksOptions): this {
    const data = realisticWeeksData(options, this.idKind, this.takenIds(), this.nextUid());
    for (const u of data.users) this.addUser(u);
    for (const p of data.punches) this.addPunch(p);
    return this;
  }

  /** Many punches, fast (100,000 in well under a second), for benchmarks and multi-chunk transfers. */
  bulk(count: number, options: BulkOptions = {}): this {
    const data = bulkData(count, options, this.idKind, this.takenIds(), this.nextUid());
    for (const u of data.users) this.addUser(u);
    const userOf = new Map(data.users.map((u) => [u.userId, this.usersById.get(u.userId)!]));
    // Bypass per-punch validation: the generator only emits valid parts for users it just added.
    for (const p of data.punches) {
      const user = userOf.get(p.userId)!;
      this.punches.push(
        freezePunch({ uid: user.uid, userId: p.userId, time: p.time, verify: p.verify, state: p.state }),
      );
    }
    return this;
  }

  /**
   * Bad-input records, appended for `userId` (default: the first user): 2000-01-01 00:00:00 (packed 0, what
   * garbage decodes to), one far in the future, and packed "Feb 31" (an impossible date pyzk crashes on).
   */
  absurdRecords(userId?: string): this {
    const id = userId ?? this.users[0]?.userId;
    if (id === undefined) throw new RangeError("absurdRecords needs a user: add one first");
    for (const p of absurdPunches(id)) this.addPunch(p);
    return this;
  }

  /** Keeps only the first `count` punches (e.g. realistic data cut to an exact size). */
  keepFirstPunches(count: number): this {
    this.punches.splice(count);
    return this;
  }

  build(): Scenario {
    const capacities: Capacities = Object.freeze({
      users: this.capacityOverride.users ?? Math.max(3000, this.users.length),
      records: this.capacityOverride.records ?? Math.max(100_000, this.punches.length),
      fingers: this.capacityOverride.fingers ?? 3000,
    });
    if (this.users.length > capacities.users) {
      throw new RangeError(`${this.users.length} users exceed the user capacity ${capacities.users}`);
    }
    if (this.punches.length > capacities.records) {
      throw new RangeError(`${this.punches.length} punches exceed the record capacity ${capacities.records}`);
    }
    return Object.freeze({
      idKind: this.idKind,
      users: Object.freeze([...this.users]),
      punches: Object.freeze([...this.punches]),
      identity: Object.freeze({
        ...this.identityValue,
        extraOptions: Object.freeze({ ...this.identityValue.extraOptions }),
      }),
      capacities,
      clockOffsetMs: this.clockOffsetMsValue,
    });
  }

  private resolvePunch(input: PunchInput): ScenarioPunch {
    checkUserId(input.userId, this.idKind);
    const time = toDateTimeParts(input.time);
    if (input.packedTime === undefined && !isValidParts(time)) {
      throw new RangeError(
        `${JSON.stringify(time)} is not a real date; pass packedTime for deliberately corrupt records`,
      );
    }
    const uid = input.uid ?? this.usersById.get(input.userId)?.uid;
    if (uid === undefined) {
      throw new RangeError(
        `punch for unknown user "${input.userId}": add the user first or give the punch a uid`,
      );
    }
    const punch: ScenarioPunch = {
      uid,
      userId: input.userId,
      time,
      verify: input.verify ?? 1,
      state: input.state ?? 0,
      ...(input.packedTime === undefined ? {} : { packedTime: input.packedTime >>> 0 }),
    };
    return punch;
  }

  private nextUid(): number {
    return this.users.reduce((max, u) => Math.max(max, u.uid), 0) + 1;
  }

  private takenIds(): ReadonlySet<string> {
    return new Set(this.usersById.keys());
  }
}

export function scenario(options: { idKind?: IdKind } = {}): ScenarioBuilder {
  return new ScenarioBuilder(options.idKind ?? "string");
}
