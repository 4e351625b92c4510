import type { DirectionRules } from "../domain/direction.js";
import { DeviceLocks } from "../devices/deviceLock.js";
import { DevicePoller, type CursorStore, type PollResult, type PunchSink } from "../devices/devicePoller.js";
import { LiveChannel } from "../devices/liveChannel.js";
import type { BackoffPolicy } from "../util/backoff.js";
import type { DeviceDriver } from "../drivers/driver.js";
import type { AdmsServer } from "../drivers/adms/admsServer.js";
import { driverForSiteDevice } from "../drivers/registry.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import type { SiteDevice } from "../site/siteApi.js";
import type { StateStore } from "../spool/stateStore.js";

/** A device the sidecar currently serves, with what it last learned about it. */
export interface DeviceRuntime {
  readonly config: SiteDevice;
  readonly driver: DeviceDriver;
  readonly poller: DevicePoller;
  /** Its live event channel (state "off" for families without one). */
  readonly live: LiveChannel;
  lastPoll: PollResult | null;
  lastError: string | null;
  clockDriftSeconds: number | null;
  memoryUsedPercent: number | null;
}

export interface SupervisorOptions {
  readonly sink: PunchSink;
  /** The state store: positional cursors, and the cursors of drivers that keep their own. */
  readonly cursors: CursorStore & StateStore;
  /** The ADMS push server, when this sidecar runs one. */
  readonly admsServer?: AdmsServer | null;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
  /** A live punch was spooled: the uploader should run now. */
  readonly onSpooled?: () => void;
  /** A device's live channel changed state (the service tells the site soon, not at the next heartbeat). */
  readonly onLiveState?: (device: string) => void;
  /** Live channel reconnect backoff and keep-alive (defaults in liveChannel.ts). */
  readonly live?: { readonly backoff?: BackoffPolicy; readonly keepAliveMs?: number };
}

const fingerprint = (d: SiteDevice, rules: DirectionRules | undefined): string => JSON.stringify([d, rules]);

/**
 * The devices assigned to this sidecar. `reconcile` applies a new device list from the site without a
 * restart: new devices are added, changed ones rebuilt (after any read in progress finishes: the per-device
 * lock is shared), removed or disabled ones dropped. Cursors live in the state store, so a rebuilt device
 * keeps its place.
 */
export class DeviceSupervisor {
  private readonly devices = new Map<string, { runtime: DeviceRuntime; fingerprint: string }>();
  private readonly locks = new DeviceLocks();
  private readonly log: Logger;
  unsupported: string[] = [];
  /** Set once the service starts its ADMS push server; ADMS devices need it. */
  admsServer: AdmsServer | null;

  constructor(private readonly options: SupervisorOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "supervisor" });
    this.admsServer = options.admsServer ?? null;
  }

  reconcile(
    devices: readonly SiteDevice[],
    rules?: DirectionRules,
  ): { added: string[]; changed: string[]; removed: string[] } {
    const wanted = new Map(devices.filter((d) => d.enabled).map((d) => [d.name, d]));
    const outcome = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
    for (const name of [...this.devices.keys()]) {
      if (!wanted.has(name)) {
        const runtime = this.devices.get(name)?.runtime;
        void runtime?.live.stop().then(() => runtime.driver.disconnect());
        this.devices.delete(name);
        outcome.removed.push(name);
      }
    }
    this.unsupported = [];
    for (const [name, config] of wanted) {
      const print = fingerprint(config, rules) + (config.driver === "adms" && this.admsServer ? "+adms" : "");
      const existing = this.devices.get(name);
      if (existing?.fingerprint === print) continue;
      const driver = driverForSiteDevice(config, {
        logger: this.options.logger ?? silentLogger,
        timeoutMs: this.options.timeoutMs ?? 10_000,
        state: this.options.cursors,
        admsServer: this.admsServer,
        ...(rules && { directionRules: rules }),
      });
      if (!driver) {
        this.unsupported.push(name);
        continue;
      }
      const poller = new DevicePoller({
        deviceKey: name,
        driver,
        locks: this.locks,
        sink: this.options.sink,
        cursors: this.options.cursors,
        intervalMs: Math.max(1, config.pull_interval_minutes ?? 5) * 60_000,
        logger: this.options.logger,
      });
      // The old channel lets go of the device; the new one queues behind it on the device lock.
      if (existing) void existing.runtime.live.stop();
      const live = new LiveChannel({
        deviceKey: name,
        driver,
        locks: this.locks,
        sink: this.options.sink,
        ...(this.options.onSpooled && { onSpooled: this.options.onSpooled }),
        ...(this.options.onLiveState && { onState: () => this.options.onLiveState?.(name) }),
        ...(this.options.live?.backoff && { backoff: this.options.live.backoff }),
        ...(this.options.live?.keepAliveMs !== undefined && { keepAliveMs: this.options.live.keepAliveMs }),
        ...(this.options.logger && { logger: this.options.logger }),
      });
      live.start();
      this.devices.set(name, {
        fingerprint: print,
        runtime: {
          config,
          driver,
          poller,
          live,
          lastPoll: null,
          lastError: null,
          clockDriftSeconds: null,
          memoryUsedPercent: null,
        },
      });
      (existing ? outcome.changed : outcome.added).push(name);
    }
    if (outcome.added.length || outcome.changed.length || outcome.removed.length)
      this.log.info(outcome, "devices updated from the site");
    if (this.unsupported.length)
      this.log.warn({ devices: this.unsupported }, "devices with a driver this sidecar cannot run yet");
    return outcome;
  }

  get(name: string): DeviceRuntime | undefined {
    return this.devices.get(name)?.runtime;
  }

  all(): DeviceRuntime[] {
    return [...this.devices.values()].map((d) => d.runtime);
  }

  /** Runs `work` with exclusive use of the device (one connection per device). */
  withDevice<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.locks.withDevice(name, work);
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((r) => r.live.stop()));
    await Promise.all(this.all().map((r) => r.driver.disconnect()));
    this.devices.clear();
  }
}
