import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { SpoolError } from "../errors.js";
import { crc32 } from "./crc32.js";

/*
 * The on-disk format shared by spool segments and the ack log: an append-only file of framed records.
 *
 *   file   = header record*
 *   header = 6-byte kind magic ("BSSEGM" segment, "BSACKS" ack log) + uint16 LE format version (1)
 *   record = "\xF5REC" + uint32 LE payload length + uint32 LE CRC-32 of payload + payload (UTF-8 JSON)
 *
 * The record magic starts with 0xF5, a byte that never occurs in UTF-8, so it can never appear inside a
 * JSON payload: after damage, the scanner resynchronises on the next magic whose frame checks out
 * (length within bounds, CRC matches, payload decodes), and reports the bytes it skipped.
 */

export type FileKind = "segment" | "acks";

export const FILE_HEADER_BYTES = 8;
export const FORMAT_VERSION = 1;
const KIND_MAGIC: Record<FileKind, string> = { segment: "BSSEGM", acks: "BSACKS" };

export const FRAME_MAGIC = Buffer.from([0xf5, 0x52, 0x45, 0x43]);
export const FRAME_HEADER_BYTES = 12;
/** A punch is a few hundred bytes; anything claiming more than this is damage, not data. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

const SEGMENT_NAME = /^seg-(\d{16})\.log$/;

export function segmentFileName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, "0")}.log`;
}

/** The first seq a segment file was created for, or null when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  const match = SEGMENT_NAME.exec(name);
  return match ? Number(match[1]) : null;
}

export function fileHeader(kind: FileKind): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.write(KIND_MAGIC[kind], 0, "latin1");
  header.writeUInt16LE(FORMAT_VERSION, 6);
  return header;
}

export type HeaderCheck = "ok" | "damaged" | "newer-version";

export function checkFileHeader(bytes: Buffer, kind: FileKind): HeaderCheck {
  if (bytes.length < FILE_HEADER_BYTES || bytes.toString("latin1", 0, 6) !== KIND_MAGIC[kind])
    return "damaged";
  const version = bytes.readUInt16LE(6);
  if (version === FORMAT_VERSION) return "ok";
  return version > FORMAT_VERSION && version < 0x100 ? "newer-version" : "damaged";
}

/**
 * Frames records back to back into one growing buffer: one allocation per write group instead of one per
 * record, and the UTF-8 length comes from the write itself instead of a separate scan.
 */
export class FrameBuilder {
  private buffer: Buffer;
  private used = 0;

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, FRAME_HEADER_BYTES));
  }

  get length(): number {
    return this.used;
  }

  /** Appends one record whose payload is `text`; returns its frame size in bytes. */
  add(text: string): number {
    // Buffer.write silently stops when out of room: reserve the worst case (3 bytes per UTF-16 unit).
    this.reserve(FRAME_HEADER_BYTES + text.length * 3);
    const start = this.used;
    const length = this.buffer.write(text, start + FRAME_HEADER_BYTES, "utf8");
    if (length > MAX_PAYLOAD_BYTES) {
      throw new RangeError(`spool record of ${length} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit`);
    }
    FRAME_MAGIC.copy(this.buffer, start);
    this.buffer.writeUInt32LE(length, start + 4);
    const payload = this.buffer.subarray(start + FRAME_HEADER_BYTES, start + FRAME_HEADER_BYTES + length);
    this.buffer.writeUInt32LE(crc32(payload), start + 8);
    this.used = start + FRAME_HEADER_BYTES + length;
    return FRAME_HEADER_BYTES + length;
  }

  /** Bytes of buffer held, used or not. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Starts over, keeping the buffer: the spool reuses one builder for every write group. */
  reset(): void {
    this.used = 0;
  }

  /** Bytes [start, end) framed so far; a view, valid until the next add() or reset(). */
  bytes(start = 0, end = this.used): Buffer {
    return this.buffer.subarray(start, end);
  }

  private reserve(extra: number): void {
    if (this.used + extra <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + extra));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}

/** One framed record whose payload is `text`. */
export function encodeFrame(text: string): Buffer {
  const builder = new FrameBuilder(FRAME_HEADER_BYTES + text.length * 3);
  builder.add(text);
  return builder.bytes();
}

