import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Punch } from "../domain/punch.js";
import { SpoolError } from "../errors.js";
import { AckLog } from "./ackLog.js";
import { DirLock } from "./dirLock.js";
import { fsyncDir, writeFully } from "./durableFs.js";
import { decodeEntry, entryJson, entryFitsInFrame, estimatedFrameBytes, punchProblem } from "./entryCodec.js";
import type { SpoolEntry } from "./entryCodec.js";
import { SeqRanges } from "./seqRanges.js";
import {
  DEFAULT_SCAN_BUFFER_BYTES,
  FILE_HEADER_BYTES,
  fileHeader,
  FrameBuilder,
  parseSegmentFileName,
  recoverFile,
  scanFrames,
  segmentFileName,
} from "./segmentFile.js";
import { isNotFound, spoolIoError } from "./spoolIoError.js";
import { SILENT_LOGGER } from "./spoolLogger.js";
import type { SpoolLogger } from "./spoolLogger.js";

export type { SpoolEntry } from "./entryCodec.js";
export type { SpoolLogger } from "./spoolLogger.js";

export interface SpoolOptions {
  /** A new segment file is started when the current one would grow past this. Default 8 MiB. */
  readonly segmentMaxBytes?: number;
  /** The ack log is rewritten compactly when it grows past this (and past twice its last rewrite). Default 1 MiB. */
  readonly ackLogMaxBytes?: number;
  /** Read window used by pending(); it grows only to hold one oversized record. Default 256 KiB. */
  readonly readBufferBytes?: number;
  readonly logger?: SpoolLogger;
}

export interface SpoolStats {
  /** Un-acked entries (same as depth()). */
  readonly depth: number;
  readonly segments: number;
  /** The seq the next appended entry will get. */
  readonly nextSeq: number;
  /** fsync/fdatasync calls (files and directories) since open: how well group commit is batching. */
  readonly fsyncs: number;
}

const DEFAULT_SEGMENT_MAX_BYTES = 8 * 1024 * 1024;
const DEFAULT_ACK_LOG_MAX_BYTES = 1024 * 1024;
/** One write+fsync takes whole append calls up to about this much; bounds the memory of one group. */
const GROUP_MAX_BYTES = 1024 * 1024;

interface Segment {
  /** The seq in its file name; every record in it has a seq >= this and < the next segment's. */
  readonly firstSeq: number;
  readonly path: string;
  /** Seqs of the readable, committed (fsync'd) records it holds. */
  readonly present: SeqRanges;
  /** Committed bytes: appends in flight write past this, readers stop here. */
  size: number;
  /** Had unreadable bytes when opened: compaction keeps the file aside (`.damaged`) instead of deleting it. */
  damaged: boolean;
  deleted: boolean;
}

interface AppendCall {
  readonly firstSeq: number;
  /** Encoded only when written: the caller holds the punches anyway, so queued calls cost no copy. */
  readonly punches: readonly Punch[];
  readonly estimatedBytes: number;
  readonly resolve: (seqs: number[]) => void;
  readonly reject: (error: unknown) => void;
}

