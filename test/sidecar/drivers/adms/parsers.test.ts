import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import { punchUid } from "../../../../sidecar/src/domain/punch.js";
import { AccessPolicy } from "../../../../sidecar/src/drivers/adms/accessPolicy.js";
import { parseAttlog } from "../../../../sidecar/src/drivers/adms/attlog.js";
import { CommandQueue } from "../../../../sidecar/src/drivers/adms/commandQueue.js";
import { parseDeviceCmdBody } from "../../../../sidecar/src/drivers/adms/deviceCmdReply.js";
import {
  admsTimeZoneValue,
  DEFAULT_HANDSHAKE,
  handshakeReply,
  zoneOffsetMinutes,
} from "../../../../sidecar/src/drivers/adms/handshake.js";
import { parseInfoParam } from "../../../../sidecar/src/drivers/adms/terminalStatus.js";
import { interpretUpload, usableStamp } from "../../../../sidecar/src/drivers/adms/uploadBody.js";

const bounds = { minYear: 2001, latest: "2030-01-01 00:00:00" as NaiveDateTime };

describe("parseAttlog", () => {
  it("reads tab-separated lines, keeps PINs as strings and derives direction from status", () => {
    const body = "0111\t2024-03-01 09:00:12\t0\t1\t0\t0\t0\n2\t2024-03-01 09:01:40\t1\t15\t0\t0\t0\n";
    const { punches, rejects, lines } = parseAttlog(body, "Main Gate", bounds);
    expect(lines).toBe(2);
    expect(rejects).toEqual([]);
    expect(punches.map((p) => [p.user_id, p.time, p.state, p.verify, p.direction, p.device])).toEqual([
      ["0111", "2024-03-01 09:00:12", 0, 1, "IN", "Main Gate"],
      ["2", "2024-03-01 09:01:40", 1, 15, "OUT", "Main Gate"],
    ]);
    expect(punches[0]!.uid).toBe(punchUid("Main Gate", "0111", "2024-03-01 09:00:12" as NaiveDateTime));
    expect(punches[0]!.raw).toBe("0111\t2024-03-01 09:00:12\t0\t1\t0\t0\t0");
  });

  it("accepts CRLF, newer 12-field lines, short 2-field lines and status 255", () => {
    const body =
      "7\t2024-03-01 09:00:00\t255\t1\t0\t0\t0\t0\t36.5\t97.7\t+19800\teyJ9\r\n8\t2024-03-01 09:00:01\r\n\r\n";
    const { punches, rejects } = parseAttlog(body, "G", bounds);
    expect(rejects).toEqual([]);
    expect(punches.map((p) => [p.user_id, p.state, p.verify, p.direction])).toEqual([
      ["7", 255, 1, null],
      ["8", null, null, null],
    ]);
  });

  it("keeps every line that cannot become a punch as a coded reject with the raw line", () => {
    const lines = [
      "garbage without tabs",
      "\t2024-03-01 09:00:00\t0\t1",
      "5\t2024-02-30 09:00:00\t0\t1",
      "5\t01/03/2024 09:00\t0\t1",
      "5\t2000-01-01 00:00:05\t0\t1",
      "5\t2031-01-01 00:00:00\t0\t1",
      "5\t2024-03-01 09:00:00\tx\t1",
      "x".repeat(5000),
      `${"9".repeat(80)}\t2024-03-01 09:00:00`,
    ];
    const { punches, rejects, lines: count } = parseAttlog(lines.join("\n"), "G", bounds);
    expect(punches).toEqual([]);
    expect(count).toBe(lines.length);
    expect(rejects.map((r) => r.code)).toEqual([
      "RECORD_MALFORMED",
      "RECORD_NO_USER_ID",
      "RECORD_INVALID_TIME",
      "RECORD_INVALID_TIME",
      "RECORD_IMPLAUSIBLE_TIME",
      "RECORD_IMPLAUSIBLE_TIME",
      "RECORD_MALFORMED",
      "RECORD_MALFORMED",
      "RECORD_MALFORMED",
    ]);
    expect(rejects.slice(0, 7).map((r) => r.raw)).toEqual(lines.slice(0, 7));
    expect(rejects[7]!.raw.startsWith("x".repeat(4096))).toBe(true);
  });
});

