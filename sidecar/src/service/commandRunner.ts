import { type NaiveDateTime, naiveToEpochMs, parseNaiveBound } from "../domain/naiveTime.js";
import { systemTimeZone, utcMsToWall } from "../domain/timeZone.js";
import type { Punch } from "../domain/punch.js";
import type { PunchSink } from "../devices/devicePoller.js";
import type { ReadProgress } from "../drivers/driver.js";
import { ConfigError, SidecarError, toSidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import type { CommandResult, SiteApi, SiteCommand } from "../site/siteApi.js";
import type { DeviceRuntime, DeviceSupervisor } from "./deviceSupervisor.js";
import type { SyncLogTags } from "./syncLogTags.js";
import { Slots } from "../util/slots.js";
import { LogClearer } from "./logClearer.js";
import { UserCommands } from "./userCommands.js";

export interface CommandRunnerOptions {
  readonly api: SiteApi;
  readonly supervisor: DeviceSupervisor;
  readonly sink: PunchSink;
  /** Tags the punches a run appends with its Sync Log (optional). */
  readonly tags?: SyncLogTags;
  /** Re-reads the device list from the site (reload_config). */
  readonly reloadConfig: () => Promise<void>;
  /** Called when punches were added to the spool, so the uploader runs now. */
  readonly onSpooled?: () => void;
  readonly logger?: Logger;
  /** Minimum gap between progress reports of one command. */
  readonly progressEveryMs?: number;
  readonly now?: () => number;
  /** Commands running at once (different devices). Default DEFAULT_MAX_CONCURRENT_COMMANDS. */
  readonly maxConcurrent?: number;
  /** clear_log: how long to wait for the site to confirm every punch read before refusing the clear. */
  readonly clearConfirmTimeoutMs?: number;
  readonly clearConfirmEveryMs?: number;
  /** user_delete: how long to wait for the site to confirm the user's punches before refusing the delete. */
  readonly userConfirmTimeoutMs?: number;
  readonly userConfirmEveryMs?: number;
}

const APPEND_BATCH = 1000;

/** Commands running at once across devices: each holds a device connection and a little memory. */
export const DEFAULT_MAX_CONCURRENT_COMMANDS = 4;

/**
 * Claims queued commands over REST and runs them: the site's outbox is the source of truth, realtime events
 * only say "look now". Each command gets progress reports while it runs and exactly one completion, Done or
 * Failed with a coded reason. A command seen twice (a duplicate nudge racing a claim) runs once.
 *
 * Commands for different devices run side by side (up to `maxConcurrent`), so a slow terminal holds up only
 * its own queue; a device's commands run one after another in the order claimed. Commands without a device
 * (reload_config) run before the device commands claimed with them, which may need the new configuration.
 */
export class CommandRunner {
  private readonly log: Logger;
  private readonly seen = new Set<string>();
  private claiming: Promise<void> | null = null;
  private again = false;
  /** The tail of each device's queue. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private readonly slots: Slots;
  private readonly clearer: LogClearer;
  private readonly users: UserCommands;

  constructor(private readonly options: CommandRunnerOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "commands" });
    this.slots = new Slots(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_COMMANDS);
    this.clearer = new LogClearer({
      withDevice: (device, work) => options.supervisor.withDevice(device, work),
      sink: options.sink,
      unconfirmed: (device, punches, signal) => options.api.unconfirmedPunches(device, punches, signal),
      ...(options.onSpooled && { onSpooled: options.onSpooled }),
      ...(options.clearConfirmTimeoutMs !== undefined && { confirmTimeoutMs: options.clearConfirmTimeoutMs }),
      ...(options.clearConfirmEveryMs !== undefined && { confirmEveryMs: options.clearConfirmEveryMs }),
      ...(options.logger && { logger: options.logger }),
    });
    this.users = new UserCommands({
      api: options.api,
      withDevice: (device, work) => options.supervisor.withDevice(device, work),
      sink: options.sink,
      ...(options.onSpooled && { onSpooled: options.onSpooled }),
      ...(options.userConfirmTimeoutMs !== undefined && { confirmTimeoutMs: options.userConfirmTimeoutMs }),
      ...(options.userConfirmEveryMs !== undefined && { confirmEveryMs: options.userConfirmEveryMs }),
      ...(options.logger && { logger: options.logger }),
    });
  }

  /**
   * Claims whatever is queued and starts it; overlapping calls coalesce into one more claim. Resolves once
   * the claim is made and its commands are started, not when they finish (see `idle`).
   */
  kick(): Promise<void> {
    if (this.claiming) {
      this.again = true;
      return this.claiming;
    }
    this.claiming = (async () => {
      do {
        this.again = false;
        await this.claimAndDispatch();
      } while (this.again);
    })().finally(() => (this.claiming = null));
    return this.claiming;
  }

  /** Resolves when no command is running or waiting (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.claiming || this.running.size) {
      await Promise.allSettled([this.claiming, ...this.running]);
    }
  }

  private async claimAndDispatch(): Promise<void> {
    let commands: SiteCommand[];
    try {
      commands = await this.options.api.claimCommands();
    } catch (error) {
      this.log.warn(
        { code: toSidecarError(error).code, err: (error as Error).message },
        "could not claim commands; will retry",
      );
      return;
    }
    const fresh = commands.filter((command) => !this.seen.has(command.name));
    for (const command of fresh) this.seen.add(command.name);
    for (const command of fresh.filter((c) => !c.device)) await this.run(command);
    for (const command of fresh.filter((c) => c.device)) this.enqueue(command.device!, command);
  }

  private enqueue(device: string, command: SiteCommand): void {
    const previous = this.queues.get(device) ?? Promise.resolve();
    const tail: Promise<void> = previous
      .then(() => this.slots.run(() => this.run(command)))
      .finally(() => {
        this.running.delete(tail);
        if (this.queues.get(device) === tail) this.queues.delete(device);
      });
    this.queues.set(device, tail);
    this.running.add(tail);
  }

  private async run(command: SiteCommand): Promise<void> {
    const log = this.log.child({ command: command.name, type: command.command_type, device: command.device });
    let status: "Done" | "Failed" = "Done";
    let result: CommandResult;
    try {
      result = await this.execute(command);
    } catch (error) {
      const coded = toSidecarError(error);
      status = "Failed";
      result = { error: `${coded.code}: ${coded.message}`, code: coded.code };
      log.warn({ code: coded.code, err: coded.message }, "command failed");
    }
    try {
      await this.options.api.completeCommand(command.name, status, result);
    } catch (error) {
      // The site expires unanswered commands; the punches are in the spool either way.
      log.error({ err: (error as Error).message }, "could not report the command's result");
    }
    // Answered: if the site hands it out again (a device-user command queued for a later try), it runs again.
    this.seen.delete(command.name);
  }

  private async execute(command: SiteCommand): Promise<CommandResult> {
    switch (command.command_type) {
      case "reload_config":
        await this.options.reloadConfig();
        return { devices: this.options.supervisor.all().length };
      case "pull":
        return this.tagged(command, (runtime) => this.pull(command, runtime));
      case "pull_range":
        return this.tagged(command, (runtime) => this.pullRange(command, runtime));
      case "test_connection":
        return this.testConnection(this.device(command));
      case "sync_time":
        return this.syncTime(this.device(command));
      case "clear_log":
        return this.tagged(command, (runtime) => this.clearLog(command, runtime));
      case "users_read":
      case "user_set":
      case "template_set":
        return this.users.run(command, this.device(command));
      case "user_delete":
        // Tagged: the user's punches read before the delete are spooled under the command's Sync Log.
        return this.tagged(command, (runtime) => this.users.run(command, runtime));
      default:
        throw new SidecarError(
          "DEVICE_COMMAND_FAILED",
          `this sidecar does not know the command type "${command.command_type}"`,
        );
    }
  }

  /** Runs a reading command with its appends tagged with the command's Sync Log. */
  private async tagged(
    command: SiteCommand,
    work: (runtime: DeviceRuntime) => Promise<CommandResult>,
  ): Promise<CommandResult> {
    const runtime = this.device(command);
    this.options.tags?.begin(runtime.config.name, command.sync_log);
    try {
      return await work(runtime);
    } finally {
      this.options.tags?.end(runtime.config.name);
    }
  }

  private device(command: SiteCommand): DeviceRuntime {
    const runtime = command.device ? this.options.supervisor.get(command.device) : undefined;
    if (!runtime) {
      throw new ConfigError([
        `device "${command.device ?? ""}" is not enabled on this sidecar, or lacks what its driver needs ` +
          "(zk: host; adms: serial number; hikvision: host, username, password; essl: URL, username, password and " +
          "the device serial for eTimeTrackLite)",
      ]);
    }
    return runtime;
  }

  private progressReporter(command: SiteCommand): (p: ReadProgress) => void {
    let last = 0;
    const every = this.options.progressEveryMs ?? 500;
    return (p) => {
      const now = Date.now();
      if (now - last < every && p.bytesRead < p.bytesTotal) return;
      last = now;
      void this.options.api
        .reportProgress(
          command.name,
          p.bytesRead,
          p.bytesTotal,
          `read ${Math.round((100 * p.bytesRead) / Math.max(1, p.bytesTotal))}%`,
        )
        .catch(() => undefined);
    };
  }

  private async pull(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const poller = runtime.poller;
    try {
      const result = await poller.pollOnce(undefined, this.progressReporter(command));
      runtime.lastPoll = result;
      runtime.lastError = null;
      if (result.deviceRecordCapacity)
        runtime.memoryUsedPercent = usedPercent(result.deviceRecordCount, result.deviceRecordCapacity);
      this.afterRead(runtime, result.readThrough);
      if (result.fresh) this.options.onSpooled?.();
      return {
        read: result.fresh,
        on_device: result.deviceRecordCount,
        rejected: result.rejects.length,
        ...(result.readThrough && { read_through: result.readThrough }),
        ...this.health(runtime),
      };
    } catch (error) {
      runtime.lastError = toSidecarError(error).code;
      throw error;
    }
  }

  private async pullRange(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const payload = (command.payload ?? {}) as { from?: unknown; to?: unknown };
    const since = typeof payload.from === "string" ? parseNaiveBound(payload.from) : null;
    const untilRaw = typeof payload.to === "string" ? payload.to.trim() : null;
    const until = untilRaw
      ? parseNaiveBound(/^\d{4}-\d{2}-\d{2}$/.test(untilRaw) ? `${untilRaw} 23:59:59` : untilRaw)
      : null;
    if ((payload.from && !since) || (untilRaw && !until))
      throw new ConfigError([`pull_range dates must be YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"`]);
    const appended = await this.options.supervisor.withDevice(runtime.config.name, async () => {
      try {
        const result = await runtime.driver.readPunches({
          window: { ...(since && { since }), ...(until && { until }) },
          onProgress: this.progressReporter(command),
        });
        // Everything in the range goes to the spool, cursor or not: the site answers "duplicate" for what it has.
        let batch: Punch[] = [];
        let count = 0;
        for (const punch of result.punches()) {
          batch.push(punch);
          if (batch.length === APPEND_BATCH) {
            await this.options.sink.append(batch);
            count += batch.length;
            batch = [];
          }
        }
        if (batch.length) await this.options.sink.append(batch);
        return count + batch.length;
      } finally {
        await runtime.driver.disconnect();
      }
    });
    if (appended) this.options.onSpooled?.();
    return { read: appended, ...(since && { from: since }), ...(until && { to: until }) };
  }

  private async clearLog(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const steps = { read: 1, confirm: 2, clear: 3 } as const;
    const outcome = await this.clearer.clear(runtime, (step, detail) => {
      void this.options.api.reportProgress(command.name, steps[step], 3, detail).catch(() => undefined);
    });
    if (outcome.capacity) runtime.memoryUsedPercent = usedPercent(outcome.remaining, outcome.capacity);
    return {
      read: outcome.records,
      confirmed: outcome.confirmed,
      cleared: outcome.cleared,
      remaining: outcome.remaining,
      unreadable: outcome.unreadable.length,
      ...(outcome.unreadable.length && { unreadable_records: outcome.unreadable.map((r) => ({ ...r })) }),
      ...this.health(runtime),
    };
  }

  private async testConnection(runtime: DeviceRuntime): Promise<CommandResult> {
    const info = await this.options.supervisor.withDevice(runtime.config.name, async () => {
      try {
        return await runtime.driver.test();
      } finally {
        await runtime.driver.disconnect();
      }
    });
    if (info.punchCount !== null && info.punchCapacity)
      runtime.memoryUsedPercent = usedPercent(info.punchCount, info.punchCapacity);
    this.afterRead(runtime, info.clock);
    return {
      serial_number: info.serialNumber,
      firmware: info.firmware,
      platform: info.platform,
      device_name: info.deviceName,
      users: info.userCount,
      punches: info.punchCount,
      capacity: info.punchCapacity,
      device_clock: info.clock,
      ...this.health(runtime),
    };
  }

  private async syncTime(runtime: DeviceRuntime): Promise<CommandResult> {
    const zone = runtime.config.time_zone ?? systemTimeZone();
    const now = utcMsToWall(this.options.now?.() ?? Date.now(), zone);
    await this.options.supervisor.withDevice(runtime.config.name, async () => {
      try {
        await runtime.driver.setTime(now);
      } finally {
        await runtime.driver.disconnect();
      }
    });
    runtime.clockDriftSeconds = 0;
    return { set_to: now, time_zone: zone, clock_drift_seconds: 0 };
  }

  /** Clock drift: the device's wall clock against the host's clock in the device's zone. */
  private afterRead(runtime: DeviceRuntime, deviceClock: NaiveDateTime | null): void {
    if (!deviceClock) return;
    const zone = runtime.config.time_zone ?? systemTimeZone();
    const hostWall = utcMsToWall(this.options.now?.() ?? Date.now(), zone);
    runtime.clockDriftSeconds = Math.round((naiveToEpochMs(deviceClock) - naiveToEpochMs(hostWall)) / 1000);
  }

  private health(runtime: DeviceRuntime): CommandResult {
    return {
      ...(runtime.clockDriftSeconds !== null && { clock_drift_seconds: runtime.clockDriftSeconds }),
      ...(runtime.memoryUsedPercent !== null && { memory_used_percent: runtime.memoryUsedPercent }),
    };
  }
}

/** Log memory use, one decimal (the site alerts above its threshold). */
function usedPercent(records: number, capacity: number): number {
  return Math.round((1000 * records) / capacity) / 10;
}
