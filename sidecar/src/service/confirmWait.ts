import type { PunchesRead, PunchKey } from "../domain/punch.js";
import { type ErrorCode, SidecarError, toSidecarError } from "../errors.js";
import { sleep } from "../util/abort.js";

export interface ConfirmWaitOptions {
  /** Asks the site which of these punches it has NOT staged yet (SiteApi.unconfirmedPunches): their uids. */
  readonly unconfirmed: (
    device: string,
    punches: readonly PunchKey[],
    signal?: AbortSignal,
  ) => Promise<string[]>;
  readonly timeoutMs: number;
  readonly everyMs: number;
  /** The code of the refusal when time runs out (CLEAR_NOT_CONFIRMED, USER_PUNCHES_UNCONFIRMED). */
  readonly code: ErrorCode;
  /** What is not done because of it, for the message ("not cleared", "user 7 not deleted"). */
  readonly consequence: string;
  /** Each round still waiting: progress to show, and a nudge to upload now. */
  readonly onWaiting?: (missing: number, total: number) => void;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/**
 * Waits until the site has staged every one of these punches (asked of the site itself, never inferred from
 * the spool), giving up after `timeoutMs` with a coded refusal: a site that is down or rejects punches means the
 * destructive step (a log clear, a user delete) does not happen. Used by LogClearer and UserDeleter.
 */
export async function waitUntilConfirmed(
  device: string,
  punches: PunchesRead,
  options: ConfirmWaitOptions,
): Promise<void> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  let missing: PunchKey[] = [...punches].map(([uid, time]) => ({ uid, time }));
  let siteError: SidecarError | null = null;
  while (missing.length) {
    try {
      const unconfirmed = new Set(await options.unconfirmed(device, missing, options.signal));
      missing = missing.filter((key) => unconfirmed.has(key.uid));
      siteError = null;
    } catch (error) {
      siteError = toSidecarError(error, "SITE_UNAVAILABLE");
      if (!siteError.retryable) throw siteError;
    }
    if (!missing.length) break;
    if (now() >= deadline) {
      throw new SidecarError(
        options.code,
        siteError
          ? `${device}: the site could not confirm the punches read (${siteError.code}: ${siteError.message}); ${options.consequence}`
          : `${device}: ${missing.length} of ${punches.size} punches read are not staged on the site yet; ${options.consequence}`,
        {
          details: {
            unconfirmed: missing.length,
            read: punches.size,
            ...(siteError && { siteError: siteError.code }),
          },
        },
      );
    }
    options.onWaiting?.(missing.length, punches.size);
    await sleep(options.everyMs, options.signal);
  }
}
