import type { Punch } from "../domain/punch.js";
import type { DeviceDriver } from "../drivers/driver.js";
import { DeviceError, toSidecarError, type SidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import { anySignal, sleep } from "../util/abort.js";
import { type BackoffPolicy, backoffDelay } from "../util/backoff.js";
import type { DeviceLocks } from "./deviceLock.js";
import type { PunchSink } from "./devicePoller.js";

/** What the heartbeat says of a device's live channel. */
export interface LiveState {
  /** up: subscribed (or paused for a read, which covers it); down: not connected; off: the family has none. */
  readonly state: "up" | "down" | "off";
  /** Why it is down, as "<CODE>: message"; null when up or off. */
  readonly error: string | null;
  /** When this state began (ISO 8601). */
  readonly since: string;
}

export interface LiveChannelOptions {
  readonly deviceKey: string;
  readonly driver: DeviceDriver;
  readonly locks: DeviceLocks;
  /** Resolves once a punch is durable (the spool); the device is acknowledged only after that. */
  readonly sink: PunchSink;
  /** A punch was stored: the uploader should run now. */
  readonly onSpooled?: () => void;
  /** Reconnect delays after a failure. Default 1 s doubling to 60 s. */
  readonly backoff?: BackoffPolicy;
  /** ZK keep-alive (GET_TIME) period on a quiet channel. */
  readonly keepAliveMs?: number;
  /** Told of every change of state (the watch command prints them). */
  readonly onState?: (state: LiveState) => void;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly now?: () => number;
}

export const LIVE_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, factor: 2 };

/** Can this driver hold a channel the sidecar keeps open? (ADMS pushes to our server instead.) */
export function hasLiveChannel(driver: DeviceDriver): boolean {
  return driver.capabilities.live && typeof driver.live === "function" && driver.kind !== "adms";
}

/**
 * Holds one device's live event channel between reads: each punch it delivers goes to the spool at once (the
 * same road as pulled punches; the uid makes it one punch with the poll's copy). It holds the device only while
 * nobody else wants it (DeviceLocks.holdWhileIdle): a poll closes the channel, reads, and the channel comes back.
 * A drop is retried with backoff; what the channel missed meanwhile is still on the device for the next poll.
 */
export class LiveChannel {
  private readonly log: Logger;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | null = null;
  private current: LiveState;
  private failures = 0;
  private stored = 0;

  constructor(private readonly options: LiveChannelOptions) {
    this.log = (options.logger ?? silentLogger).child({ device: options.deviceKey, module: "live" });
    this.current = hasLiveChannel(options.driver)
      ? this.stateOf("down", "DEVICE_CLOSED: not connected yet")
      : this.stateOf("off", null);
  }

  get state(): LiveState {
    return this.current;
  }

  /** Punches this channel put in the spool. */
  get punchesStored(): number {
    return this.stored;
  }

  start(): void {
    if (this.loop || this.current.state === "off") return;
    this.loop = this.run();
  }

  /** Closes the channel (an event being stored is finished first). */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const stop = this.stopper.signal;
    const { driver, locks, deviceKey } = this.options;
    while (!stop.aborted) {
      let failure: SidecarError | null = null;
      await locks.holdWhileIdle(deviceKey, async (yieldSignal) => {
        // A poll's request to pause waits until the channel is set up, so it is closed gracefully (ZK CMD_EXIT):
        // a socket cut mid-handshake holds the terminal's only session a moment longer and the poll is refused.
        const link = new AbortController();
        let ready = false;
        const { signal: stopOrYield, dispose } = anySignal([stop, yieldSignal]);
        const onPause = (): void => {
          if (stop.aborted || ready) link.abort();
        };
        stopOrYield.addEventListener("abort", onPause, { once: true });
        onPause();
        try {
          await driver.live!((punch) => this.store(punch), link.signal, {
            ...(this.options.keepAliveMs !== undefined && { keepAliveMs: this.options.keepAliveMs }),
            onReady: () => {
              ready = true;
              this.failures = 0;
              this.setState("up", null);
              if (stopOrYield.aborted) link.abort();
            },
          });
          if (!link.signal.aborted)
            failure = new DeviceError("DEVICE_CLOSED", "the live channel ended without being asked to");
        } catch (error) {
          if (!link.signal.aborted) failure = toSidecarError(error, "DEVICE_CLOSED");
        } finally {
          stopOrYield.removeEventListener("abort", onPause);
          dispose();
          await driver.disconnect().catch(() => undefined);
        }
      });
      if (stop.aborted) break;
      // Paused for a read (or someone still wants the device): queue up behind them and come back.
      if (!failure) continue;
      const coded: SidecarError = failure;
      this.failures++;
      this.setState("down", `${coded.code}: ${coded.message}`);
      const backoff = this.options.backoff ?? LIVE_BACKOFF;
      const delay = coded.retryable
        ? backoffDelay(this.failures, backoff, this.options.random)
        : backoff.maxMs;
      this.log.warn(
        { code: coded.code, failures: this.failures, retryInMs: delay, err: coded.message },
        "live channel down; reconnecting",
      );
      try {
        await sleep(delay, stop);
      } catch {
        break;
      }
    }
  }

  private async store(punch: Punch): Promise<void> {
    await this.options.sink.append([punch]);
    this.stored++;
    this.options.onSpooled?.();
  }

  private setState(state: LiveState["state"], error: string | null): void {
    // "since" is when the state began: a down channel failing again with another error is still down since then.
    if (this.current.state === state) {
      if (this.current.error !== error) {
        this.current = { ...this.current, error };
        this.options.onState?.(this.current);
      }
      return;
    }
    if (state === "up") this.log.info({}, "live channel up");
    this.current = this.stateOf(state, error);
    this.options.onState?.(this.current);
  }

  private stateOf(state: LiveState["state"], error: string | null): LiveState {
    return { state, error, since: new Date(this.options.now?.() ?? Date.now()).toISOString() };
  }
}
