import { isIP } from "node:net";
import path from "node:path";
import type { Punch } from "../../domain/punch.js";
import { DeviceLocks } from "../../devices/deviceLock.js";
import { hasLiveChannel, LiveChannel } from "../../devices/liveChannel.js";
import { isAdmsUrl, parseAdmsUrl } from "../../drivers/adms/admsUrl.js";
import { driverForUrl, type UrlDevice } from "../../drivers/registry.js";
import { ConfigError, SidecarError } from "../../errors.js";
import { silentLogger, type Logger } from "../../logging/logger.js";
import { writeFileAtomic } from "../../output/atomicFile.js";
import { type ParsedArgs, intOption } from "../args.js";
import { AdmsSession } from "./admsSession.js";

export interface WatchPlan {
  readonly devices: readonly string[];
  /** null: until Ctrl-C. */
  readonly forMs: number | null;
  readonly out: string | null;
  readonly adms: { readonly host: string; readonly port: number } | null;
  readonly timeoutMs: number;
}

/** What `--out` holds: every punch seen, in order, with when this computer received it. */
export interface WatchedPunch extends Punch {
  readonly received_at: string;
}

/** Checks the options at once (every problem listed); an eSSL URL is refused with DEVICE_UNSUPPORTED. */
export function planWatch(args: ParsedArgs, cwd = process.cwd()): WatchPlan {
  const { values } = args;
  const problems: string[] = [];
  const devices = values.device ?? [];
  if (devices.length === 0)
    problems.push("--device URL is required (zk://, hikvision://, or adms:// with --adms-port)");
  const unsupported: string[] = [];
  for (const url of devices) {
    const scheme = /^([a-z]+):\/\//i.exec(url.trim())?.[1]?.toLowerCase();
    if (scheme === "essl" || scheme === "ebioserver") {
      unsupported.push(scheme);
      continue;
    }
    try {
      if (isAdmsUrl(url)) {
        parseAdmsUrl(url);
        if (values["adms-port"] === undefined)
          problems.push(
            `${url.split("?")[0]}: an ADMS terminal pushes to us; give --adms-port (and its server setting)`,
          );
      } else {
        driverForUrl(url, { logger: silentLogger, timeoutMs: 1000, state: null });
      }
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
    }
  }
  const seconds = values.for === undefined ? null : intOption(values.for, "for", 1, 7 * 86_400, 60, problems);
  const out = values.out ?? null;
  if (out && path.extname(out).toLowerCase() !== ".json") problems.push(`--out "${out}" must end in .json`);
  const admsPort = intOption(values["adms-port"], "adms-port", 1, 65_535, 8081, problems);
  const admsHost = values["adms-host"] ?? "0.0.0.0";
  if (isIP(admsHost) === 0) problems.push(`--adms-host "${admsHost}" is not an IP address to listen on`);
  const timeoutMs = intOption(values.timeout, "timeout", 100, 600_000, 10_000, problems);
  if (problems.length) throw new ConfigError(problems, "DEVICE_URL_INVALID");
  if (unsupported.length) {
    throw new SidecarError(
      "DEVICE_UNSUPPORTED",
      "eSSL (eTimeTrackLite / eBioServer) has no push or event stream to watch: its punches reach its server first " +
        "and are read from there. Use `biometric-sidecar pull --device essl://…`; the service reads it every poll interval.",
      { details: { families: unsupported } },
    );
  }
  return {
    devices,
    forMs: seconds === null ? null : seconds * 1000,
    out: out ? path.resolve(cwd, out) : null,
    adms: devices.some(isAdmsUrl) ? { host: admsHost, port: admsPort } : null,
    timeoutMs,
  };
}

/** One line per punch: its wall-clock time, user id, direction and device. */
export function punchLine(punch: Punch): string {
  return `${punch.time}  ${punch.user_id.padEnd(10)}  ${(punch.direction ?? "-").padEnd(3)}  ${punch.device}`;
}

