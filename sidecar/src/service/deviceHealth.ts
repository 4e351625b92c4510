import type { TerminalStatus } from "../drivers/adms/terminalStatus.js";
import type { NaiveDateTime } from "../domain/naiveTime.js";
import { utcMsToWall } from "../domain/timeZone.js";
import type { LiveState } from "../devices/liveChannel.js";

/** What the heartbeat says of a device's reachability; absent means "not known yet" (the site keeps its status). */
export interface DeviceReachability {
  readonly online?: boolean;
  /** The coded reason when it is not reachable (the site keeps the device in Error with its last error). */
  readonly error?: string;
}

export interface ReachabilityInput {
  /** A pull or test since this process started: its outcome. */
  readonly lastPollOk: boolean;
  readonly lastError: string | null;
  /** ADMS: the terminal's last contact (push, poll for commands, heartbeat), if it has called since start. */
  readonly admsContact?: Readonly<TerminalStatus> | undefined;
  readonly nowMs: number;
  /** ADMS: silent for longer than this = offline. */
  readonly admsOfflineAfterMs: number;
}

/**
 * A device's reachability as the heartbeat reports it. A pull device is online after a successful read and in
 * error after a failed one; one not read since this sidecar started is not reported (a restart must not turn a
 * healthy device Offline). An ADMS terminal calls us: any contact within the offline window makes it online.
 */
export function deviceReachability(input: ReachabilityInput): DeviceReachability {
  if (input.admsContact && input.admsContact.lastSeenMs > 0) {
    return input.nowMs - input.admsContact.lastSeenMs <= input.admsOfflineAfterMs
      ? { online: true }
      : { online: false, error: "ADMS_DEVICE_OFFLINE" };
  }
  if (input.lastError) return { online: false, error: input.lastError };
  if (input.lastPollOk) return { online: true };
  return {};
}

/**
 * How far an ADMS terminal is read, on its wall clock: it uploads each punch as it is taken and calls us every
 * `delayMs` (getrequest), so everything it recorded up to one poll interval before its last contact is in our
 * spool. Null until it has called since this sidecar started. The site turns it into the device's watermark;
 * without it a push device never vouches for a day, and the Shift Types and attendance it feeds never move.
 */
export function admsReadThrough(
  contact: Readonly<TerminalStatus> | undefined,
  delayMs: number,
  timeZone: string,
): NaiveDateTime | null {
  if (!contact || contact.lastSeenMs <= 0) return null;
  return utcMsToWall(contact.lastSeenMs - Math.max(0, delayMs), timeZone);
}

/** The heartbeat's live-channel fields of one device (see biometric_sync/api/sidecar.py heartbeat). */
export interface LiveReport {
  readonly live: "up" | "down" | "off";
  /** "<CODE>: message", only when down. */
  readonly live_error?: string;
  /** ISO 8601 time the down state began, only when down. */
  readonly live_since?: string;
}

export function liveReport(state: LiveState): LiveReport {
  if (state.state !== "down") return { live: state.state };
  return { live: "down", ...(state.error && { live_error: state.error }), live_since: state.since };
}

/**
 * An ADMS terminal's "live channel" is its own pushing: up while it calls within the offline window, down
 * (since its last call, or since the sidecar started if it has not called) otherwise.
 */
export function admsLiveState(input: {
  readonly contact: Readonly<TerminalStatus> | undefined;
  readonly nowMs: number;
  readonly offlineAfterMs: number;
  readonly startedMs: number;
}): LiveState {
  const lastSeen = input.contact?.lastSeenMs ?? 0;
  if (lastSeen > 0 && input.nowMs - lastSeen <= input.offlineAfterMs)
    return { state: "up", error: null, since: new Date(lastSeen).toISOString() };
  const since = new Date(lastSeen > 0 ? lastSeen : input.startedMs).toISOString();
  const error =
    lastSeen > 0
      ? `ADMS_DEVICE_OFFLINE: the terminal has not called for ${Math.round((input.nowMs - lastSeen) / 1000)} s`
      : "ADMS_DEVICE_OFFLINE: the terminal has not called since the sidecar started";
  return { state: "down", error, since };
}
