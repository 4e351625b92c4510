import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SidecarConfig, SiteSettings } from "../config/schema.js";
import { ConfigError, toSidecarError, type SidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import { AdmsServer, type AdmsDevice } from "../drivers/adms/admsServer.js";
import type { RecordReject } from "../drivers/driver.js";
import { systemTimeZone } from "../domain/timeZone.js";
import { CommandChannel } from "../site/commandChannel.js";
import { RejectLog } from "../site/rejectLog.js";
import { SiteApi, type SiteConfig } from "../site/siteApi.js";
import { SiteClient } from "../site/siteClient.js";
import { Uploader } from "../site/uploader.js";
import { Spool } from "../spool/spool.js";
import { StateStore } from "../spool/stateStore.js";
import { sleep } from "../util/abort.js";
import type { Punch } from "../domain/punch.js";
import { CommandRunner } from "./commandRunner.js";
import { SyncLogTags } from "./syncLogTags.js";
import {
  admsLiveState,
  admsReadThrough,
  type DeviceReachability,
  deviceReachability,
  type LiveReport,
  liveReport,
} from "./deviceHealth.js";
import { type DeviceRuntime, DeviceSupervisor } from "./deviceSupervisor.js";

export async function resolveApiSecret(
  site: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
  baseDir = process.cwd(),
): Promise<string> {
  if (site.apiSecret) return site.apiSecret;
  if (site.apiSecretEnv) {
    const value = env[site.apiSecretEnv];
    if (!value)
      throw new ConfigError([`site.apiSecretEnv: environment variable ${site.apiSecretEnv} is not set`]);
    return value;
  }
  const file = path.resolve(baseDir, site.apiSecretFile!);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    throw new ConfigError([`site.apiSecretFile: cannot read ${file}: ${(error as Error).message}`]);
  }
}

/** A wake-up that is not lost when nobody is waiting yet: the next `wait` then returns at once. */
class Wakeup {
  private waiters: (() => void)[] = [];
  private pending = false;
  wake(): void {
    if (this.waiters.length === 0) this.pending = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * The long-running sidecar: devices from the site, punches through the spool to the site, commands from the
 * site's outbox (nudged over socket.io, claimed over REST on every reconnect and on a timer), a heartbeat.
 * Start order: state → site config → uploader → commands; stop in reverse, each step guarded.
 */
export class SidecarService {
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly loops: Promise<unknown>[] = [];
  private spool: Spool | null = null;
  private state: StateStore | null = null;
  private channel: CommandChannel | null = null;
  private supervisor: DeviceSupervisor | null = null;
  private runner: CommandRunner | null = null;
  private api: SiteApi | null = null;
  private adms: AdmsServer | null = null;
  /** Why the ADMS push server is not listening (reported for the site's ADMS terminals), or null. */
  private admsError: SidecarError | null = null;
  private admsWanted: string[] = [];
  private readonly uploadWake = new Wakeup();
  private readonly startedMs = Date.now();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  uploadError: SidecarError | null = null;

  constructor(
    private readonly config: SidecarConfig & { site: SiteSettings },
    private readonly apiSecret: string,
    private readonly version: string,
    logger: Logger = silentLogger,
  ) {
    this.log = logger;
  }

  get spoolDepth(): number {
    return this.spool?.depth() ?? 0;
  }

  get devices(): DeviceSupervisor {
    if (!this.supervisor) throw new Error("not started");
    return this.supervisor;
  }

  async start(): Promise<void> {
    const { site } = this.config;
    this.spool = await Spool.open(path.join(this.config.spoolDir, "spool"), { logger: this.log });
    this.state = await StateStore.open(this.config.spoolDir, { logger: this.log });
    const client = new SiteClient({
      url: site.url,
      apiKey: site.apiKey,
      apiSecret: this.apiSecret,
      siteName: site.siteName,
    });
    const api = new SiteApi(client, site.sidecar);
    this.api = api;
    const spool = this.spool;
    const tags = new SyncLogTags(this.state);
    // Appends remember which run's Sync Log they belong to, so uploads are counted in that log on the site.
    const sink = {
      append: async (punches: readonly Punch[]): Promise<number[]> => {
        const seqs = await spool.append(punches);
        if (punches[0]) await tags.note(punches[0].device, seqs);
        return seqs;
      },
    };
    this.supervisor = new DeviceSupervisor({
      sink,
      cursors: this.state,
      logger: this.log,
      // A live punch is uploaded now, not at the uploader's next idle tick.
      onSpooled: () => this.uploadWake.wake(),
      onLiveState: () => this.heartbeatSoon(),
    });
    await this.reloadConfig(true);

    const uploader = new Uploader({
      source: spool,
      client,
      rejects: new RejectLog(path.join(this.config.spoolDir, "rejected.jsonl")),
      sidecar: site.sidecar,
      logger: this.log,
      syncLogOf: (seq) => tags.syncLogOf(seq),
    });
    const signal = this.abort.signal;
    this.loops.push(
      uploader.run(signal, { idleMs: 10_000, wake: () => this.uploadWake.wait() }).then((error) => {
        // Only a non-retryable failure (a refused key) ends the loop; the heartbeat keeps reporting it.
        this.uploadError = error;
      }),
    );
    this.runner = new CommandRunner({
      api,
      supervisor: this.supervisor,
      sink,
      tags,
      reloadConfig: () => this.reloadConfig(false),
      onSpooled: () => this.uploadWake.wake(),
      logger: this.log,
      clearConfirmTimeoutMs: site.clearConfirmSeconds * 1000,
      clearConfirmEveryMs: 1000,
      // A user delete waits for the site the same way a clear does.
      userConfirmTimeoutMs: site.clearConfirmSeconds * 1000,
      userConfirmEveryMs: 1000,
    });
    const runner = this.runner;
    this.channel = new CommandChannel({
      socketUrl: site.socketUrl ?? site.url,
      siteUrl: site.url,
      siteName: site.siteName,
      apiKey: site.apiKey,
      apiSecret: this.apiSecret,
      logger: this.log,
    });
    this.channel.start(() => void runner.kick());
    this.loops.push(this.every(site.claimIntervalSeconds, () => runner.kick()));
    this.loops.push(this.every(site.heartbeatIntervalSeconds, () => this.heartbeat(), true));
    this.loops.push(this.every(site.configRefreshSeconds, () => this.reloadConfig(false)));
    void runner.kick();
    this.log.info({ sidecar: site.sidecar, devices: this.supervisor.all().length }, "sidecar started");
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.uploadWake.wake();
    this.channel?.stop();
    await Promise.allSettled(this.loops);
    // Commands in flight finish and report before their devices and the spool close.
    await this.runner?.idle();
    await this.adms?.stop().catch(() => undefined);
    await this.supervisor?.stop().catch(() => undefined);
    await this.spool?.close().catch(() => undefined);
    await this.state?.close().catch(() => undefined);
    this.log.info({}, "sidecar stopped");
  }

  /** Re-reads this sidecar's devices from the site; at start it waits (with backoff) until the site answers. */
  private async reloadConfig(waitForSite: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const config = await this.api!.getConfig(this.abort.signal);
        await this.applyAdms(
          config.devices,
          config.adms_listen_address ?? null,
          config.site_time_zone ?? null,
        );
        this.supervisor!.reconcile(config.devices, config.direction_rules ?? undefined);
        return;
      } catch (error) {
        const coded = toSidecarError(error, "SITE_UNAVAILABLE");
        if (!waitForSite || !coded.retryable || this.abort.signal.aborted) throw coded;
        const delay = Math.min(60_000, 1_000 * 2 ** Math.min(attempt, 6));
        this.log.warn({ code: coded.code, retryInMs: delay, err: coded.message }, "site not reachable yet");
        await sleep(delay, this.abort.signal);
      }
    }
  }

