import type { BiometricTemplate, SetTemplateResult } from "../../domain/biometricTemplate.js";
import { DeviceError, ProtocolError, type SidecarError, toSidecarError } from "../../errors.js";
import { DEFAULT_DIRECTION_RULES, type DirectionRules } from "../../domain/direction.js";
import {
  type DateTimeParts,
  epochMsToNaive,
  formatNaive,
  isValidParts,
  type NaiveDateTime,
  naiveToEpochMs,
} from "../../domain/naiveTime.js";
import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import type { Punch } from "../../domain/punch.js";
import { makePunch } from "../../domain/punch.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import { sleep } from "../../util/abort.js";
import type {
  ClearLogOptions,
  ClearLogResult,
  DeviceDriver,
  DeviceInfo,
  DriverCapabilities,
  LiveOptions,
  ReadOptions,
  ReadResult,
  RecordReject,
} from "../driver.js";
import { type AttendanceScan, scanAttendance } from "./protocol/attendanceRecords.js";
import type { FreeSizes } from "./protocol/freeSizes.js";
import { DEFAULT_MIN_YEAR, type Plausibility, recordToPunch } from "./recordToPunch.js";
import { DEFAULT_ZK_CLIENT_OPTIONS, ZkClient, type ZkDeviceIdentity } from "./zkClient.js";
import { ZkUsers } from "./zkUsers.js";

export interface ZkDriverOptions {
  readonly host: string;
  readonly port: number;
  readonly transport?: "tcp" | "udp";
  readonly commKey?: number;
  /** The punch's `device` (the Biometric Device name on the site); defaults to the device's serial number. */
  readonly deviceId?: string | null;
  readonly timeoutMs?: number;
  readonly chunkAttempts?: number;
  /** Whole-read attempts (each on a fresh connection) for retryable failures. */
  readonly readAttempts?: number;
  readonly directionRules?: DirectionRules;
  readonly minYear?: number;
  /** How far past the device's clock a record may be before it counts as "in the future". */
  readonly futureToleranceMs?: number;
  readonly logger?: Logger;
  readonly retryDelayMs?: number;
}

const CAPABILITIES: DriverCapabilities = {
  pull: true,
  live: true,
  getTime: true,
  setTime: true,
  clearLog: true,
  filtersByDate: false,
  users: true,
  disableUser: false,
  templates: true,
};

/**
 * DeviceDriver for ZKTeco and compatible terminals over the binary protocol (port 4370). Every read is a full
 * read (the protocol cannot filter by date); it is retried whole on a fresh connection when a retryable fault
 * hits, and it succeeds only when the number of decoded records equals the device's own count.
 */
export class ZkDriver implements DeviceDriver {
  readonly kind = "zk" as const;
  readonly capabilities = CAPABILITIES;
  private readonly client: ZkClient;
  private identity: ZkDeviceIdentity | null = null;
  private readonly log: Logger;
  private readonly rules: DirectionRules;
  private readonly users: ZkUsers;

  constructor(private readonly options: ZkDriverOptions) {
    this.client = new ZkClient({
      host: options.host,
      port: options.port,
      transport: options.transport ?? DEFAULT_ZK_CLIENT_OPTIONS.transport,
      commKey: options.commKey ?? 0,
      timeoutMs: options.timeoutMs ?? DEFAULT_ZK_CLIENT_OPTIONS.timeoutMs,
      chunkAttempts: options.chunkAttempts ?? DEFAULT_ZK_CLIENT_OPTIONS.chunkAttempts,
    });
    this.log = (options.logger ?? silentLogger).child({
      driver: "zk",
      host: options.host,
      port: options.port,
    });
    this.rules = options.directionRules ?? DEFAULT_DIRECTION_RULES;
    this.users = new ZkUsers(this.client, this.log);
  }

  /** The `device` stamped on punches: configured id, else serial number, else host:port. */
  get deviceId(): string {
    return (
      this.options.deviceId ?? this.identity?.serialNumber ?? `${this.options.host}:${this.options.port}`
    );
  }

  async connect(signal?: AbortSignal): Promise<DeviceInfo> {
    if (!this.client.connected) {
      await this.client.connect(signal);
      this.identity = await this.client.readIdentity(signal);
    }
    return this.info(signal);
  }

  async test(signal?: AbortSignal): Promise<DeviceInfo> {
    return this.connect(signal);
  }

  async disconnect(): Promise<void> {
    await this.client.disconnect();
  }

