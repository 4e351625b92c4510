import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNaive } from "../../../../sidecar/src/domain/naiveTime.js";
import { parseAcsEventPage, parseIsapiStatus } from "../../../../sidecar/src/drivers/hikvision/acsEvent.js";
import { parseDigestChallenge } from "../../../../sidecar/src/drivers/hikvision/digestAuth.js";
import { eventToPunch } from "../../../../sidecar/src/drivers/hikvision/eventToPunch.js";
import {
  parseHikvisionTimeZone,
  parseIsapiTime,
  toDeviceWall,
} from "../../../../sidecar/src/drivers/hikvision/isapiTime.js";
import { SidecarError } from "../../../../sidecar/src/errors.js";

const runs = { numRuns: 500 };

/** Runs a parser on hostile input: it may return or throw a coded SidecarError, nothing else. */
function onlyCodedErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toMatch(/^[A-Z_]+$/);
  }
}

/** JSON shaped like AcsEvent answers, with wrong types and missing fields mixed in. */
const acsEventish = fc
  .record(
    {
      searchID: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      responseStatusStrg: fc.oneof(fc.constantFrom("OK", "MORE", "NO MATCH", "more", ""), fc.string()),
      numOfMatches: fc.oneof(fc.integer(), fc.string(), fc.double()),
      totalMatches: fc.oneof(fc.integer(), fc.string()),
      InfoList: fc.oneof(
        fc.array(
          fc.oneof(
            fc.record(
              {
                major: fc.oneof(fc.constant(5), fc.integer(), fc.string()),
                minor: fc.oneof(fc.constantFrom(1, 38, 75, 9, 21), fc.integer(), fc.string()),
                time: fc.oneof(
                  fc.constantFrom("2024-03-01T09:00:12+05:30", "2024-03-01T09:00:12Z", "2024-02-30T00:00:00"),
                  fc.string(),
                ),
                employeeNoString: fc.oneof(fc.string(), fc.constant("0111")),
                employeeNo: fc.oneof(fc.integer(), fc.string()),
                serialNo: fc.oneof(fc.integer(), fc.string(), fc.double()),
                attendanceStatus: fc.oneof(
                  fc.constantFrom("checkIn", "checkOut", "undefined"),
                  fc.anything(),
                ),
              },
              { requiredKeys: [] },
            ),
            fc.anything(),
          ),
          { maxLength: 10 },
        ),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  )
  .map((event) => JSON.stringify({ AcsEvent: event }));

describe("Hikvision parsers under random input", () => {
  it("parseAcsEventPage returns or throws HIK_BAD_RESPONSE, and every entry converts without throwing", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), acsEventish, fc.json()), (body) => {
        try {
          const page = parseAcsEventPage(body);
          for (const info of page.infos) {
            const converted = eventToPunch(info, "D", "Asia/Kolkata", 2001);
            if (converted.kind === "punch")
              expect(parseNaive(converted.punch.time)).toBe(converted.punch.time);
          }
        } catch (error) {
          expect(error).toMatchObject({ code: "HIK_BAD_RESPONSE" });
        }
      }),
      runs,
    );
  });

  it("parseDigestChallenge, parseIsapiStatus and the time readers never throw", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (text) => {
        const challenge = parseDigestChallenge(text);
        if (challenge) expect(typeof challenge.nonce).toBe("string");
        parseIsapiStatus(text);
        const offset = parseHikvisionTimeZone(text);
        if (offset !== null) expect(Math.abs(offset)).toBeLessThanOrEqual(14 * 60);
        const time = parseIsapiTime(text);
        if (time) expect(parseNaive(toDeviceWall(time, "America/New_York"))).not.toBeNull();
      }),
      runs,
    );
  });

  it("challenge headers built from random parameters parse back", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9+/=._-]{1,40}$/);
    fc.assert(
      fc.property(token, fc.string({ maxLength: 30 }), fc.boolean(), (nonce, realm, stale) => {
        const quotedRealm = realm.replace(/["\\]/g, "\\$&");
        const parsed = parseDigestChallenge(
          `Basic realm="x", Digest realm="${quotedRealm}", nonce="${nonce}", qop="auth", stale=${stale ? "TRUE" : "FALSE"}`,
        );
        expect(parsed).toMatchObject({ nonce, realm, stale, qopAuth: true });
      }),
      runs,
    );
  });

  it("onlyCodedErrors holds for the page parser on byte garbage decoded as text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) =>
        onlyCodedErrors(() => parseAcsEventPage(Buffer.from(bytes).toString("utf8"))),
      ),
      runs,
    );
  });
});
