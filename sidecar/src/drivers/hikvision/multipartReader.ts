import { ProtocolError } from "../../errors.js";

/** One part of a multipart/mixed stream: its headers (names lower-cased) and its body. */
export interface MultipartPart {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type MultipartItem =
  | { readonly kind: "part"; readonly part: MultipartPart }
  /** Bytes that are not a part (noise between parts, a broken header block, an oversized part): skipped. */
  | { readonly kind: "garbage"; readonly error: ProtocolError };

/** The boundary named by a `multipart/...; boundary=...` Content-Type, or null. */
export function boundaryFromContentType(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType);
  const value = m?.[1] ?? m?.[2] ?? null;
  return value ? value : null;
}

const MAX_HEADER_BYTES = 16 * 1024;

function garbage(message: string, bytes: number): MultipartItem {
  return {
    kind: "garbage",
    error: new ProtocolError("HIK_BAD_RESPONSE", `event stream: ${message}`, { details: { bytes } }),
  };
}

function isBlank(buf: Buffer): boolean {
  for (const byte of buf) if (byte !== 0x0d && byte !== 0x0a && byte !== 0x20 && byte !== 0x09) return false;
  return true;
}

function withoutTrailingNewline(buf: Buffer): Buffer {
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  if (end > 0 && buf[end - 1] === 0x0d) end--;
  return buf.subarray(0, end);
}

/**
 * An incremental reader of a never-ending multipart/mixed HTTP body (Hikvision's alertStream). Parts are cut by
 * the boundary; a part's Content-Length is used when it is there and true, and the next delimiter otherwise, so
 * a lying length or a broken part never swallows the valid part after it. It never throws: anything that is not
 * a part is reported as a coded "garbage" item and skipped.
 */
export class MultipartReader {
  private readonly delimiter: Buffer;
  private buffer: Buffer = Buffer.alloc(0);
  private state: "seek" | "headers" | "body" = "seek";
  private headers: Record<string, string> = {};
  private contentLength: number | null = null;
  /** Skipping the rest of a part too large to keep. */
  private skipping = false;

  constructor(
    boundary: string,
    private readonly maxPartBytes = 4 * 1024 * 1024,
  ) {
    this.delimiter = Buffer.from(`--${boundary}`, "latin1");
  }

  /** Bytes held waiting for the rest of a part. */
  get buffered(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): MultipartItem[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : Buffer.from(chunk);
    const items: MultipartItem[] = [];
    for (;;) {
      const progressed =
        this.state === "seek"
          ? this.seek(items)
          : this.state === "headers"
            ? this.readHeaders(items)
            : this.readBody(items);
      if (!progressed) return items;
    }
  }

  /** Finds the next delimiter line; what comes before it (other than blank lines) is garbage. */
  private seek(items: MultipartItem[]): boolean {
    const at = this.buffer.indexOf(this.delimiter);
    if (at === -1) {
      // Keep a tail that could be the start of a delimiter; the rest is noise.
      const keep = Math.min(this.buffer.length, this.delimiter.length - 1);
      const dropped = this.buffer.subarray(0, this.buffer.length - keep);
      if (dropped.length && !isBlank(dropped)) items.push(garbage("bytes outside any part", dropped.length));
      this.buffer = this.buffer.subarray(this.buffer.length - keep);
      return false;
    }
    const before = this.buffer.subarray(0, at);
    if (before.length && !isBlank(before)) items.push(garbage("bytes before a delimiter", before.length));
    const lineEnd = this.buffer.indexOf(0x0a, at + this.delimiter.length);
    if (lineEnd === -1) {
      this.buffer = this.buffer.subarray(at);
      // A "delimiter" line that never ends is noise: drop it once it is implausibly long.
      if (this.buffer.length > MAX_HEADER_BYTES) {
        items.push(garbage("an endless delimiter line", this.buffer.length));
        this.buffer = this.buffer.subarray(this.delimiter.length);
        return true;
      }
      return false;
    }
    // "--boundary--" closes the body; a stream may still go on (some firmware restarts it): keep seeking.
    const closing =
      this.buffer[at + this.delimiter.length] === 0x2d &&
      this.buffer[at + this.delimiter.length + 1] === 0x2d;
    this.buffer = this.buffer.subarray(lineEnd + 1);
    if (!closing) {
      this.state = "headers";
      this.headers = {};
      this.contentLength = null;
    }
    return true;
  }

