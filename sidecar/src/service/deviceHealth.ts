import type { TerminalStatus } from "../drivers/adms/terminalStatus.js";

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
