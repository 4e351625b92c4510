import type { Punch } from "../domain/punch.js";
import { SiteError, toSidecarError, type SidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import type { SpoolEntry } from "../spool/spool.js";
import { sleep } from "../util/abort.js";
import { type BackoffPolicy, backoffDelay } from "../util/backoff.js";
import type { RejectLog } from "./rejectLog.js";
import type { SiteClient } from "./siteClient.js";

export const PUSH_PUNCHES = "biometric_sync.api.ingest.push_punches";
export const MAX_BATCH = 1000;

/** One item of push_punches' answer (design.md "Ingest"). */
export interface PushItemResult {
  readonly uid: string;
  readonly status: "new" | "duplicate" | "rejected";
  readonly error?: string;
  readonly code?: string;
}

/** The spool as the uploader needs it. */
export interface UploadSource {
  pending(): AsyncIterable<SpoolEntry>;
  ack(seqs: readonly number[]): Promise<void>;
  depth(): number;
}

export interface DrainSummary {
  readonly batches: number;
  readonly sent: number;
  readonly created: number;
  readonly duplicates: number;
  readonly rejected: number;
}

export interface UploaderOptions {
  readonly source: UploadSource;
  readonly client: SiteClient;
  readonly rejects: RejectLog;
  readonly sidecar: string;
  readonly batchSize?: number;
  readonly backoff?: BackoffPolicy;
  readonly logger?: Logger;
  /** The site Sync Log a spooled entry belongs to, if any (passed as push_punches' sync_log). */
  readonly syncLogOf?: (seq: number) => string | null;
}

const UPLOAD_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, factor: 2 };

/**
 * Drains the spool to the site in batches (one device per batch, at most 1,000 punches). An entry leaves the
 * spool only when the site answered "new" or "duplicate" for it; a "rejected" one is first written to the
 * reject log with the site's reason. Nothing is acked on a failed call, so a restart or retry re-sends it,
 * which the site's uid key turns into "duplicate".
 */
export class Uploader {
  private readonly log: Logger;
  private readonly batchSize: number;
  private acks: Promise<void>[] = [];

  constructor(private readonly options: UploaderOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "uploader" });
    this.batchSize = Math.min(MAX_BATCH, options.batchSize ?? MAX_BATCH);
  }

  /** Sends everything pending once. Throws the first failed call's SiteError after acking what succeeded. */
  async drainOnce(signal?: AbortSignal): Promise<DrainSummary> {
    const totals = { batches: 0, sent: 0, created: 0, duplicates: 0, rejected: 0 };
    let batch: SpoolEntry[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const entries = batch;
      batch = [];
      const outcome = await this.push(entries, signal);
      totals.batches++;
      totals.sent += entries.length;
      totals.created += outcome.created;
      totals.duplicates += outcome.duplicates;
      totals.rejected += outcome.rejected;
    };
    try {
      for await (const entry of this.options.source.pending()) {
        if (signal?.aborted) break;
        // One device and one run's Sync Log per request: push_punches takes both per call.
        const first = batch[0];
        const sameGroup =
          first !== undefined &&
          first.punch.device === entry.punch.device &&
          this.syncLogOf(first.seq) === this.syncLogOf(entry.seq);
        if (batch.length >= this.batchSize || (first !== undefined && !sameGroup)) await flush();
        batch.push(entry);
      }
      await flush();
    } finally {
      const acks = this.acks;
      this.acks = [];
      await Promise.all(acks);
    }
    return totals;
  }

  /**
   * Drains whenever woken (or every `idleMs`) until `signal` aborts. Retryable failures back off with jitter;
   * an auth failure stops the loop with its error, because retrying a bad key can lock the account.
   */
  async run(
    signal: AbortSignal,
    options: { idleMs: number; wake?: () => Promise<void> },
    onError?: (error: SidecarError) => void,
  ): Promise<SidecarError | null> {
    let failures = 0;
    while (!signal.aborted) {
      let delay = options.idleMs;
      try {
        const summary = await this.drainOnce(signal);
        failures = 0;
        if (summary.sent) this.log.info({ ...summary }, "uploaded");
      } catch (error) {
        if (signal.aborted) break;
        const coded = toSidecarError(error, "SITE_UNAVAILABLE");
        onError?.(coded);
        if (!coded.retryable) {
          this.log.error(
            { code: coded.code, err: coded.message },
            "upload stopped: fix the configuration and restart",
          );
          return coded;
        }
        failures++;
        delay = backoffDelay(failures, this.options.backoff ?? UPLOAD_BACKOFF);
        this.log.warn(
          { code: coded.code, failures, retryInMs: delay, err: coded.message },
          "upload failed; will retry",
        );
      }
      // The wait ends on the timer, a wake-up, or stop; its timer and listener are cleared whichever wins.
      const wait = new AbortController();
      const stopWaiting = (): void => wait.abort();
      signal.addEventListener("abort", stopWaiting, { once: true });
      // Stopped while draining: the abort event has already fired, so the listener above never will.
      if (signal.aborted) wait.abort();
      try {
        await Promise.race([
          sleep(delay, wait.signal),
          ...(options.wake && failures === 0 ? [options.wake()] : []),
        ]);
      } catch {
        // stopped: the loop condition ends it
      } finally {
        signal.removeEventListener("abort", stopWaiting);
        wait.abort();
      }
    }
    return null;
  }

  private syncLogOf(seq: number): string | null {
    return this.options.syncLogOf?.(seq) ?? null;
  }

  private async push(
    entries: SpoolEntry[],
    signal?: AbortSignal,
  ): Promise<{ created: number; duplicates: number; rejected: number }> {
    const punches: Punch[] = entries.map((e) => e.punch);
    const syncLog = this.syncLogOf(entries[0]!.seq);
    const answer = await this.options.client.call<{ results?: unknown }>(
      PUSH_PUNCHES,
      {
        sidecar: this.options.sidecar,
        device: punches[0]!.device,
        punches,
        ...(syncLog && { sync_log: syncLog }),
      },
      signal,
    );
    const results = Array.isArray(answer?.results) ? (answer.results as PushItemResult[]) : null;
    if (!results || results.length !== entries.length || results.some((r, i) => r?.uid !== punches[i]!.uid)) {
      throw new SiteError(
        "SITE_BAD_RESPONSE",
        `push_punches answered ${results?.length ?? "no"} results for ${entries.length} punches, or out of order`,
      );
    }
    const done: number[] = [];
    const refused = [];
    let created = 0;
    let duplicates = 0;
    for (const [i, result] of results.entries()) {
      const entry = entries[i]!;
      if (result.status === "new") created++;
      else if (result.status === "duplicate") duplicates++;
      else if (result.status === "rejected") {
        refused.push({
          punch: entry.punch,
          code: result.code ?? null,
          error: result.error ?? null,
          at: new Date().toISOString(),
        });
      } else {
        continue; // an unknown status is not a confirmation: the entry stays and is sent again
      }
      done.push(entry.seq);
    }
    await this.options.rejects.append(refused);
    // The ack's fsync overlaps the next batch's request; drainOnce waits for every ack before it returns.
    this.acks.push(this.options.source.ack(done));
    if (refused.length)
      this.log.warn(
        { rejected: refused.length, first: refused[0]?.code },
        "the site refused punches; kept in the reject log",
      );
    return { created, duplicates, rejected: refused.length };
  }
}