  /**
   * ADMS terminals push to us: the push server runs when the site gives this sidecar a listen address or an
   * ADMS device, and its list of known serial numbers follows the site's device list.
   */
  private async applyAdms(
    devices: SiteConfig["devices"],
    listen: string | null,
    siteZone: string | null,
  ): Promise<void> {
    const admsDevices: AdmsDevice[] = devices
      .filter((d) => d.enabled && d.driver === "adms" && d.serial_number)
      .map((d) => ({ serialNumber: d.serial_number!, deviceName: d.name, timeZone: d.time_zone ?? null }));
    if (!this.adms && (listen || admsDevices.length)) {
      const [host, port] = (listen ?? "0.0.0.0:8081").split(/:(?=\d+$)/);
      const rejects = new RejectLog<{ device: string; reject: RecordReject; at: string }>(
        path.join(this.config.spoolDir, "adms-rejected.jsonl"),
      );
      const server = new AdmsServer({
        host: host || "0.0.0.0",
        port: Number(port ?? 8081),
        devices: admsDevices,
        sink: {
          append: async (punches) => {
            await this.spool!.append(punches);
            this.uploadWake.wake();
          },
        },
        state: this.state!,
        defaultTimeZone: siteZone ?? systemTimeZone(),
        logger: this.log,
        // Reported to the site (throttled by the server), where a manager approves it by enabling the device.
        onUnknownDevice: (serialNumber, address) => {
          this.log.warn(
            { serialNumber, address },
            "an unknown ADMS terminal is pushing; it is listed on the site as Discovered",
          );
          void this.api?.reportUnknownDevice(serialNumber, address).catch((error: unknown) => {
            this.log.warn({ err: (error as Error).message }, "could not report the unknown ADMS terminal");
          });
        },
        // Users the terminal uploads (enrolled or edited there, or answering DATA QUERY USERINFO): reported as they
        // arrive, after the terminal was answered; metadata, so a failed report is only logged.
        onUsers: (device, users) => {
          void this.api
            ?.reportDeviceUsers(
              device.deviceName,
              users.map((u) => u.record),
              false,
            )
            .catch((error: unknown) => {
              this.log.warn(
                { device: device.deviceName, err: (error as Error).message },
                "could not report ADMS terminal users",
              );
            });
        },
        onRejects: (device, list) =>
          rejects.append(
            list.map((reject) => ({ device: device.deviceName, reject, at: new Date().toISOString() })),
          ),
      });
      try {
        const address = await server.start();
        this.adms = server;
        this.admsError = null;
        this.log.info(address, "ADMS push server listening");
        this.supervisor!.admsServer = server;
      } catch (error) {
        // Not the site's fault and not the other devices' either: they run; listening is tried again on the
        // next config refresh, and the heartbeat reports the ADMS terminals with this error meanwhile.
        this.admsError = toSidecarError(error, "ADMS_LISTEN_FAILED");
        this.log.error(
          {
            code: this.admsError.code,
            err: this.admsError.message,
            retryInSeconds: this.config.site.configRefreshSeconds,
          },
          "the ADMS push server cannot listen: ADMS terminals cannot push until it can",
        );
      }
    }
    this.admsWanted = admsDevices.map((d) => d.deviceName);
    this.adms?.setDevices(admsDevices);
  }

