import type { DirectionRules } from "../domain/direction.js";
import { DeviceLocks } from "../devices/deviceLock.js";
import { DevicePoller, type CursorStore, type PollResult, type PunchSink } from "../devices/devicePoller.js";
import type { DeviceDriver } from "../drivers/driver.js";
import { ZkDriver } from "../drivers/zk/zkDriver.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import type { SiteDevice } from "../site/siteApi.js";

/** A device the sidecar currently serves, with what it last learned about it. */
export interface DeviceRuntime {
  readonly config: SiteDevice;
  readonly driver: DeviceDriver;
  readonly poller: DevicePoller;
  lastPoll: PollResult | null;
  lastError: string | null;
  clockDriftSeconds: number | null;
  memoryUsedPercent: number | null;
}

export interface SupervisorOptions {
  readonly sink: PunchSink;
  readonly cursors: CursorStore;
  readonly logger?: Logger;
  readonly timeoutMs?: number;
}

/** Drivers this sidecar build can run; others are reported as unsupported instead of failing the rest. */
function makeDriver(
  device: SiteDevice,
  rules: DirectionRules | undefined,
  logger: Logger,
  timeoutMs: number,
): DeviceDriver | null {
  if (device.driver !== "zk" || !device.host) return null;
  const commKey = Number(device.comm_key ?? 0);
  return new ZkDriver({
    host: device.host,
    port: device.port ?? 4370,
    commKey: Number.isInteger(commKey) && commKey >= 0 ? commKey : 0,
    deviceId: device.name,
    timeoutMs,
    logger,
    ...(rules && { directionRules: rules }),
  });
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

  constructor(private readonly options: SupervisorOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "supervisor" });
  }

  reconcile(
    devices: readonly SiteDevice[],
    rules?: DirectionRules,
  ): { added: string[]; changed: string[]; removed: string[] } {
    const wanted = new Map(devices.filter((d) => d.enabled).map((d) => [d.name, d]));
    const outcome = { added: [] as string[], changed: [] as string[], removed: [] as string[] };
    for (const name of [...this.devices.keys()]) {
      if (!wanted.has(name)) {
        void this.devices.get(name)?.runtime.driver.disconnect();
        this.devices.delete(name);
        outcome.removed.push(name);
      }
    }
    this.unsupported = [];
    for (const [name, config] of wanted) {
      const print = fingerprint(config, rules);
      const existing = this.devices.get(name);
      if (existing?.fingerprint === print) continue;
      const driver = makeDriver(
        config,
        rules,
        this.options.logger ?? silentLogger,
        this.options.timeoutMs ?? 10_000,
      );
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
      this.devices.set(name, {
        fingerprint: print,
        runtime: {
          config,
          driver,
          poller,
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
    await Promise.all(this.all().map((r) => r.driver.disconnect()));
    this.devices.clear();
  }
}
