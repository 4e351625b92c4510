import type { NaiveDateTime } from "../domain/naiveTime.js";
import type { Punch, PunchesRead } from "../domain/punch.js";
import type { PunchSink } from "../devices/devicePoller.js";
import type { ReadResult, RecordReject } from "../drivers/driver.js";
import { DeviceError, SidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import { type ConfirmWaitOptions, waitUntilConfirmed } from "./confirmWait.js";
import type { DeviceRuntime } from "./deviceSupervisor.js";

const APPEND_BATCH = 1000;

export interface LogClearerOptions {
  /** Exclusive use of a device (the poller and commands share it). */
  readonly withDevice: <T>(device: string, work: () => Promise<T>) => Promise<T>;
  /** The spool: resolves once the punches are on disk. */
  readonly sink: PunchSink;
  /** Asks the site which of these punches it has NOT staged yet (SiteApi.unconfirmedPunches): their punchesRead. */
  readonly unconfirmed: ConfirmWaitOptions["unconfirmed"];
  /** Punches were spooled: upload now. */
  readonly onSpooled?: () => void;
  /** How long to wait for the site to stage every punch read before giving up (not clearing). */
  readonly confirmTimeoutMs?: number;
  readonly confirmEveryMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface ClearOutcome {
  /** Records the device held when it was read for the clear. */
  readonly records: number;
  /** Punches among them the site confirmed (staged under their uid). */
  readonly confirmed: number;
  /** Records the clear removed (0 when there was nothing to clear). */
  readonly cleared: number;
  /** Records on the device right after the clear. */
  readonly remaining: number;
  /** Records that could not become punches (garbage dates); their raw bytes travel in this result. */
  readonly unreadable: readonly RecordReject[];
  readonly capacity?: number;
}

export type ClearStep = "read" | "confirm" | "clear";

/**
 * Clears a device's log without ever losing a punch (issue 15):
 *
 * 1. read the whole log and put every punch in the spool (fsync'd), as a pull does;
 * 2. wait until the site has staged every one of them under its uid (asked of the site itself, not inferred
 *    from the spool), giving up after `confirmTimeoutMs`: a site that is down means no clear;
 * 3. with the device disabled, read the log again: every punch on it must be one the site confirmed (a punch
 *    taken since step 1 refuses the clear), the count must not move before the clear command, then clear and
 *    enable; the pull cursor is reset under the same device lock, so the next poll starts at the new log.
 *
 * A crash at any point loses nothing: before the clear every punch is still on the device; after it, every
 * punch was confirmed. A device left disabled by a crash is enabled by its next read.
 */
export class LogClearer {
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: LogClearerOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "clear-log" });
    this.now = options.now ?? Date.now;
  }

  async clear(
    runtime: DeviceRuntime,
    onStep: (step: ClearStep, detail: string) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<ClearOutcome> {
    const device = runtime.config.name;
    const driver = runtime.driver;
    if (!runtime.config.allow_clear_log) {
      throw new SidecarError(
        "CLEAR_NOT_ALLOWED",
        `${device}: clearing its log is not allowed (turn on Allow Clear Log on the device first)`,
      );
    }
    if (!driver.capabilities.clearLog || !driver.clearLog) {
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `${device}: a ${driver.kind} device's log cannot be cleared from here`,
      );
    }
    const clearLog = driver.clearLog.bind(driver);

    onStep("read", "reading the whole log");
    const read = await this.options.withDevice(device, async () => {
      try {
        return await this.spoolAll(await driver.readPunches({ ...(signal && { signal }) }));
      } finally {
        await driver.disconnect();
      }
    });
    this.options.onSpooled?.();
    const { punchesRead, records, unreadable, capacity } = read;
    this.log.info(
      { device, records, punches: punchesRead.size, unreadable: unreadable.length },
      "log read for clearing",
    );

    onStep("confirm", `waiting for the site to confirm ${punchesRead.size} punches`);
    await this.waitForConfirmation(device, punchesRead, onStep, signal);

    onStep("clear", "checking the log again and clearing it");
    const result = await this.options.withDevice(device, async () => {
      try {
        const outcome = await clearLog({
          ...(signal && { signal }),
          verify: (onDevice) => verifyConfirmed(device, onDevice, punchesRead, unreadable.length),
        });
        await runtime.poller.resetCursor();
        return outcome;
      } finally {
        await driver.disconnect();
      }
    });
    this.log.info({ device, cleared: result.cleared, remaining: result.remaining }, "device log cleared");
    return {
      records,
      confirmed: punchesRead.size,
      cleared: result.cleared,
      remaining: result.remaining,
      unreadable,
      ...(capacity && { capacity }),
    };
  }

  private async spoolAll(result: ReadResult): Promise<{
    punchesRead: PunchesRead;
    records: number;
    unreadable: readonly RecordReject[];
    capacity?: number;
  }> {
    const punchesRead = new Map<string, NaiveDateTime>();
    let batch: Punch[] = [];
    for (const punch of result.punches()) {
      punchesRead.set(punch.uid, punch.time);
      batch.push(punch);
      if (batch.length === APPEND_BATCH) {
        await this.options.sink.append(batch);
        batch = [];
      }
    }
    if (batch.length) await this.options.sink.append(batch);
    return {
      punchesRead,
      records: result.deviceRecordCount,
      unreadable: result.rejects,
      ...(result.deviceRecordCapacity && { capacity: result.deviceRecordCapacity }),
    };
  }

  private async waitForConfirmation(
    device: string,
    punchesRead: PunchesRead,
    onStep: (step: ClearStep, detail: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await waitUntilConfirmed(device, punchesRead, {
      unconfirmed: this.options.unconfirmed,
      timeoutMs: this.options.confirmTimeoutMs ?? 120_000,
      everyMs: this.options.confirmEveryMs ?? 2_000,
      code: "CLEAR_NOT_CONFIRMED",
      consequence: "not cleared",
      now: this.now,
      ...(signal && { signal }),
      onWaiting: (missing, total) => {
        onStep("confirm", `waiting for the site to confirm ${missing} of ${total} punches`);
        this.options.onSpooled?.();
      },
    });
  }
}

/** Refuses the clear unless every punch the device holds now is one the site confirmed. */
function verifyConfirmed(
  device: string,
  onDevice: ReadResult,
  confirmed: PunchesRead,
  unreadableBefore: number,
): void {
  let unknown = 0;
  for (const punch of onDevice.punches()) if (!confirmed.has(punch.uid)) unknown++;
  if (unknown || onDevice.rejects.length > unreadableBefore) {
    throw new DeviceError(
      "CLEAR_LOG_CHANGED",
      `${device}: ${unknown + Math.max(0, onDevice.rejects.length - unreadableBefore)} record(s) on the device were taken after the read the site confirmed; not cleared (the next pull brings them, and a later clear can go ahead)`,
      { details: { newRecords: unknown, onDevice: onDevice.deviceRecordCount } },
    );
  }
}