  private readHeaders(items: MultipartItem[]): boolean {
    const crlf = this.buffer.indexOf("\r\n\r\n");
    const lf = this.buffer.indexOf("\n\n");
    const blankAtStart = this.buffer[0] === 0x0a || (this.buffer[0] === 0x0d && this.buffer[1] === 0x0a);
    let end: number;
    let skip: number;
    if (blankAtStart) {
      end = 0; // no headers at all
      skip = this.buffer[0] === 0x0a ? 1 : 2;
    } else if (crlf !== -1 && (lf === -1 || crlf < lf)) {
      end = crlf;
      skip = 4;
    } else if (lf !== -1) {
      end = lf;
      skip = 2;
    } else {
      end = -1;
      skip = 0;
    }
    const nextDelimiter = this.buffer.indexOf(this.delimiter);
    if (nextDelimiter !== -1 && (end === -1 || nextDelimiter < end)) {
      // A delimiter inside the header block: this part is broken; the next one starts there.
      items.push(garbage("a part with a broken header block", nextDelimiter));
      this.buffer = this.buffer.subarray(nextDelimiter);
      this.state = "seek";
      return true;
    }
    if (end === -1) {
      if (this.buffer.length <= MAX_HEADER_BYTES) return false;
      items.push(garbage("a header block without an end", this.buffer.length));
      // Keep a tail that could be the start of the next delimiter.
      this.buffer = this.buffer.subarray(this.buffer.length - (this.delimiter.length - 1));
      this.state = "seek";
      return false;
    }
    const block = this.buffer.subarray(0, end).toString("latin1");
    for (const line of block.split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = this.headers["content-length"];
    this.contentLength = length !== undefined && /^\d{1,10}$/.test(length) ? Number(length) : null;
    this.skipping = this.contentLength !== null && this.contentLength > this.maxPartBytes;
    this.buffer = this.buffer.subarray(end + skip);
    this.state = "body";
    return true;
  }

  private readBody(items: MultipartItem[]): boolean {
    const nextDelimiter = this.buffer.indexOf(this.delimiter);
    const length = this.contentLength;
    if (
      length !== null &&
      length <= this.buffer.length &&
      (nextDelimiter === -1 || nextDelimiter >= length)
    ) {
      this.emit(items, this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      return true;
    }
    if (nextDelimiter !== -1) {
      // No length, or a length that runs into the next part: the part ends at the delimiter.
      this.emit(items, withoutTrailingNewline(this.buffer.subarray(0, nextDelimiter)));
      this.buffer = this.buffer.subarray(nextDelimiter);
      return true;
    }
    if (this.buffer.length > this.maxPartBytes) {
      // Too large to keep (a picture, or no end in sight): drop what we have, keep looking for the delimiter;
      // it is reported once, when it ends.
      this.skipping = true;
      const keep = this.delimiter.length - 1;
      if (length !== null) this.contentLength = Math.max(0, length - (this.buffer.length - keep));
      this.buffer = this.buffer.subarray(this.buffer.length - keep);
    }
    return false;
  }

  private emit(items: MultipartItem[], body: Buffer): void {
    if (this.skipping) {
      this.skipping = false;
      items.push(garbage(`a part over ${this.maxPartBytes} bytes`, body.length));
    } else {
      items.push({ kind: "part", part: { headers: this.headers, body: Buffer.from(body) } });
    }
    this.state = "seek";
  }
}
