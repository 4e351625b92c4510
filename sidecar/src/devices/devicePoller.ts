import { toSidecarError, type SidecarError } from "../errors.js";
import type { NaiveDateTime } from "../domain/naiveTime.js";
import type { Punch } from "../domain/punch.js";
import type { DeviceDriver, ReadProgress, RecordReject } from "../drivers/driver.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import { sleep } from "../util/abort.js";
import { type BackoffPolicy, DEFAULT_BACKOFF, backoffDelay } from "../util/backoff.js";
import type { DeviceLocks } from "./deviceLock.js";
import {
  type CursorOutcome,
  cursorAfter,
  EMPTY_CURSOR,
  isPullCursor,
  planAfterCursor,
  type PullCursor,
} from "./pullCursor.js";

const APPEND_BATCH = 1000;

/** Where punches go: resolves only once they are durable (the spool). */
export interface PunchSink {
  append(punches: readonly Punch[]): Promise<unknown>;
}

/** Small durable key/value state (cursors); `set` resolves once the value is on disk. */
export interface CursorStore {
  get(key: string): unknown;
  set(key: string, value: PullCursor): Promise<void>;
}

export interface PollResult {
  readonly device: string;
  readonly read: number;
  readonly fresh: number;
  readonly rejects: readonly RecordReject[];
  readonly outcome: CursorOutcome;
  readonly deviceRecordCount: number;
  /** The log's capacity where the family reports it (ZK), for memory use. */
  readonly deviceRecordCapacity?: number;
  /** Device wall-clock time up to which every punch has been read (the device's clock at the read). */
  readonly readThrough: NaiveDateTime | null;
  readonly durationMs: number;
}

export interface DevicePollerOptions {
  /** The device's key for locks and cursors (the Biometric Device name, or its URL standalone). */
  readonly deviceKey: string;
  readonly driver: DeviceDriver;
  readonly locks: DeviceLocks;
  readonly sink: PunchSink;
  readonly cursors: CursorStore;
  readonly intervalMs: number;
  readonly backoff?: BackoffPolicy;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly onProgress?: (progress: ReadProgress) => void;
}

/**
 * Pulls one device: read (under the device lock), keep what is after the cursor, make it durable, and only
 * then move the cursor. A crash between the append and the cursor write re-sends those punches next time,
 * which the site answers with "duplicate"; the reverse order could lose them.
 */
export class DevicePoller {
  private readonly log: Logger;
  private failures = 0;

  constructor(private readonly options: DevicePollerOptions) {
    this.log = (options.logger ?? silentLogger).child({ device: options.deviceKey });
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  async pollOnce(
    signal?: AbortSignal,
    onProgress: ((progress: ReadProgress) => void) | undefined = this.options.onProgress,
  ): Promise<PollResult> {
    const { driver, deviceKey, locks, sink, cursors } = this.options;
    const started = Date.now();
    return locks.withDevice(deviceKey, async () => {
      try {
        const result = await driver.readPunches({ signal, onProgress });
        const key = `cursor:${deviceKey}`;
        const stored = cursors.get(key);
        const cursor = isPullCursor(stored) ? stored : EMPTY_CURSOR;
        // A driver with its own cursor already read only what is new: everything it returned is fresh.
        const plan = result.incremental
          ? { outcome: "continued" as const, skip: 0 }
          : planAfterCursor(result.punches(), cursor);
        if (plan.outcome !== "continued") {
          this.log.warn(
            { outcome: plan.outcome, cursor },
            "device log no longer matches the cursor; resending from the anchor",
          );
        }
        // Streamed to the sink in batches: a full read of a large log is never held as objects all at once.
        let index = 0;
        let fresh = 0;
        let lastUid: string | null = null;
        let batch: Punch[] = [];
        for (const punch of result.punches()) {
          if (index++ < plan.skip) continue;
          batch.push(punch);
          lastUid = punch.uid;
          if (batch.length >= APPEND_BATCH) {
            await sink.append(batch);
            fresh += batch.length;
            batch = [];
          }
        }
        if (batch.length > 0) await sink.append(batch);
        fresh += batch.length;
        if (result.incremental) await result.commit?.();
        else await cursors.set(key, cursorAfter(plan, cursor, result.punchCount, lastUid));
        return {
          device: deviceKey,
          read: result.punchCount,
          fresh,
          rejects: result.rejects,
          outcome: plan.outcome,
          deviceRecordCount: result.deviceRecordCount,
          ...(result.deviceRecordCapacity && { deviceRecordCapacity: result.deviceRecordCapacity }),
          readThrough: result.deviceClock,
          durationMs: Date.now() - started,
        };
      } finally {
        await driver.disconnect();
      }
    });
  }

  /**
   * Forgets the position after the device's log was cleared, so the next read starts at its first record.
   * Call with the device lock held (the clear and the reset are one step for the poller).
   */
  async resetCursor(): Promise<void> {
    await this.options.cursors.set(`cursor:${this.options.deviceKey}`, EMPTY_CURSOR);
  }

  /** Polls every `intervalMs` until `signal` aborts; failures back off with jitter and never end the loop. */
  async run(
    signal: AbortSignal,
    onResult?: (result: PollResult) => void,
    onError?: (error: SidecarError) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      let delay = this.options.intervalMs;
      try {
        const result = await this.pollOnce(signal);
        this.failures = 0;
        onResult?.(result);
      } catch (error) {
        if (signal.aborted) break;
        const coded = toSidecarError(error);
        this.failures++;
        delay = coded.retryable
          ? backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random)
          : this.options.intervalMs;
        this.log.warn(
          {
            code: coded.code,
            retryable: coded.retryable,
            failures: this.failures,
            retryInMs: delay,
            err: coded.message,
          },
          "poll failed",
        );
        onError?.(coded);
      }
      try {
        await sleep(delay, signal);
      } catch {
        break;
      }
    }
  }
}