  private async heartbeat(): Promise<void> {
    await this.api!.heartbeat({
      version: this.version,
      spool_depth: this.spoolDepth,
      devices: [
        ...this.supervisor!.all().map((d) => ({
          device: d.config.name,
          ...this.reachability(d),
          ...this.liveOf(d),
          ...(d.clockDriftSeconds !== null && { clock_drift_seconds: d.clockDriftSeconds }),
          ...(d.memoryUsedPercent !== null && { memory_used_percent: d.memoryUsedPercent }),
          ...this.admsReadThrough(d),
        })),
        // ADMS terminals that cannot push because the push server could not listen: the site shows why.
        ...(this.admsError && !this.adms
          ? this.admsWanted.map((device) => ({
              device,
              online: false,
              error: `${this.admsError!.code}: ${this.admsError!.message}`,
            }))
          : []),
      ],
    });
  }

  private admsReadThrough(d: DeviceRuntime): { read_through?: string } {
    const serial = d.config.driver === "adms" ? d.config.serial_number : null;
    if (!this.adms || !serial) return {};
    const readThrough = admsReadThrough(
      this.adms.status(serial),
      this.adms.handshakeSettings.delaySeconds * 1000,
      this.adms.timeZoneOf(serial),
    );
    return readThrough ? { read_through: readThrough } : {};
  }

  /**
   * A live channel went up or down: the site hears it within a second (coalesced, so a hundred channels coming
   * up at start make one call), instead of at the next periodic heartbeat.
   */
  private heartbeatSoon(): void {
    if (this.heartbeatTimer || this.abort.signal.aborted) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      if (this.abort.signal.aborted) return;
      this.heartbeat().catch((e: unknown) =>
        this.log.warn({ err: (e as Error).message }, "heartbeat after a live channel change failed"),
      );
    }, 1_000);
    this.heartbeatTimer.unref();
  }

  private reachability(d: DeviceRuntime): DeviceReachability {
    const adms = d.config.driver === "adms" && d.config.serial_number ? this.adms : null;
    return deviceReachability({
      lastPollOk: d.lastPoll !== null,
      lastError: d.lastError,
      admsContact: adms?.status(d.config.serial_number!),
      nowMs: adms?.nowMs() ?? Date.now(),
      admsOfflineAfterMs: this.admsOfflineAfterMs(),
    });
  }

  private liveOf(d: DeviceRuntime): LiveReport {
    if (d.config.driver !== "adms") return liveReport(d.live.state);
    const adms = d.config.serial_number ? this.adms : null;
    return liveReport(
      admsLiveState({
        contact: adms?.status(d.config.serial_number!),
        nowMs: adms?.nowMs() ?? Date.now(),
        offlineAfterMs: this.admsOfflineAfterMs(),
        startedMs: this.startedMs,
      }),
    );
  }

  /** Terminals call every few seconds (getrequest); three missed calls plus slack mean it is gone. */
  private admsOfflineAfterMs(): number {
    return this.adms ? 3 * this.adms.handshakeSettings.delaySeconds * 1000 + 30_000 : 0;
  }

  private async every(seconds: number, work: () => Promise<unknown>, immediately = false): Promise<void> {
    const signal = this.abort.signal;
    if (immediately)
      await work().catch((e: unknown) =>
        this.log.warn({ err: (e as Error).message }, "periodic task failed"),
      );
    while (!signal.aborted) {
      try {
        await sleep(seconds * 1000, signal);
      } catch {
        return;
      }
      await work().catch((e: unknown) =>
        this.log.warn({ err: (e as Error).message }, "periodic task failed"),
      );
    }
  }
}