describe("interpretUpload", () => {
  it("takes table and stamp from the query and the body raw, whatever the Content-Type claims", () => {
    const upload = interpretUpload(
      new URLSearchParams("SN=1&table=attlog&Stamp=42"),
      "1\t2024-03-01 09:00:00",
    );
    expect(upload).toEqual({ table: "ATTLOG", stamp: "42", content: "1\t2024-03-01 09:00:00" });
  });

  it("reads the form-encoded variant (table, Stamp and data in the body)", () => {
    const data = "0111\t2024-03-01 09:00:12\t0\t1\n";
    const upload = interpretUpload(
      new URLSearchParams("SN=1"),
      `table=ATTLOG&Stamp=9999&data=${encodeURIComponent(data)}`,
    );
    expect(upload).toEqual({ table: "ATTLOG", stamp: "9999", content: data });
    expect(
      interpretUpload(new URLSearchParams("SN=1&table=ATTLOG"), `data=${encodeURIComponent(data)}`).content,
    ).toBe(data);
  });

  it("stores only decimal stamps", () => {
    expect(usableStamp("123")).toBe("123");
    expect(usableStamp("None")).toBeNull();
    expect(usableStamp("1\nATTLOGStamp=0")).toBeNull();
    expect(usableStamp(null)).toBeNull();
  });
});

describe("handshake", () => {
  it("answers with the stored stamps, the zone, realtime and the table flags", () => {
    const body = handshakeReply("SN1", { ATTLOG: "77", OPERLOG: null }, 330, DEFAULT_HANDSHAKE);
    const lines = body.split("\n");
    expect(lines[0]).toBe("GET OPTION FROM: SN1");
    expect(lines).toContain("ATTLOGStamp=77");
    expect(lines).toContain("OPERLOGStamp=9999");
    expect(lines).toContain("TimeZone=330");
    expect(lines).toContain("Realtime=1");
    expect(lines).toContain("TransFlag=TransData AttLog\tOpLog");
    expect(lines.some((l) => l.startsWith("ServerVer="))).toBe(true);
    expect(handshakeReply("SN1", { ATTLOG: null, OPERLOG: null }, 60, DEFAULT_HANDSHAKE)).toContain(
      "ATTLOGStamp=None",
    );
  });

  it("writes whole-hour zones in hours and others in minutes, DST included", () => {
    expect(admsTimeZoneValue(480)).toBe("8");
    expect(admsTimeZoneValue(-300)).toBe("-5");
    expect(admsTimeZoneValue(330)).toBe("330");
    expect(admsTimeZoneValue(345)).toBe("345");
    expect(admsTimeZoneValue(-210)).toBe("-210");
    expect(zoneOffsetMinutes("Asia/Kolkata", Date.UTC(2026, 0, 1))).toBe(330);
    expect(zoneOffsetMinutes("Europe/London", Date.UTC(2026, 6, 1))).toBe(60);
    expect(zoneOffsetMinutes("Europe/London", Date.UTC(2026, 0, 1))).toBe(0);
  });

  it("splits the getrequest INFO parameter", () => {
    expect(parseInfoParam("Ver 2.0.12-20150625,12,30,4567,192.168.16.27,10,7,15,0,111")).toEqual({
      firmware: "Ver 2.0.12-20150625",
      users: 12,
      fingerprints: 30,
      attendanceLogs: 4567,
      ip: "192.168.16.27",
    });
    expect(parseInfoParam("")).toMatchObject({ firmware: null, users: null });
  });
});

describe("parseDeviceCmdBody", () => {
  it("reads several replies, VERIFY SUM fields and INFO key=value lines", () => {
    const body = [
      "ID=a1&Return=0&CMD=DATA",
      "ID=a2&Return=-1002&CMD=REBOOT",
      "ID=a3&Return=0&CMD=VERIFY SUM&StartTime=2024-03-01 00:00:00&EndTime=2024-03-31 23:59:59&AttlogSum=12",
      "ID=a4&Return=0&CMD=INFO",
      "~DeviceName=K40",
      "UserCount=3",
      "",
    ].join("\n");
    const { replies, orphans } = parseDeviceCmdBody(body);
    expect(orphans).toEqual([]);
    expect(replies.map((r) => [r.id, r.returnCode, r.cmd])).toEqual([
      ["a1", 0, "DATA"],
      ["a2", -1002, "REBOOT"],
      ["a3", 0, "VERIFY SUM"],
      ["a4", 0, "INFO"],
    ]);
    expect(replies[2]!.fields).toEqual({
      StartTime: "2024-03-01 00:00:00",
      EndTime: "2024-03-31 23:59:59",
      AttlogSum: "12",
    });
    expect(replies[3]!.info).toEqual({ "~DeviceName": "K40", UserCount: "3" });
  });

  it("reads the one-field-per-line shape and keeps lines before any ID as orphans", () => {
    const { replies, orphans } = parseDeviceCmdBody("stray\nID=f9\nSN=X\nReturn=0\nCMD=GetFile\nContent=abc");
    expect(orphans).toEqual(["stray"]);
    expect(replies).toEqual([
      { id: "f9", returnCode: 0, cmd: "GetFile", fields: {}, info: { SN: "X", Content: "abc" } },
    ]);
  });
});