interface AckCall {
  readonly seqs: readonly number[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Records bound for one file (the active segment, or a new one starting at `firstSeq`): `data` is their frames. */
interface Piece {
  readonly newSegment: boolean;
  readonly firstSeq: number;
  readonly start: number;
  end: number;
  data: Buffer;
  readonly seqs: SeqRanges;
}

function closedError(): SpoolError {
  return new SpoolError("SPOOL_CLOSED", "the spool is closed");
}

/**
 * The sidecar's durable queue of punches (design.md "Sidecar rules"): a punch is acknowledged to a device
 * or a cursor advances only after append() resolved, and an entry leaves only when the consumer ack()s it.
 *
 * On disk (one directory): segment files `seg-<first seq, 16 digits>.log` of framed, CRC-checked records
 * (format in segmentFile.ts), appended to and fsync'd in groups, plus `acks.log` (ackLog.ts). Sealed
 * segments whose entries are all acked are deleted; in RAM we keep only seq ranges, never punches.
 *
 * Seqs are positive integers, increasing in append order and never reused for an entry that was durably
 * appended (the newest segment's name and the ack log's floor carry the counter across restarts).
 */
export class Spool {
  private state: "open" | "closing" | "closed" = "open";
  private closing: Promise<void> | null = null;
  private nextSeq: number;
  private lastCommittedSeq: number;
  private depthCount: number;
  /** Shared with the ack log, which counts its own fsyncs. */
  private readonly fsyncs: { count: number };
  private lock: DirLock | null = null;
  private floor: number;

  private active: { segment: Segment; handle: FileHandle } | null;
  /** Set after a failed write: the next write first cuts the active segment back to its committed size. */
  private activeNeedsTruncate = false;

  private readonly appendQueue: AppendCall[] = [];
  private appendLoop: Promise<void> | null = null;
  private readonly ackQueue: AckCall[] = [];
  private ackLoop: Promise<void> | null = null;
  private compactionWanted = false;
  /** Reused by every write group (they run one at a time), so steady appends allocate no new buffers. */
  private frameBuilder = new FrameBuilder(64 * 1024);

  private constructor(
    private readonly dir: string,
    private readonly segments: Segment[],
    private readonly acked: SeqRanges,
    private readonly ackLog: AckLog,
    private readonly options: Required<Omit<SpoolOptions, "logger">> & { logger: SpoolLogger },
    init: {
      nextSeq: number;
      floor: number;
      active: { segment: Segment; handle: FileHandle } | null;
      fsyncs: { count: number };
    },
  ) {
    this.nextSeq = init.nextSeq;
    this.lastCommittedSeq = init.nextSeq - 1;
    this.floor = init.floor;
    this.active = init.active;
    this.fsyncs = init.fsyncs;
    this.depthCount = 0;
    for (const segment of segments) {
      this.depthCount += segment.present.size - acked.countShared(segment.present);
    }
  }

  /**
   * Opens (creating if needed) the spool in `dir`. Never throws on damaged data: a torn or garbage tail of
   * the newest segment is cut off, unreadable bytes elsewhere are skipped, every good record is kept, and
   * each is reported through `logger.warn` with byte counts. Throws SpoolError SPOOL_IO when the disk fails.
   */
  static async open(dir: string, options: SpoolOptions = {}): Promise<Spool> {
    const logger = options.logger ?? SILENT_LOGGER;
    const settings = {
      segmentMaxBytes: options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES,
      ackLogMaxBytes: options.ackLogMaxBytes ?? DEFAULT_ACK_LOG_MAX_BYTES,
      readBufferBytes: options.readBufferBytes ?? DEFAULT_SCAN_BUFFER_BYTES,
      logger,
    };
    for (const [name, value] of Object.entries(settings)) {
      if (typeof value === "number" && !(Number.isSafeInteger(value) && value > 0)) {
        throw new RangeError(`spool option ${name} must be a positive integer, got ${value}`);
      }
    }
    const root = resolve(dir);
    const fsyncs = { count: 0 };
    const countFsync = (): void => {
      fsyncs.count++;
    };

    let names: string[];
    try {
      const created = await mkdir(root, { recursive: true });
      // A new directory's own entry must be durable too, or a crash can forget the whole spool.
      for (let d = root; created !== undefined && d !== dirname(created); d = dirname(d)) {
        await fsyncDir(dirname(d));
        countFsync();
      }
      names = await readdir(root);
    } catch (error) {
      throw spoolIoError("open directory", root, error);
    }

    const lock = await DirLock.acquire(root);
    let opened = false;
    try {
      const spool = await Spool.openLocked(root, names, settings, logger, fsyncs, countFsync, lock);
      opened = true;
      return spool;
    } finally {
      if (!opened) await lock.release();
    }
  }

  private static async openLocked(
    root: string,
    names: string[],
    settings: Required<Omit<SpoolOptions, "logger">> & { logger: SpoolLogger },
    logger: SpoolLogger,
    fsyncs: { count: number },
    countFsync: () => void,
    lock: DirLock,
  ): Promise<Spool> {
    const { log: ackLog, acked, floor } = await AckLog.open(root, logger, countFsync);
    const segments: Segment[] = [];
    let active: { segment: Segment; handle: FileHandle } | null = null;
    try {
      const firstSeqs = names
        .map(parseSegmentFileName)
        .filter((seq): seq is number => seq !== null)
        .sort((a, b) => a - b);
      let highestSeq = 0;
      for (let i = 0; i < firstSeqs.length; i++) {
        const firstSeq = firstSeqs[i]!;
        const isNewest = i === firstSeqs.length - 1;
        const segment = await Spool.recoverSegment(root, firstSeq, firstSeqs[i + 1], isNewest, logger);
        highestSeq = Math.max(highestSeq, segment.present.last ?? 0);
        // Below the floor everything was acked and compacted away; a leftover copy must not come back.
        if (floor > 1) segment.present.delete(1, floor - 1);
        segments.push(segment);
      }
      const newest = segments[segments.length - 1];
      if (newest) {
        try {
          active = { segment: newest, handle: await open(newest.path, "r+") };
        } catch (error) {
          throw spoolIoError("open", newest.path, error);
        }
      }
      const nextSeq = Math.max(1, floor, highestSeq + 1, newest?.firstSeq ?? 1);
      const spool = new Spool(root, segments, acked, ackLog, settings, { nextSeq, floor, active, fsyncs });
      spool.lock = lock;
      await spool.compact();
      logger.info({ dir: root, segments: segments.length, depth: spool.depthCount, nextSeq }, "spool opened");
      return spool;
    } catch (error) {
      await active?.handle.close().catch(() => undefined);
      await ackLog.close().catch(() => undefined);
      throw error;
    }
  }

  private static async recoverSegment(
    dir: string,
    firstSeq: number,
    nextFirstSeq: number | undefined,
    isNewest: boolean,
    logger: SpoolLogger,
  ): Promise<Segment> {
    const path = join(dir, segmentFileName(firstSeq));
    const present = new SeqRanges();
    // A record whose seq is out of place (not increasing, outside this segment's range) is damage too:
    // accepting it could replay an entry twice.
    let previousSeq = firstSeq - 1;
    const limit = nextFirstSeq ?? Number.MAX_SAFE_INTEGER;
    const decode = (payload: Buffer): SpoolEntry | undefined => {
      const entry = decodeEntry(payload);
      if (!entry || entry.seq <= previousSeq || entry.seq >= limit) return undefined;
      previousSeq = entry.seq;
      return entry;
    };
    let recovery;
    try {
      recovery = await recoverFile(path, "segment", decode, (entry) => present.add(entry.seq), {
        repairTail: isNewest,
      });
    } catch (error) {
      throw spoolIoError("recover", path, error);
    }
    let damaged = false;
    for (const damage of recovery.damage) {
      if (recovery.truncatedBytes > 0 && damage.offset >= recovery.goodEnd) continue;
      damaged = true;
      logger.warn(
        { segment: path, offset: damage.offset, bytes: damage.bytes },
        "spool: segment damaged; skipped unreadable bytes and kept every good record around them",
      );
    }
    if (recovery.truncatedBytes > 0) {
      logger.warn(
        { segment: path, keptBytes: recovery.goodEnd, droppedBytes: recovery.truncatedBytes },
        "spool: cut a torn tail off the newest segment (a write that never completed)",
      );
    }
    return {
      firstSeq,
      path,
      present,
      size: isNewest ? recovery.goodEnd : recovery.fileBytes,
      damaged,
      deleted: false,
    };
  }

  /**
   * Appends punches as new entries; resolves with their seqs (consecutive, in order) once they are on disk
   * and fsync'd. Calls that arrive while a write is in flight share the next write and fsync.
   * Rejects with SpoolError SPOOL_IO (retryable) when the disk fails, SPOOL_CLOSED after close(), and
   * TypeError for a punch that is not a Punch (nothing of that call is written).
   */
  append(punches: readonly Punch[]): Promise<number[]> {
    if (this.state !== "open") return Promise.reject(closedError());
    if (punches.length === 0) return Promise.resolve([]);
    let estimatedBytes = 0;
    for (let i = 0; i < punches.length; i++) {
      const punch = punches[i]!;
      const problem = punchProblem(punch) ?? (entryFitsInFrame(punch) ? null : "larger than a spool record");
      if (problem !== null) return Promise.reject(new TypeError(`punch ${i} cannot be spooled: ${problem}`));
      estimatedBytes += estimatedFrameBytes(punch);
    }
    const firstSeq = this.nextSeq;
    this.nextSeq += punches.length;
    return new Promise<number[]>((resolve, reject) => {
      this.appendQueue.push({ firstSeq, punches, estimatedBytes, resolve, reject });
      this.startAppendLoop();
    });
  }

  /**
   * Durably records that the consumer is done with these entries (resolves after fsync); they are never
   * replayed again. Seqs that are not pending (unknown, not yet committed, already acked) are ignored.
   * Rejects with SpoolError SPOOL_IO when the disk fails (nothing of that call counts as acked).
   */
  ack(seqs: readonly number[]): Promise<void> {
    if (this.state !== "open") return Promise.reject(closedError());
    if (!seqs.every((seq) => Number.isSafeInteger(seq))) {
      return Promise.reject(new TypeError("spool seqs are integers"));
    }
    if (seqs.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.ackQueue.push({ seqs, resolve, reject });
      this.startAckLoop();
    });
  }

  /**
   * Streams the un-acked entries in seq order, reading segment files one after another through a bounded
   * buffer. It covers entries committed when iteration starts (later appends need a new call) and skips
   * entries acked by the time it reaches them. Throws SpoolError SPOOL_IO / SPOOL_CLOSED.
   */
  pending(options: { readonly afterSeq?: number } = {}): AsyncIterable<SpoolEntry> {
    return { [Symbol.asyncIterator]: () => this.replay(options.afterSeq ?? 0) };
  }

  /** Un-acked entries whose append has resolved. */
  depth(): number {
    return this.depthCount;
  }

  stats(): SpoolStats {
    return {
      depth: this.depthCount,
      segments: this.segments.length,
      nextSeq: this.nextSeq,
      fsyncs: this.fsyncs.count,
    };
  }

  /**
   * Finishes the appends and acks already accepted, then closes the files. Later calls reject with
   * SPOOL_CLOSED; a pending() iteration in progress throws SPOOL_CLOSED at its next step.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.state = "closing";
    this.closing = (async () => {
      while (this.appendLoop || this.ackLoop) await Promise.all([this.appendLoop, this.ackLoop]);
      const handle = this.active?.handle;
      this.active = null;
      try {
        await handle?.close();
        await this.ackLog.close();
      } finally {
        this.state = "closed";
        await this.lock?.release();
      }
    })();
    return this.closing;
  }

  private startAppendLoop(): void {
    if (this.appendLoop) return;
    this.appendLoop = this.runAppendLoop().then(() => {
      this.appendLoop = null;
      if (this.appendQueue.length > 0) this.startAppendLoop();
    });
  }

  private async runAppendLoop(): Promise<void> {
    // Let every append() made in the current tick join the first group.
    await Promise.resolve();
    while (this.appendQueue.length > 0) {
      const group = this.takeAppendGroup();
      try {
        await this.writeGroup(group);
      } catch (error) {
        const failure = spoolIoError("append to", this.dir, error);
        for (const call of group) {
          // Calls wholly written by an earlier piece of this group are durable; the rest failed.
          if (call.firstSeq + call.punches.length - 1 > this.lastCommittedSeq) call.reject(failure);
          else call.resolve(seqRange(call.firstSeq, call.punches.length));
        }
        continue;
      }
      for (const call of group) call.resolve(seqRange(call.firstSeq, call.punches.length));
    }
  }

  private takeAppendGroup(): AppendCall[] {
    let bytes = 0;
    let count = 0;
    while (count < this.appendQueue.length && (count === 0 || bytes < GROUP_MAX_BYTES)) {
      bytes += this.appendQueue[count]!.estimatedBytes;
      count++;
    }
    return this.appendQueue.splice(0, count);
  }

  /** Writes a group: onto the active segment, starting new segments whenever one would pass the size limit. */
  private async writeGroup(group: readonly AppendCall[]): Promise<void> {
    const pieces: Piece[] = [];
    let piece: Piece | undefined;
    let targetBytes = this.active ? this.active.segment.size : -1;
    // One huge append call makes one huge group: do not keep a buffer that size around afterwards.
    if (this.frameBuilder.capacity > 2 * GROUP_MAX_BYTES) this.frameBuilder = new FrameBuilder(64 * 1024);
    const builder = this.frameBuilder;
    builder.reset();
    for (const call of group) {
      for (let i = 0; i < call.punches.length; i++) {
        const seq = call.firstSeq + i;
        const start = builder.length;
        const frameBytes = builder.add(entryJson(seq, call.punches[i]!));
        const full =
          targetBytes > FILE_HEADER_BYTES && targetBytes + frameBytes > this.options.segmentMaxBytes;
        if (targetBytes < 0 || full || !piece) {
          const newSegment = targetBytes < 0 || full;
          piece = { newSegment, firstSeq: seq, start, end: start, data: EMPTY, seqs: new SeqRanges() };
          pieces.push(piece);
          if (newSegment) targetBytes = FILE_HEADER_BYTES;
        }
        piece.end = builder.length;
        piece.seqs.add(seq);
        targetBytes += frameBytes;
      }
    }
    for (const next of pieces) next.data = builder.bytes(next.start, next.end);
    for (const next of pieces) {
      if (next.newSegment) await this.startSegment(next);
      else await this.appendToActive(next);
    }
  }

  private async appendToActive(piece: Piece): Promise<void> {
    const active = this.active!;
    try {
      if (this.activeNeedsTruncate) {
        await active.handle.truncate(active.segment.size);
        this.activeNeedsTruncate = false;
      }
      await writeFully(active.handle, piece.data, active.segment.size);
      await active.handle.datasync();
      this.fsyncs.count++;
    } catch (error) {
      // Part of the write may have landed past the committed size; it must not survive as records.
      this.activeNeedsTruncate = true;
      throw spoolIoError("append to", active.segment.path, error);
    }
    this.commit(active.segment, piece);
  }

  private async startSegment(piece: Piece): Promise<void> {
    const path = join(this.dir, segmentFileName(piece.firstSeq));
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, "wx+");
      await writeFully(handle, fileHeader("segment"), 0);
      await writeFully(handle, piece.data, FILE_HEADER_BYTES);
      await handle.datasync();
      this.fsyncs.count++;
      await fsyncDir(this.dir);
      this.fsyncs.count++;
    } catch (error) {
      if (handle) {
        await handle.close().catch(() => undefined);
        await unlink(path).catch(() => undefined);
      }
      throw spoolIoError("create", path, error);
    }
    const segment: Segment = {
      firstSeq: piece.firstSeq,
      path,
      present: new SeqRanges(),
      size: FILE_HEADER_BYTES,
      damaged: false,
      deleted: false,
    };
    const previous = this.active;
    this.segments.push(segment);
    this.active = { segment, handle };
    this.activeNeedsTruncate = false;
    this.commit(segment, piece);
    if (previous) {
      await previous.handle.close().catch((error: unknown) => {
        this.options.logger.warn(
          { segment: previous.segment.path, error: String(error) },
          "spool: close failed",
        );
      });
      if (this.isFullyAcked(previous.segment)) this.requestCompaction();
    }
  }

  private commit(segment: Segment, piece: Piece): void {
    segment.size += piece.data.length;
    for (const [start, end] of piece.seqs.ranges()) segment.present.add(start, end);
    this.depthCount += piece.seqs.size;
    this.lastCommittedSeq = piece.seqs.last!;
  }

  private startAckLoop(): void {
    if (this.ackLoop) return;
    this.ackLoop = this.runAckLoop().then(() => {
      this.ackLoop = null;
      if (this.ackQueue.length > 0 || this.compactionWanted) this.startAckLoop();
    });
  }

  private requestCompaction(): void {
    this.compactionWanted = true;
    this.startAckLoop();
  }

  /** Acks and compaction share one serial loop: compaction rewrites the file acks are appended to. */
  private async runAckLoop(): Promise<void> {
    await Promise.resolve();
    while (this.ackQueue.length > 0 || this.compactionWanted) {
      const calls = this.ackQueue.splice(0);
      if (calls.length > 0) {
        try {
          await this.recordAcks(calls);
          for (const call of calls) call.resolve();
        } catch (error) {
          const failure = spoolIoError("record acks in", this.dir, error);
          for (const call of calls) call.reject(failure);
          continue;
        }
      }
      await this.compact();
    }
  }

  private async recordAcks(calls: readonly AckCall[]): Promise<void> {
    const fresh: number[] = [];
    for (const call of calls) {
      for (const seq of call.seqs) if (this.isPresent(seq) && !this.acked.has(seq)) fresh.push(seq);
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => a - b);
    const ranges = new SeqRanges();
    for (const seq of fresh) ranges.add(seq);
    await this.ackLog.append(ranges.ranges());
    for (const [start, end] of ranges.ranges()) this.depthCount -= this.acked.add(start, end);
    // A sealed segment may now be fully acked.
    this.compactionWanted = true;
  }

  /**
   * Deletes sealed segments whose entries are all acked, then drops their acks from the ack log.
   * Order matters for crash safety: the deletions are made durable (directory fsync) before the ack log
   * forgets their acks, so a crash can never bring back an acked entry without its ack.
   * Failures are logged and retried on the next ack; they never fail an ack that is already durable.
   */
  private async compact(): Promise<void> {
    this.compactionWanted = false;
    const activeSegment = this.active?.segment;
    const done = this.segments.filter((s) => s !== activeSegment && this.isFullyAcked(s));
    const removed: Segment[] = [];
    for (const segment of done) {
      try {
        // A damaged segment is kept aside for a human to look at; open() ignores the new name.
        if (segment.damaged) await rename(segment.path, `${segment.path}.damaged`);
        else await unlink(segment.path);
        removed.push(segment);
      } catch (error) {
        if (isNotFound(error)) removed.push(segment);
        else
          this.options.logger.warn({ segment: segment.path, error: String(error) }, "spool: cannot delete");
      }
    }
    if (removed.length > 0) {
      for (const segment of removed) {
        segment.deleted = true;
        this.segments.splice(this.segments.indexOf(segment), 1);
      }
      try {
        await fsyncDir(this.dir);
        this.fsyncs.count++;
      } catch (error) {
        this.options.logger.warn({ dir: this.dir, error: String(error) }, "spool: directory fsync failed");
        this.compactionWanted = true;
        return;
      }
    }
    if (removed.length === 0 && !this.ackLog.grownBeyond(this.options.ackLogMaxBytes)) return;
    const floor = Math.max(this.floor, this.segments[0]?.firstSeq ?? this.floor);
    this.acked.delete(1, floor - 1);
    for (const segment of removed) {
      for (const [start, end] of segment.present.ranges()) this.acked.delete(start, end);
    }
    try {
      await this.ackLog.rewrite(floor, this.acked);
      this.floor = floor;
      if (removed.length > 0) {
        this.options.logger.info(
          { removedSegments: removed.length, segments: this.segments.length, floor },
          "spool: compacted acked segments",
        );
      }
    } catch (error) {
      this.options.logger.warn({ error: String(error) }, "spool: ack log rewrite failed; will retry");
    }
  }

  private async *replay(afterSeq: number): AsyncGenerator<SpoolEntry> {
    if (this.state !== "open") throw closedError();
    const untilSeq = this.lastCommittedSeq;
    let lastSeq = afterSeq;
    for (const segment of [...this.segments]) {
      if (this.state !== "open") throw closedError();
      const last = segment.present.last;
      if (segment.deleted || last === undefined || last <= lastSeq || this.isFullyAcked(segment)) continue;
      if (segment.firstSeq > untilSeq) return;
      let handle: FileHandle;
      try {
        handle = await open(segment.path, "r");
      } catch (error) {
        if (isNotFound(error) && segment.deleted) continue; // compacted meanwhile: all of it was acked
        throw spoolIoError("open", segment.path, error);
      }
      try {
        const scan = scanFrames(handle, {
          start: FILE_HEADER_BYTES,
          end: segment.size,
          decode: decodeEntry,
          bufferBytes: this.options.readBufferBytes,
        });
        for await (const item of scan) {
          if (this.state !== "open") throw closedError();
          if (item.kind === "damage") {
            // Damage seen at open was reported then; anything new is worth a warning.
            if (!segment.damaged) {
              this.options.logger.warn(
                { segment: segment.path, offset: item.offset, bytes: item.end - item.offset },
                "spool: unreadable bytes while replaying; skipped them",
              );
            }
            continue;
          }
          const entry = item.value;
          if (entry.seq > untilSeq) return;
          // Strictly increasing and known at open: never yield one entry twice.
          if (entry.seq <= lastSeq || !segment.present.has(entry.seq) || this.acked.has(entry.seq)) continue;
          lastSeq = entry.seq;
          yield entry;
        }
      } catch (error) {
        throw spoolIoError("read", segment.path, error);
      } finally {
        await handle.close().catch(() => undefined);
      }
    }
  }

  private segmentFor(seq: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const segment = this.segments[mid]!;
      if (segment.firstSeq <= seq) {
        found = segment;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private isPresent(seq: number): boolean {
    return this.segmentFor(seq)?.present.has(seq) ?? false;
  }

  private isFullyAcked(segment: Segment): boolean {
    return this.acked.countShared(segment.present) === segment.present.size;
  }
}

const EMPTY = Buffer.alloc(0);

function seqRange(first: number, count: number): number[] {
  const seqs = new Array<number>(count);
  for (let i = 0; i < count; i++) seqs[i] = first + i;
  return seqs;
}