/** An ADMS terminal's uploads are kept only for this run (watching must not move the service's stamps). */
class MemoryState {
  private readonly values = new Map<string, unknown>();
  get(key: string): unknown {
    return this.values.get(key);
  }
  set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}

/**
 * `watch`: holds each device's live channel (ZK events, Hikvision alertStream) or listens for ADMS pushes, and
 * prints each punch as it happens, for an installer to "punch now and see it". Nothing goes to a spool or a site.
 * Exit 0 after --for or Ctrl-C; 1 when a device's channel never came up.
 */
export async function runWatch(
  plan: WatchPlan,
  logger: Logger,
  print: (line: string) => void,
  notice: (line: string) => void = (line) => console.error(line),
  stopSignal?: AbortSignal,
): Promise<number> {
  const interrupt = stopSignal ? null : onInterrupt();
  const stop = stopSignal ?? interrupt!.signal;
  const seen: WatchedPunch[] = [];
  const sink = {
    append: (punches: readonly Punch[]): Promise<void> => {
      for (const punch of punches) {
        seen.push({ ...punch, received_at: new Date().toISOString() });
        print(punchLine(punch));
      }
      return Promise.resolve();
    },
  };
  const locks = new DeviceLocks();
  const channels: { label: string; channel: LiveChannel; everUp: boolean }[] = [];
  let adms: AdmsSession | null = null;
  try {
    const admsUrls = plan.devices.filter(isAdmsUrl);
    if (plan.adms && admsUrls.length) {
      adms = await AdmsSession.start({
        host: plan.adms.host,
        port: plan.adms.port,
        waitMs: plan.forMs ?? 7 * 86_400_000,
        devices: admsUrls.map((url) => {
          const parsed = parseAdmsUrl(url);
          return {
            serialNumber: parsed.serialNumber,
            deviceName: parsed.deviceName,
            timeZone: parsed.timeZone,
          };
        }),
        sink,
        state: new MemoryState(),
        logger,
      });
      notice(
        `listening for ADMS terminals on ${plan.adms.host}:${plan.adms.port}: ${admsUrls.map((u) => parseAdmsUrl(u).serialNumber).join(", ")}`,
      );
    }
    for (const url of plan.devices.filter((u) => !isAdmsUrl(u))) {
      const device: UrlDevice = driverForUrl(url, { logger, timeoutMs: plan.timeoutMs, state: null });
      if (!hasLiveChannel(device.driver)) continue;
      const entry = { label: device.label, channel: null as unknown as LiveChannel, everUp: false };
      entry.channel = new LiveChannel({
        deviceKey: device.label,
        driver: device.driver,
        locks,
        sink,
        backoff: { initialMs: 1_000, maxMs: 10_000, factor: 2 },
        logger,
        onState: (state) => {
          if (state.state === "up") entry.everUp = true;
          notice(
            state.state === "up"
              ? `${device.label}: live, punch now`
              : `${device.label}: not connected (${state.error ?? "unknown"}); retrying`,
          );
        },
      });
      channels.push(entry);
      entry.channel.start();
    }
    await waitFor(plan.forMs, stop);
  } finally {
    interrupt?.dispose();
    await Promise.all(channels.map((c) => c.channel.stop()));
    await adms?.stop();
  }
  if (plan.out) await writeFileAtomic(plan.out, `${JSON.stringify(seen, null, 2)}\n`);
  notice(
    `${seen.length} punch${seen.length === 1 ? "" : "es"} seen${plan.out ? `; written to ${plan.out}` : ""}`,
  );
  const neverUp = channels.filter((c) => !c.everUp);
  for (const c of neverUp)
    notice(`${c.label}: the live channel never came up (${c.channel.state.error ?? ""})`);
  return neverUp.length ? 1 : 0;
}

function waitFor(ms: number | null, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = ms === null ? null : setTimeout(done, ms);
    function done(): void {
      if (timer) clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    }
    if (stop.aborted) return done();
    stop.addEventListener("abort", done, { once: true });
  });
}

/** Ctrl-C (or SIGTERM) ends the watch normally: the channels close and --out is written. */
function onInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
