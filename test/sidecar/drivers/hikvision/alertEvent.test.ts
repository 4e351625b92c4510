import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAlertPart } from "../../../../sidecar/src/drivers/hikvision/alertEvent.js";

const part = (body: string, type = "application/json") => ({
  headers: { "content-type": type },
  body: Buffer.from(body),
});

describe("parseAlertPart", () => {
  it("reads a JSON AccessControllerEvent into the AcsEvent shape (major, minor, time, employee, serial)", () => {
    const parsed = parseAlertPart(
      part(
        JSON.stringify({
          dateTime: "2026-11-02T09:00:12+05:30",
          eventType: "AccessControllerEvent",
          AccessControllerEvent: {
            majorEventType: 5,
            subEventType: 75,
            employeeNoString: "0042",
            serialNo: 1234,
            attendanceStatus: "checkIn",
            currentVerifyMode: "face",
            pictureURL: "http://x/y.jpg",
          },
        }),
      ),
    );
    expect(parsed).toMatchObject({
      kind: "event",
      info: {
        major: 5,
        minor: 75,
        time: "2026-11-02T09:00:12+05:30",
        employeeNo: "0042",
        serialNo: 1234,
        attendanceStatus: "checkIn",
        currentVerifyMode: "face",
      },
    });
    expect(parsed.kind === "event" && parsed.info.raw).not.toContain("pictureURL");
  });

  it("reads the XML form (older firmware), whatever the Content-Type says", () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0"><dateTime>2026-11-02T09:00:12+05:30</dateTime><eventType>AccessControllerEvent</eventType><AccessControllerEvent><majorEventType>5</majorEventType><subEventType>38</subEventType><employeeNoString>7</employeeNoString><serialNo>9</serialNo></AccessControllerEvent></EventNotificationAlert>';
    expect(parseAlertPart(part(xml, "application/json"))).toMatchObject({
      kind: "event",
      info: { major: 5, minor: 38, employeeNo: "7", serialNo: 9, time: "2026-11-02T09:00:12+05:30" },
    });
  });

  it("heartbeats, other events and pictures are not events; garbage is a coded bad part", () => {
    expect(parseAlertPart(part('{"eventType":"videoloss","eventState":"inactive"}'))).toEqual({
      kind: "heartbeat",
    });
    expect(
      parseAlertPart(
        part("<EventNotificationAlert><eventType>heartBeat</eventType></EventNotificationAlert>"),
      ),
    ).toEqual({ kind: "heartbeat" });
    expect(parseAlertPart(part('{"eventType":"VMD"}'))).toEqual({ kind: "other", what: "VMD" });
    expect(parseAlertPart(part("\xff\xd8", "image/jpeg"))).toEqual({ kind: "other", what: "picture" });
    for (const body of ["", "not json", "{broken", "<a><b></a>", '{"eventType":"AccessControllerEvent"}'])
      expect(parseAlertPart(part(body))).toMatchObject({ kind: "bad", error: { code: "HIK_BAD_RESPONSE" } });
  });

  it("noise after a complete body (a part without Content-Length) does not spoil the event", () => {
    const json = JSON.stringify({
      eventType: "AccessControllerEvent",
      dateTime: "2026-11-02T09:00:12+05:30",
      AccessControllerEvent: { majorEventType: 5, subEventType: 1, employeeNoString: "1}", serialNo: 3 },
    });
    expect(parseAlertPart(part(`${json}\r\n\x00garbage}`))).toMatchObject({
      kind: "event",
      info: { serialNo: 3, employeeNo: "1}" },
    });
  });

  it("fuzz: never throws on any bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom("application/json", "text/xml", ""),
        (bytes, type) => {
          const body = Buffer.concat([Buffer.from(bytes[0]! % 2 ? "{" : "<"), Buffer.from(bytes)]);
          expect(() => parseAlertPart({ headers: { "content-type": type }, body })).not.toThrow();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