/** Turns a checked payload into a value, or undefined when it is not one (then it counts as damage). */
export type PayloadDecoder<T> = (payload: Buffer) => T | undefined;

export type ScanItem<T> =
  | { readonly kind: "record"; readonly offset: number; readonly end: number; readonly value: T }
  /** Bytes [offset, end) hold no valid record; `reachesEnd` when nothing valid follows them. */
  | { readonly kind: "damage"; readonly offset: number; readonly end: number; readonly reachesEnd: boolean };

export interface ScanOptions<T> {
  readonly start: number;
  /** Scan stops here (exclusive): the file size, or the committed size while appends may be in flight. */
  readonly end: number;
  readonly decode: PayloadDecoder<T>;
  /** Read window; it grows only to hold one record larger than this. */
  readonly bufferBytes?: number;
}

export const DEFAULT_SCAN_BUFFER_BYTES = 256 * 1024;

/**
 * Streams the records of bytes [start, end) of an open file, with a bounded read window.
 * Never throws on bad bytes: damage comes out as items, followed by the next good record if any.
 */
export async function* scanFrames<T>(
  handle: FileHandle,
  options: ScanOptions<T>,
): AsyncGenerator<ScanItem<T>> {
  const window = new ReadWindow(handle, options.end, options.bufferBytes ?? DEFAULT_SCAN_BUFFER_BYTES);
  const frameAt = async (offset: number): Promise<{ end: number; value: T } | null> => {
    if (!(await window.ensure(offset, FRAME_HEADER_BYTES))) return null;
    let bytes = window.view(offset, FRAME_HEADER_BYTES);
    if (bytes.compare(FRAME_MAGIC, 0, 4, 0, 4) !== 0) return null;
    const length = bytes.readUInt32LE(4);
    const expectedCrc = bytes.readUInt32LE(8);
    if (length > MAX_PAYLOAD_BYTES) return null;
    if (!(await window.ensure(offset, FRAME_HEADER_BYTES + length))) return null;
    bytes = window.view(offset + FRAME_HEADER_BYTES, length);
    if (crc32(bytes) !== expectedCrc) return null;
    const value = options.decode(bytes);
    return value === undefined ? null : { end: offset + FRAME_HEADER_BYTES + length, value };
  };

  let offset = options.start;
  while (offset < options.end) {
    const frame = await frameAt(offset);
    if (frame) {
      yield { kind: "record", offset, end: frame.end, value: frame.value };
      offset = frame.end;
      continue;
    }
    let resync = -1;
    let found: { end: number; value: T } | null = null;
    for (let from = offset + 1; ; from = resync + 1) {
      resync = await window.find(FRAME_MAGIC, from);
      if (resync < 0) break;
      found = await frameAt(resync);
      if (found) break;
    }
    const damageEnd = resync < 0 ? options.end : resync;
    yield { kind: "damage", offset, end: damageEnd, reachesEnd: resync < 0 };
    if (!found) break;
    yield { kind: "record", offset: resync, end: found.end, value: found.value };
    offset = found.end;
  }
}

/** A sliding cache of file bytes; views it hands out are valid until the next ensure/find. */
class ReadWindow {
  private buffer: Buffer;
  private start = 0;
  private length = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly end: number,
    private readonly chunkBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(chunkBytes, FRAME_HEADER_BYTES));
  }

  /** Makes file bytes [offset, offset + n) available; false when the scanned range or the file ends first. */
  async ensure(offset: number, n: number): Promise<boolean> {
    if (offset + n > this.end) return false;
    if (offset >= this.start && offset + n <= this.start + this.length) return true;
    if (offset >= this.start && offset < this.start + this.length) {
      this.buffer.copy(this.buffer, 0, offset - this.start, this.length);
      this.length -= offset - this.start;
    } else {
      this.length = 0;
    }
    this.start = offset;
    if (n > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(n);
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    while (this.length < n) {
      const want = Math.min(this.buffer.length - this.length, this.end - (this.start + this.length));
      const { bytesRead } = await this.handle.read(this.buffer, this.length, want, this.start + this.length);
      if (bytesRead === 0) return false; // the file is shorter than the range we were told to scan
      this.length += bytesRead;
    }
    return true;
  }

  view(offset: number, n: number): Buffer {
    return this.buffer.subarray(offset - this.start, offset - this.start + n);
  }

  /** File offset of the next occurrence of `pattern` at or after `from`, or -1. */
  async find(pattern: Buffer, from: number): Promise<number> {
    let offset = from;
    while (offset + pattern.length <= this.end) {
      const n = Math.min(Math.max(this.chunkBytes, pattern.length), this.end - offset);
      if (!(await this.ensure(offset, n))) return -1;
      const index = this.view(offset, n).indexOf(pattern);
      if (index >= 0) return offset + index;
      offset += n - pattern.length + 1; // a match may straddle the window's end
    }
    return -1;
  }
}