describe("CommandQueue", () => {
  it("delivers once, redelivers after the resend delay, settles by id and codes a non-zero Return", async () => {
    let now = 0;
    const queue = new CommandQueue({ timeoutMs: 60_000, resendAfterMs: 1_000, now: () => now });
    const info = queue.enqueue("S", "INFO");
    const reboot = queue.enqueue("S", "REBOOT");
    const lines = queue.deliver("S");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^C:[0-9a-z]{1,16}:INFO$/);
    expect(queue.deliver("S")).toEqual([]);
    now = 1_500;
    expect(queue.deliver("S")).toEqual(lines);
    const id = (line: string) => line.split(":")[1]!;
    expect(queue.settle("S", { id: id(lines[0]!), returnCode: 0, cmd: "INFO", fields: {}, info: {} })).toBe(
      true,
    );
    expect(
      queue.settle("S", { id: id(lines[1]!), returnCode: -1002, cmd: "REBOOT", fields: {}, info: {} }),
    ).toBe(true);
    await expect(info).resolves.toMatchObject({ cmd: "INFO" });
    await expect(reboot).rejects.toMatchObject({ code: "ADMS_COMMAND_REJECTED", retryable: false });
    expect(queue.settle("S", { id: "nope", returnCode: 0, cmd: "X", fields: {}, info: {} })).toBe(false);
    expect(queue.pending("S")).toBe(0);
  });

  it("times out a command nobody answers and refuses newlines", async () => {
    const queue = new CommandQueue({ timeoutMs: 20, resendAfterMs: 1_000, now: Date.now });
    await expect(queue.enqueue("S", "INFO")).rejects.toMatchObject({
      code: "ADMS_COMMAND_TIMEOUT",
      retryable: true,
    });
    await expect(queue.enqueue("S", "INFO\nC:1:CLEAR DATA")).rejects.toMatchObject({
      code: "ADMS_BAD_REQUEST",
    });
  });
});

describe("AccessPolicy", () => {
  it("checks IPv4, CIDR, IPv6 and v4-mapped addresses", () => {
    const policy = new AccessPolicy({ allowFrom: ["192.168.1.0/24", "10.0.0.5", "fd00::/8"] });
    expect(policy.addressAllowed("192.168.1.77")).toBe(true);
    expect(policy.addressAllowed("::ffff:192.168.1.77")).toBe(true);
    expect(policy.addressAllowed("10.0.0.5")).toBe(true);
    expect(policy.addressAllowed("10.0.0.6")).toBe(false);
    expect(policy.addressAllowed("fd12::1")).toBe(true);
    expect(policy.addressAllowed(undefined)).toBe(false);
    expect(new AccessPolicy({}).addressAllowed("8.8.8.8")).toBe(true);
  });

  it("lists every bad entry and a short secret at once", () => {
    expect(() => new AccessPolicy({ allowFrom: ["nope", "10.0.0.0/40"], secret: "short" })).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        problems: expect.arrayContaining([expect.any(String)]),
      }),
    );
    try {
      new AccessPolicy({ allowFrom: ["nope", "10.0.0.0/40"], secret: "short" });
    } catch (error) {
      expect((error as { problems: string[] }).problems).toHaveLength(3);
    }
  });

  it("matches the secret exactly", () => {
    const policy = new AccessPolicy({ secret: "correct horse" });
    expect(policy.secretMatches("correct horse")).toBe(true);
    expect(policy.secretMatches("correct hors")).toBe(false);
    expect(policy.secretMatches(undefined)).toBe(false);
  });
});
