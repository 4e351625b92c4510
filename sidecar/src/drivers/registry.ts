import { parseNaiveBound } from "../domain/naiveTime.js";
import type { DirectionRules } from "../domain/direction.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../logging/logger.js";
import type { SiteDevice } from "../site/siteApi.js";
import type { StateStore } from "../spool/stateStore.js";
import { AdmsDriver } from "./adms/admsDriver.js";
import type { AdmsServer } from "./adms/admsServer.js";
import type { DeviceDriver } from "./driver.js";
import { EbioserverDriver } from "./essl/ebioserverDriver.js";
import { parseEsslUrl } from "./essl/esslUrl.js";
import { EtimetrackDriver } from "./essl/etimetrackDriver.js";
import { HikvisionDriver } from "./hikvision/hikvisionDriver.js";
import { parseHikvisionUrl } from "./hikvision/hikvisionUrl.js";
import { ZkDriver } from "./zk/zkDriver.js";
import { parseZkUrl } from "./zk/zkUrl.js";

/** What every driver may need from the sidecar: where its own cursors live, logging, rules, the ADMS server. */
export interface DriverContext {
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly state: StateStore | null;
  readonly directionRules?: DirectionRules;
  readonly admsServer?: AdmsServer | null;
}

/** A device named by URL (CLI, standalone config): the driver, a label safe to print, its zone. */
export interface UrlDevice {
  readonly driver: DeviceDriver;
  /** Never the URL itself: Hikvision and eSSL URLs carry passwords. */
  readonly label: string;
  readonly timeZone: string | null;
}

export const URL_SCHEMES = ["zk", "hikvision", "essl", "ebioserver"] as const;

/** Parses a device URL by scheme and builds its driver; a bad URL is a ConfigError listing every problem. */
export function driverForUrl(url: string, ctx: DriverContext, nameOverride?: string): UrlDevice {
  const scheme = /^([a-z]+):\/\//i.exec(url.trim())?.[1]?.toLowerCase();
  const rules = ctx.directionRules ? { directionRules: ctx.directionRules } : {};
  switch (scheme) {
    case "zk": {
      const a = parseZkUrl(url);
      return {
        driver: new ZkDriver({
          ...a,
          deviceId: nameOverride ?? a.deviceId,
          timeoutMs: ctx.timeoutMs,
          logger: ctx.logger,
          ...rules,
        }),
        label: `${a.host}:${a.port}`,
        timeZone: a.timeZone,
      };
    }
    case "hikvision": {
      const a = parseHikvisionUrl(url);
      return {
        driver: new HikvisionDriver({
          ...a,
          deviceId: nameOverride ?? a.deviceId ?? a.label,
          timeoutMs: ctx.timeoutMs,
          cursors: ctx.state,
          logger: ctx.logger,
          ...rules,
        }),
        label: a.label,
        timeZone: a.timeZone,
      };
    }
    case "essl":
    case "ebioserver": {
      const a = parseEsslUrl(url);
      const deviceId = nameOverride ?? a.deviceId ?? a.label;
      const driver =
        a.kind === "etimetrack"
          ? new EtimetrackDriver({
              ...a,
              deviceId,
              timeoutMs: ctx.timeoutMs,
              state: ctx.state,
              logger: ctx.logger,
            })
          : new EbioserverDriver({
              ...a,
              deviceId,
              timeoutMs: ctx.timeoutMs,
              state: ctx.state,
              logger: ctx.logger,
            });
      return { driver, label: a.label, timeZone: a.timeZone };
    }
    default:
      throw new ConfigError(
        [
          `"${scheme ?? url}" is not a device URL scheme this sidecar reads (${URL_SCHEMES.join(", ")}; ADMS terminals push to the sidecar instead)`,
        ],
        "DEVICE_URL_INVALID",
      );
  }
}

/** Builds the driver for a device the site assigned to this sidecar, or null when this build cannot run it. */
export function driverForSiteDevice(device: SiteDevice, ctx: DriverContext): DeviceDriver | null {
  const rules = ctx.directionRules ? { directionRules: ctx.directionRules } : {};
  const common = {
    deviceId: device.name,
    timeZone: device.time_zone ?? null,
    timeoutMs: ctx.timeoutMs,
    logger: ctx.logger,
  };
  switch (device.driver) {
    case "zk": {
      if (!device.host) return null;
      const commKey = Number(device.comm_key ?? 0);
      return new ZkDriver({
        host: device.host,
        port: device.port ?? 4370,
        commKey: Number.isInteger(commKey) && commKey >= 0 ? commKey : 0,
        deviceId: device.name,
        timeoutMs: ctx.timeoutMs,
        logger: ctx.logger,
        ...rules,
      });
    }
    case "hikvision":
      if (!device.host || !device.username || !device.password) return null;
      return new HikvisionDriver({
        ...common,
        host: device.host,
        port: device.port ?? 80,
        username: device.username,
        password: device.password,
        cursors: ctx.state,
        cursorKey: `hikvision:${device.name}`,
        ...rules,
      });
    case "essl": {
      if (!device.url || !device.username || !device.password) return null;
      // eBioServer's service is webservice.asmx and filters by location; eTimeTrackLite's by device serial.
      if (/webservice\.asmx/i.test(device.url)) {
        return new EbioserverDriver({
          ...common,
          url: device.url,
          importSince: device.import_since ? parseNaiveBound(device.import_since) : null,
          userName: device.username,
          password: device.password,
          location: device.serial_number ?? "",
          state: ctx.state,
        });
      }
      if (!device.serial_number) return null;
      return new EtimetrackDriver({
        ...common,
        url: device.url,
        importSince: device.import_since ? parseNaiveBound(device.import_since) : null,
        serialNumber: device.serial_number,
        userName: device.username,
        password: device.password,
        state: ctx.state,
      });
    }
    case "adms":
      if (!ctx.admsServer || !device.serial_number) return null;
      return new AdmsDriver({ server: ctx.admsServer, serialNumber: device.serial_number });
    default:
      return null;
  }
}
