import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import { parseAcsEventPage, parseIsapiStatus } from "../../../../sidecar/src/drivers/hikvision/acsEvent.js";
import {
  digestAuthorization,
  digestResponse,
  parseDigestChallenge,
} from "../../../../sidecar/src/drivers/hikvision/digestAuth.js";
import {
  formatHikvisionTimeZone,
  formatIsapiTime,
  offsetAtWall,
  parseHikvisionTimeZone,
  parseIsapiTime,
  toDeviceWall,
} from "../../../../sidecar/src/drivers/hikvision/isapiTime.js";
import { findSerialGaps } from "../../../../sidecar/src/drivers/hikvision/serialGaps.js";

describe("Digest", () => {
  it("computes RFC 2617's example response (MD5, qop=auth)", () => {
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    expect(challenge).toMatchObject({
      realm: "testrealm@host.com",
      qopAuth: true,
      algorithm: "MD5",
      stale: false,
    });
    const input = {
      challenge,
      method: "GET",
      uri: "/dir/index.html",
      username: "Mufasa",
      password: "Circle Of Life",
      nonceCount: 1,
      cnonce: "0a4f113b",
    };
    expect(digestResponse(input)).toBe("6629fae49393a05397450978507c4ef1");
    const header = digestAuthorization(input);
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain("nc=00000001");
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it("computes RFC 7616's examples (MD5 and SHA-256)", () => {
    const base = {
      method: "GET",
      uri: "/dir/index.html",
      username: "Mufasa",
      password: "Circle of Life",
      nonceCount: 1,
      cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    };
    const header = (algorithm: string) =>
      `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
    expect(digestResponse({ ...base, challenge: parseDigestChallenge(header("MD5"))! })).toBe(
      "8ca523f5e9506fed4657c9700eebdbec",
    );
    expect(digestResponse({ ...base, challenge: parseDigestChallenge(header("SHA-256"))! })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  it("finds the Digest challenge among others and reads stale, quoted commas and RFC 2069 (no qop)", () => {
    expect(
      parseDigestChallenge('Basic realm="x", Digest realm="a, b", nonce="n1", qop="auth", stale=TRUE'),
    ).toMatchObject({ realm: "a, b", nonce: "n1", stale: true });
    expect(parseDigestChallenge(['Basic realm="x"', 'Digest realm="r", nonce="n2"'])).toMatchObject({
      nonce: "n2",
      qopAuth: false,
    });
    expect(parseDigestChallenge('Digest realm="r", nonce="n", qop="auth-int"')).toBeNull();
    expect(parseDigestChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')).toBeNull();
    expect(parseDigestChallenge("Basic realm=x")).toBeNull();
    expect(parseDigestChallenge(undefined)).toBeNull();
  });
});

describe("ISAPI times", () => {
  it("reads offsets in their usual spellings", () => {
    expect(parseIsapiTime("2024-03-01T09:00:12+05:30")).toEqual({
      wall: "2024-03-01 09:00:12",
      offsetMinutes: 330,
    });
    expect(parseIsapiTime("2024-03-01T09:00:12+0530")).toEqual({
      wall: "2024-03-01 09:00:12",
      offsetMinutes: 330,
    });
    expect(parseIsapiTime("2024-03-01T09:00:12-03")).toEqual({
      wall: "2024-03-01 09:00:12",
      offsetMinutes: -180,
    });
    expect(parseIsapiTime("2024-03-01T03:30:12.123Z")).toEqual({
      wall: "2024-03-01 03:30:12",
      offsetMinutes: 0,
    });
    expect(parseIsapiTime("2024-03-01T09:00:12")).toEqual({
      wall: "2024-03-01 09:00:12",
      offsetMinutes: null,
    });
    expect(parseIsapiTime("2024-02-30T09:00:12+05:30")).toBeNull();
    expect(parseIsapiTime("2024-03-01T09:00:12+15:00")).toBeNull();
    expect(parseIsapiTime("yesterday")).toBeNull();
  });

  it("converts an event time to the device's zone wall clock", () => {
    const t = parseIsapiTime("2024-03-01T09:00:12+05:30")!;
    expect(toDeviceWall(t, "Asia/Kolkata")).toBe("2024-03-01 09:00:12");
    expect(toDeviceWall(t, "Asia/Dubai")).toBe("2024-03-01 07:30:12");
    expect(toDeviceWall(t, "America/New_York")).toBe("2024-02-29 22:30:12");
    expect(toDeviceWall(t, null)).toBe("2024-03-01 09:00:12");
    expect(toDeviceWall(parseIsapiTime("2024-03-01T03:30:12Z")!, "Asia/Kolkata")).toBe("2024-03-01 09:00:12");
    expect(toDeviceWall(parseIsapiTime("2024-03-01T09:00:12")!, "Asia/Dubai")).toBe("2024-03-01 09:00:12");
  });

  it("reads the POSIX-style Hikvision zone with its inverted sign", () => {
    expect(parseHikvisionTimeZone("CST-5:30:00")).toBe(330);
    expect(parseHikvisionTimeZone("CST-8:00:00")).toBe(480);
    expect(parseHikvisionTimeZone("CST+5:00:00")).toBe(-300);
    expect(parseHikvisionTimeZone("CST5")).toBe(-300);
    expect(parseHikvisionTimeZone("CST-1:00:00DST01:00:00,M3.5.0/02:00:00,M10.5.0/03:00:00")).toBe(60);
    expect(parseHikvisionTimeZone("CST+0:00:00")).toBe(0);
    expect(parseHikvisionTimeZone("CST-5:45:00")).toBe(345);
    expect(parseHikvisionTimeZone("+05:30")).toBeNull();
    expect(formatHikvisionTimeZone(330)).toBe("CST-5:30:00");
    expect(formatHikvisionTimeZone(-300)).toBe("CST+5:00:00");
    for (const offset of [330, -300, 0, 345, 600, -570])
      expect(parseHikvisionTimeZone(formatHikvisionTimeZone(offset))).toBe(offset);
  });

  it("writes query bounds with the offset in force at that wall time (DST included)", () => {
    expect(formatIsapiTime("2024-03-01 00:00:00" as NaiveDateTime, 330)).toBe("2024-03-01T00:00:00+05:30");
    expect(formatIsapiTime("2024-03-01 00:00:00" as NaiveDateTime, -210)).toBe("2024-03-01T00:00:00-03:30");
    expect(offsetAtWall("2024-07-01 12:00:00" as NaiveDateTime, "Europe/London")).toBe(60);
    expect(offsetAtWall("2024-01-01 12:00:00" as NaiveDateTime, "Europe/London")).toBe(0);
    expect(offsetAtWall("2024-01-01 12:00:00" as NaiveDateTime, "Asia/Kolkata")).toBe(330);
  });
});

describe("AcsEvent answers", () => {
  it("reads a page and its entries, employeeNo as a string", () => {
    const page = parseAcsEventPage(
      JSON.stringify({
        AcsEvent: {
          searchID: "s1",
          responseStatusStrg: "MORE",
          numOfMatches: 2,
          totalMatches: 9,
          InfoList: [
            { major: 5, minor: 75, time: "2024-03-01T09:00:12+05:30", employeeNoString: "0111", serialNo: 7 },
            { major: 5, minor: 1, time: "2024-03-01T09:01:00+05:30", employeeNo: 42, serialNo: "8" },
          ],
        },
      }),
    );
    expect(page).toMatchObject({ searchID: "s1", status: "MORE", numOfMatches: 2, totalMatches: 9 });
    expect(page.infos.map((i) => [i.employeeNo, i.serialNo, i.minor])).toEqual([
      ["0111", 7, 75],
      ["42", 8, 1],
    ]);
  });

  it("codes what is not an answer", () => {
    for (const body of [
      "",
      "<xml/>",
      "{}",
      '{"AcsEvent":{"responseStatusStrg":"WHAT"}}',
      '{"AcsEvent":{"responseStatusStrg":"OK","InfoList":{}}}',
    ])
      expect(() => parseAcsEventPage(body)).toThrow(expect.objectContaining({ code: "HIK_BAD_RESPONSE" }));
    expect(parseAcsEventPage('{"AcsEvent":{"responseStatusStrg":"NO MATCH"}}')).toMatchObject({
      status: "NO MATCH",
      numOfMatches: 0,
      infos: [],
    });
  });

  it("reads ISAPI error bodies in JSON and XML", () => {
    expect(
      parseIsapiStatus('{"statusCode":6,"statusString":"Invalid Content","subStatusCode":"badParameters"}'),
    ).toEqual({
      statusCode: 6,
      subStatusCode: "badParameters",
      errorMsg: "Invalid Content",
    });
    expect(
      parseIsapiStatus(
        "<ResponseStatus><statusCode>4</statusCode><statusString>Invalid Operation</statusString><subStatusCode>notSupport</subStatusCode></ResponseStatus>",
      ),
    ).toEqual({ statusCode: 4, subStatusCode: "notSupport", errorMsg: "Invalid Operation" });
    expect(parseIsapiStatus("nothing")).toBeNull();
  });

  it("finds serial gaps after the cursor and within a read", () => {
    expect(findSerialGaps([5, 6, 9, 10, 20], 4)).toEqual([
      { after: 6, next: 9 },
      { after: 10, next: 20 },
    ]);
    expect(findSerialGaps([7, 8], 4)).toEqual([{ after: 4, next: 7 }]);
    expect(findSerialGaps([100, 101], null)).toEqual([]);
  });
});
