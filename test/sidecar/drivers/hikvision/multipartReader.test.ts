import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAlertPart } from "../../../../sidecar/src/drivers/hikvision/alertEvent.js";
import {
  boundaryFromContentType,
  type MultipartItem,
  MultipartReader,
} from "../../../../sidecar/src/drivers/hikvision/multipartReader.js";
import { SidecarError } from "../../../../sidecar/src/errors.js";

const B = "MIME_boundary";

/** An event part as a device frames it (CRLF, then the delimiter line, headers, blank line, body). */
function eventPart(serialNo: number, options: { length?: boolean; xml?: boolean } = {}): string {
  const body = options.xml
    ? `<EventNotificationAlert><dateTime>2026-11-02T09:00:00+05:30</dateTime><eventType>AccessControllerEvent</eventType><AccessControllerEvent><majorEventType>5</majorEventType><subEventType>75</subEventType><employeeNoString>00${serialNo}</employeeNoString><serialNo>${serialNo}</serialNo></AccessControllerEvent></EventNotificationAlert>`
    : JSON.stringify({
        dateTime: "2026-11-02T09:00:00+05:30",
        eventType: "AccessControllerEvent",
        AccessControllerEvent: {
          majorEventType: 5,
          subEventType: 75,
          employeeNoString: `00${serialNo}`,
          serialNo,
        },
      });
  const type = options.xml ? "application/xml" : 'application/json; charset="UTF-8"';
  const length = options.length === false ? "" : `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  return `\r\n--${B}\r\nContent-Type: ${type}\r\n${length}\r\n${body}\r\n`;
}

/** Feeds `bytes` in the given chunk sizes (cycled); returns every item. Throws if the reader throws. */
function feed(bytes: Buffer, sizes: readonly number[] = [bytes.length]): MultipartItem[] {
  const reader = new MultipartReader(B, 64 * 1024);
  const items: MultipartItem[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!);
    items.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  return items;
}

/** Serial numbers of the access events among `items`, in order. */
function serials(items: MultipartItem[]): number[] {
  return items.flatMap((item) => {
    if (item.kind !== "part") return [];
    const part = parseAlertPart(item.part);
    return part.kind === "event" && part.info.serialNo !== null ? [part.info.serialNo] : [];
  });
}

describe("boundaryFromContentType", () => {
  it("reads the boundary, quoted or not, and nothing from a non-multipart type", () => {
    expect(boundaryFromContentType("multipart/mixed; boundary=MIME_boundary")).toBe("MIME_boundary");
    expect(boundaryFromContentType('multipart/mixed;boundary="a b"; charset=x')).toBe("a b");
    expect(boundaryFromContentType("Multipart/Mixed; Boundary=--xyz")).toBe("--xyz");
    expect(boundaryFromContentType("application/json")).toBeNull();
    expect(boundaryFromContentType("multipart/mixed")).toBeNull();
    expect(boundaryFromContentType(undefined)).toBeNull();
  });
});

describe("MultipartReader", () => {
  it("cuts parts with and without Content-Length, JSON and XML, whatever the chunking", () => {
    const stream = Buffer.from(
      eventPart(1) + eventPart(2, { length: false }) + eventPart(3, { xml: true }) + eventPart(4),
    );
    // The last part is emitted once the next delimiter (or its full length) is in: add the next delimiter.
    const whole = Buffer.concat([stream, Buffer.from(`\r\n--${B}\r\n`)]);
    expect(serials(feed(whole))).toEqual([1, 2, 3, 4]);
    for (let size = 1; size <= 40; size++) expect(serials(feed(whole, [size]))).toEqual([1, 2, 3, 4]);
  });

  it("skips noise between parts as a coded item, and the part after it is read", () => {
    const items = feed(Buffer.from(eventPart(1) + "\x00\x01garbage here\r\n" + eventPart(2)));
    expect(serials(items)).toEqual([1, 2]);
    const noise = items.filter((i) => i.kind === "garbage");
    expect(noise).toHaveLength(1);
    expect(noise[0]).toMatchObject({ kind: "garbage", error: { code: "HIK_BAD_RESPONSE" } });
  });

  it("a Content-Length that lies (too long) does not swallow the next part", () => {
    const liar = `\r\n--${B}\r\nContent-Type: application/json\r\nContent-Length: 99999\r\n\r\n{"eventType":"videoloss"}\r\n`;
    expect(serials(feed(Buffer.from(liar + eventPart(7))))).toEqual([7]);
  });

  it("a broken header block (a delimiter inside it) restarts at that delimiter", () => {
    const broken = `\r\n--${B}\r\nContent-Type: application/json\r\nX-Garbage`;
    const items = feed(Buffer.from(broken + eventPart(8)));
    expect(serials(items)).toEqual([8]);
    expect(items.some((i) => i.kind === "garbage")).toBe(true);
  });

  it("skips an oversized part (a picture) and reads the next one", () => {
    const picture = `\r\n--${B}\r\nContent-Type: image/jpeg\r\nContent-Length: 200000\r\n\r\n${"x".repeat(200_000)}\r\n`;
    const items = feed(Buffer.from(eventPart(1) + picture + eventPart(2)), [4096]);
    expect(serials(items)).toEqual([1, 2]);
    expect(items.filter((i) => i.kind === "garbage")).toHaveLength(1);
  });

  it("fuzz: random garbage anywhere never throws, and never costs a valid event after it", () => {
    const fragments = [
      `--${B}`,
      `--${B}--`,
      "\r\n",
      "\n\n",
      "Content-Length: 99999\r\n",
      "Content-Length: -1\r\n\r\n",
      "Content-Type: application/json\r\n\r\n",
      '{"eventType":"AccessControllerEvent"',
      "<EventNotificationAlert><eventType>",
      "--MIME_bound",
    ];
    const garbageArb = fc
      .array(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.constantFrom(...fragments).map((f) => Buffer.from(f)),
        ),
        { maxLength: 8 },
      )
      .map((parts) => Buffer.concat(parts));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(garbageArb, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
        (segments, sizes) => {
          const expected = segments.map((_, i) => i + 1);
          const stream = Buffer.concat([
            ...segments.flatMap(([garbage, length, xml], i) => [
              garbage,
              Buffer.from(eventPart(i + 1, { length, xml })),
            ]),
            Buffer.from(`\r\n--${B}\r\n`),
          ]);
          let items: MultipartItem[] = [];
          expect(() => (items = feed(stream, sizes))).not.toThrow();
          for (const item of items) {
            if (item.kind === "garbage") expect(item.error).toBeInstanceOf(SidecarError);
            else expect(() => parseAlertPart(item.part)).not.toThrow();
          }
          // Every valid event comes out, in order, once (garbage may add no event of its own).
          expect(serials(items)).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