/** What opening one file found. Offsets are byte offsets in the file. */
export interface FileRecovery {
  readonly fileBytes: number;
  /** End of the last good record (or of the header): where appends continue. */
  readonly goodEnd: number;
  readonly records: number;
  readonly header: HeaderCheck;
  /** Unreadable stretches that were skipped (mid-file damage and, if any, the torn tail). */
  readonly damage: ReadonlyArray<{ readonly offset: number; readonly bytes: number }>;
  /** Bytes after the last good record that were cut off (only when `repairTail`). */
  readonly truncatedBytes: number;
}

/**
 * Reads every record of a file, calling `onRecord` for each good one, and reports the damage it skipped.
 * With `repairTail` (the file appends go to), a torn or garbage tail is truncated away and a damaged
 * header rewritten, so the next append starts on a clean frame boundary. Mid-file damage is left in place
 * (the good records after it are kept); reading it again later reports it again.
 * Throws SpoolError only for I/O failures and for a file written by a newer format version.
 */
export async function recoverFile<T>(
  path: string,
  kind: FileKind,
  decode: PayloadDecoder<T>,
  onRecord: (value: T, offset: number) => void,
  options: { readonly repairTail: boolean; readonly bufferBytes?: number },
): Promise<FileRecovery> {
  const handle = await open(path, options.repairTail ? "r+" : "r");
  try {
    const fileBytes = (await handle.stat()).size;
    const headerBytes = Buffer.alloc(FILE_HEADER_BYTES);
    await handle.read(headerBytes, 0, FILE_HEADER_BYTES, 0);
    const header = fileBytes < FILE_HEADER_BYTES ? "damaged" : checkFileHeader(headerBytes, kind);
    if (header === "newer-version") {
      throw new SpoolError(
        "SPOOL_FORMAT",
        `spool file ${path} was written by a newer version of the sidecar`,
        {
          details: { path, version: headerBytes.readUInt16LE(6) },
        },
      );
    }
    const damage: Array<{ offset: number; bytes: number }> = [];
    // Shorter than a header: a crash while the file was being created, i.e. a torn tail, not damage.
    const tornCreation = fileBytes < FILE_HEADER_BYTES && options.repairTail;
    if (header === "damaged" && fileBytes > 0 && !tornCreation) {
      damage.push({ offset: 0, bytes: Math.min(fileBytes, FILE_HEADER_BYTES) });
    }
    let goodEnd = FILE_HEADER_BYTES;
    let tailStart = Math.max(fileBytes, FILE_HEADER_BYTES);
    let records = 0;
    const scan = scanFrames(handle, {
      start: FILE_HEADER_BYTES,
      end: fileBytes,
      decode,
      ...(options.bufferBytes === undefined ? {} : { bufferBytes: options.bufferBytes }),
    });
    for await (const item of scan) {
      if (item.kind === "record") {
        onRecord(item.value, item.offset);
        records++;
        goodEnd = item.end;
      } else {
        damage.push({ offset: item.offset, bytes: item.end - item.offset });
        if (item.reachesEnd) tailStart = item.offset;
      }
    }
    let truncatedBytes = 0;
    if (options.repairTail) {
      let changed = false;
      if (header === "damaged") {
        await handle.write(fileHeader(kind), 0, FILE_HEADER_BYTES, 0);
        changed = true;
      }
      if (tornCreation) {
        truncatedBytes = fileBytes;
      } else if (tailStart < fileBytes) {
        truncatedBytes = fileBytes - goodEnd;
        await handle.truncate(goodEnd);
        changed = true;
      }
      if (changed) await handle.sync();
    }
    return { fileBytes, goodEnd, records, header, damage, truncatedBytes };
  } finally {
    await handle.close();
  }
}
