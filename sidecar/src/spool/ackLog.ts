import type { FileHandle } from "node:fs/promises";
import { open, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic, writeFully } from "./durableFs.js";
import { SeqRanges } from "./seqRanges.js";
import { FILE_HEADER_BYTES, fileHeader, FrameBuilder, recoverFile } from "./segmentFile.js";
import { isNotFound, spoolIoError } from "./spoolIoError.js";
import type { SpoolLogger } from "./spoolLogger.js";

export const ACK_LOG_FILE = "acks.log";

/** Keeps one record's JSON well under MAX_PAYLOAD_BYTES (a range is at most ~35 bytes of JSON). */
const RANGES_PER_RECORD = 10_000;

/**
 * One ack-log record (JSON payload): `acks` are inclusive seq ranges acknowledged by the consumer.
 * A compacted log starts with a record that also carries `floor`: every seq below it is gone for good
 * (its segment was deleted), so its acks were dropped.
 */
interface AckRecord {
  readonly floor?: number;
  readonly acks: ReadonlyArray<readonly [number, number]>;
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 1;
}

function decodeAckRecord(payload: Buffer): AckRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { floor, acks } = parsed as { floor?: unknown; acks?: unknown };
  if (floor !== undefined && !isSeq(floor)) return undefined;
  if (!Array.isArray(acks)) return undefined;
  for (const range of acks as unknown[]) {
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !isSeq(range[0]) ||
      !isSeq(range[1]) ||
      range[0] > range[1]
    ) {
      return undefined;
    }
  }
  return parsed as AckRecord;
}

/** The records for `ranges` (split so each stays small), after `prefix` (the file header, for a rewrite). */
function encodeAckFrames(
  ranges: ReadonlyArray<readonly [number, number]>,
  options: { readonly floor?: number; readonly prefix?: Buffer } = {},
): Buffer {
  const builder = new FrameBuilder();
  for (let i = 0; i === 0 || i < ranges.length; i += RANGES_PER_RECORD) {
    const acks = ranges.slice(i, i + RANGES_PER_RECORD);
    builder.add(
      JSON.stringify(i === 0 && options.floor !== undefined ? { floor: options.floor, acks } : { acks }),
    );
  }
  return options.prefix ? Buffer.concat([options.prefix, builder.bytes()]) : builder.bytes();
}

/**
 * The durable record of which seqs the consumer acknowledged: an append-only framed file (same format
 * as a segment), rewritten compactly (tmp, fsync, rename, fsync dir) once segments are deleted or it grows.
 * Losing an ack record to damage only means that entry is replayed and uploaded again (the site answers
 * "duplicate"); it can never lose a punch.
 */
export class AckLog {
  private constructor(
    private readonly path: string,
    private handle: FileHandle | null,
    private size: number,
    private readonly onFsync: () => void,
  ) {}

  /** Set when a write failed: the next append first cuts the file back to the last good record. */
  private needsTruncate = false;
  /** Size right after the last rewrite: when many ranges stay open, a rewrite cannot shrink below it. */
  private rewrittenSize = 0;

  /** Opens (or creates) the ack log in `dir`, repairing a torn tail; returns the acked seqs and floor it holds. */
  static async open(
    dir: string,
    logger: SpoolLogger,
    onFsync: () => void,
  ): Promise<{ log: AckLog; acked: SeqRanges; floor: number }> {
    const path = join(dir, ACK_LOG_FILE);
    const acked = new SeqRanges();
    let floor = 1;
    try {
      await unlink(`${path}.tmp`);
      logger.warn({ file: `${path}.tmp` }, "spool: removed an unfinished ack-log rewrite left by a crash");
    } catch (error) {
      if (!isNotFound(error)) throw spoolIoError("remove", `${path}.tmp`, error);
    }
    let size: number;
    try {
      if (await exists(path)) {
        const recovery = await recoverFile(
          path,
          "acks",
          decodeAckRecord,
          (record) => {
            if (record.floor !== undefined) floor = Math.max(floor, record.floor);
            for (const [start, end] of record.acks) acked.add(start, end);
          },
          { repairTail: true },
        );
        for (const damage of recovery.damage) {
          if (recovery.truncatedBytes > 0 && damage.offset >= recovery.goodEnd) continue;
          logger.warn(
            { file: path, offset: damage.offset, bytes: damage.bytes },
            "spool: ack log damaged; skipped unreadable bytes (entries acked there will be uploaded again)",
          );
        }
        if (recovery.truncatedBytes > 0) {
          logger.warn(
            { file: path, keptBytes: recovery.goodEnd, droppedBytes: recovery.truncatedBytes },
            "spool: cut a torn tail off the ack log (an ack that never completed)",
          );
        }
        size = recovery.goodEnd;
      } else {
        await writeFileAtomic(path, fileHeader("acks"));
        onFsync();
        onFsync();
        size = FILE_HEADER_BYTES;
      }
    } catch (error) {
      throw spoolIoError("open", path, error);
    }
    if (floor > 1) acked.delete(1, floor - 1);
    return { log: new AckLog(path, null, size, onFsync), acked, floor };
  }

  get bytes(): number {
    return this.size;
  }

  /**
   * Whether a rewrite is worth it: past `limit`, and at least double what the last rewrite produced, so
   * that a log whose live ranges alone exceed the limit is not rewritten on every ack.
   */
  grownBeyond(limit: number): boolean {
    return this.size > Math.max(limit, 2 * this.rewrittenSize);
  }

  /** Durably records that `ranges` were acknowledged (resolves after fsync). */
  async append(ranges: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const data = encodeAckFrames(ranges);
    try {
      this.handle ??= await open(this.path, "r+");
      if (this.needsTruncate) {
        await this.handle.truncate(this.size);
        this.needsTruncate = false;
      }
      await writeFully(this.handle, data, this.size);
      await this.handle.datasync();
      this.onFsync();
      this.size += data.length;
    } catch (error) {
      this.needsTruncate = true;
      throw spoolIoError("append to", this.path, error);
    }
  }

  /** Replaces the log with one holding only `floor` and `acked` (crash-safe: old or new file, never a mix). */
  async rewrite(floor: number, acked: SeqRanges): Promise<void> {
    const data = encodeAckFrames(acked.ranges(), { floor, prefix: fileHeader("acks") });
    // After the rename the old handle points at the replaced file: the next append reopens the path.
    const old = this.handle;
    this.handle = null;
    await old?.close().catch(() => undefined);
    try {
      await writeFileAtomic(this.path, data, {
        afterRename: () => {
          this.size = data.length;
          this.rewrittenSize = data.length;
          this.needsTruncate = false;
        },
      });
      this.onFsync();
      this.onFsync();
    } catch (error) {
      throw spoolIoError("rewrite", this.path, error);
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