  async getTime(signal?: AbortSignal): Promise<NaiveDateTime> {
    await this.connect(signal);
    return this.client.getTime(signal);
  }

  async setTime(time: NaiveDateTime, signal?: AbortSignal): Promise<void> {
    await this.connect(signal);
    await this.client.setTime(time, signal);
  }

  async readUsers(signal?: AbortSignal): Promise<UserRecord[]> {
    await this.connect(signal);
    return this.users.read(signal);
  }

  async setUser(user: UserInput, signal?: AbortSignal, options?: SetUserOptions): Promise<SetUserResult> {
    await this.connect(signal);
    return this.users.set(user, signal, options);
  }

  async deleteUser(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult> {
    await this.connect(signal);
    return this.users.delete(userId, mode, signal);
  }

  async readTemplates(signal?: AbortSignal): Promise<BiometricTemplate[]> {
    await this.connect(signal);
    return this.users.readTemplates(signal);
  }

  async setTemplate(template: BiometricTemplate, signal?: AbortSignal): Promise<SetTemplateResult> {
    await this.connect(signal);
    return this.users.setTemplate(template, signal);
  }

  async clearLog({ verify, signal }: ClearLogOptions): Promise<ClearLogResult> {
    await this.connect(signal);
    const clock = await this.readClock(signal);
    // Disabled from the read that is verified until after the clear: no punch can be taken in between.
    await this.client.disableDevice(signal);
    try {
      const onDevice = await this.readLog({ signal }, clock);
      await verify(onDevice);
      const now = await this.client.readFreeSizes(signal);
      if (now.records !== onDevice.deviceRecordCount) {
        throw new DeviceError(
          "CLEAR_LOG_CHANGED",
          `the device's record count moved from ${onDevice.deviceRecordCount} to ${now.records} after it was checked; not cleared`,
          { details: { checked: onDevice.deviceRecordCount, now: now.records } },
        );
      }
      await this.client.clearAttendance(signal);
      const after = await this.client.readFreeSizes(signal);
      return { cleared: onDevice.deviceRecordCount, remaining: after.records };
    } finally {
      await this.client.enableDevice(signal).catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, "could not re-enable the device after clearing");
      });
    }
  }

  async readPunches(options: ReadOptions = {}): Promise<ReadResult> {
    const attempts = this.options.readAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connect(options.signal);
        return await this.readOnce(options);
      } catch (error) {
        const coded = toSidecarError(error);
        this.client.close();
        if (!coded.retryable || attempt >= attempts || options.signal?.aborted) throw coded;
        this.log.warn(
          { attempt, attempts, code: coded.code, err: coded.message },
          "read failed; retrying on a fresh connection",
        );
        await sleep((this.options.retryDelayMs ?? 500) * attempt, options.signal);
      }
    }
  }

  async live(
    onPunch: (punch: Punch) => Promise<void>,
    signal: AbortSignal,
    options: LiveOptions = {},
  ): Promise<void> {
    await this.connect(signal);
    // A terminal left disabled (a read or clear killed midway) takes no punches: enable it, as pyzk's
    // live_capture does. Reads and clears never overlap the channel (the device lock pauses it).
    await this.client.enableDevice(signal);
    await this.client.live(
      async (event) => {
        if (!isValidParts(event.time)) {
          throw new ProtocolError(
            "RECORD_INVALID_TIME",
            `live event time ${JSON.stringify(event.time)} is not a calendar date`,
          );
        }
        await onPunch(
          makePunch(
            {
              device: this.deviceId,
              userId: event.userId,
              time: formatNaive(event.time),
              state: event.state,
              verify: event.verify,
              raw: event.raw,
            },
            this.rules,
          ),
        );
      },
      (error) =>
        this.log.warn(
          { code: (error as SidecarError).code, err: error.message },
          "live event not acknowledged",
        ),
      signal,
      options,
    );
  }

  private async info(signal?: AbortSignal): Promise<DeviceInfo> {
    const sizes = await this.client.readFreeSizes(signal);
    const clockParts = await this.client.getTimeParts(signal);
    return {
      serialNumber: this.identity?.serialNumber ?? null,
      firmware: this.identity?.firmware ?? null,
      platform: this.identity?.platform ?? null,
      deviceName: this.identity?.deviceName ?? null,
      userCount: sizes.users,
      punchCount: sizes.records,
      userCapacity: sizes.userCapacity,
      punchCapacity: sizes.recordCapacity,
      clock: isValidParts(clockParts) ? formatNaive(clockParts) : null,
    };
  }

  private async readClock(signal?: AbortSignal): Promise<NaiveDateTime | null> {
    const clockParts = await this.client.getTimeParts(signal);
    return isValidParts(clockParts) ? formatNaive(clockParts) : null;
  }

  private async readOnce(options: ReadOptions): Promise<ReadResult> {
    const clock = await this.readClock(options.signal);
    // The device keeps recording while we read unless disabled; a punch landing mid-read breaks the count.
    await this.client.disableDevice(options.signal);
    try {
      return await this.readLog(options, clock);
    } finally {
      await this.client.enableDevice(options.signal).catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, "could not re-enable the device after reading");
      });
    }
  }

  /** One full read of the log; the caller has disabled the device. */
  private async readLog(options: ReadOptions, clock: NaiveDateTime | null): Promise<ReadResult> {
    const { signal } = options;
    const sizes = await this.client.readFreeSizes(signal);
    const dataset = await this.client.readAttendanceDataset(signal, (read, total) =>
      options.onProgress?.({ bytesRead: read, bytesTotal: total }),
    );
    const plausible = this.plausibility(clock);
    const isPlausible = (t: DateTimeParts): boolean =>
      isValidParts(t) && t.year >= plausible.minYear && formatNaive(t) <= plausible.latest!;
    let scan: AttendanceScan;
    try {
      scan = scanAttendance(dataset, sizes.records, isPlausible);
    } catch (error) {
      if ((error as SidecarError).code === "ZK_UNKNOWN_RECORD_SIZE")
        await this.failIfCountMoved(sizes, signal);
      throw error;
    }
    if (scan.count !== sizes.records) {
      throw new DeviceError(
        "ZK_COUNT_MISMATCH",
        `decoded ${scan.count} records but the device holds ${sizes.records}`,
        {
          details: { decoded: scan.count, onDevice: sizes.records },
        },
      );
    }
    // 8-byte records carry only the internal uid; the user table maps it to the PIN.
    const users =
      scan.recordSize === 8
        ? new Map((await this.client.readUsers(sizes.users, signal)).map((u) => [u.uid, u.userId]))
        : null;
    const { since, until } = options.window ?? {};
    const deviceId = this.deviceId;
    const convert = function* (rules: DirectionRules): Generator<ReturnType<typeof recordToPunch>> {
      for (const record of scan.records()) {
        const userId = record.userId ?? users?.get(record.uid ?? -1) ?? String(record.uid);
        const converted = recordToPunch(record, userId, deviceId, plausible, rules);
        if (
          converted.reject ||
          ((!since || converted.punch.time >= since) && (!until || converted.punch.time <= until))
        ) {
          yield converted;
        }
      }
    };
    const rejects: RecordReject[] = [];
    let punchCount = 0;
    for (const converted of convert(this.rules)) {
      if (converted.reject) rejects.push(converted.reject);
      else punchCount++;
    }
    if (rejects.length) {
      this.log.warn(
        { rejects: rejects.length, first: rejects[0]?.code },
        "records that cannot become punches were kept aside",
      );
    }
    const rules = this.rules;
    return {
      deviceRecordCount: sizes.records,
      ...(sizes.recordCapacity > 0 && { deviceRecordCapacity: sizes.recordCapacity }),
      deviceClock: clock,
      punchCount,
      rejects,
      punches: function* () {
        for (const converted of convert(rules)) if (converted.punch) yield converted.punch;
      },
    };
  }

  private async failIfCountMoved(before: FreeSizes, signal?: AbortSignal): Promise<void> {
    const after = await this.client.readFreeSizes(signal);
    if (after.records !== before.records) {
      throw new DeviceError(
        "ZK_COUNT_MISMATCH",
        `the device's record count moved from ${before.records} to ${after.records} during the read`,
        {
          details: { before: before.records, after: after.records },
        },
      );
    }
  }

  private plausibility(clock: NaiveDateTime | null): Plausibility {
    const tolerance = this.options.futureToleranceMs ?? 24 * 3600_000;
    // Whatever zone the device is in, its wall clock is within 14 h of UTC: a record beyond the host's clock
    // by more than that (plus tolerance) is in the future even if the device's own clock agrees with it.
    const hostBound = Date.now() + 14 * 3600_000 + tolerance;
    const deviceBound = clock === null ? hostBound : naiveToEpochMs(clock) + tolerance;
    return {
      minYear: this.options.minYear ?? DEFAULT_MIN_YEAR,
      latest: epochMsToNaive(Math.min(hostBound, deviceBound)),
    };
  }
}
