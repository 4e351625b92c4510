import { describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../../sidecar/src/domain/naiveTime.js";
import { DIALECTS, formatForDialect } from "../../../../sidecar/src/drivers/essl/dateDialect.js";
import {
  parseDeviceLogs,
  parseEsslDateTime,
  parseTransactionLines,
} from "../../../../sidecar/src/drivers/essl/logLines.js";
import { getTransactionsLogCall } from "../../../../sidecar/src/drivers/essl/soapRequest.js";
import { readSoapAnswer } from "../../../../sidecar/src/drivers/essl/soapResponse.js";
import { datesBetween, splitWindows } from "../../../../sidecar/src/drivers/essl/windows.js";
import { elementText, parseXml } from "../../../../sidecar/src/drivers/shared/xmlReader.js";

const t = (text: string) => text as NaiveDateTime;

function answer(result: string, data = ""): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetTransactionsLogResponse xmlns="http://tempuri.org/"><GetTransactionsLogResult>${result}</GetTransactionsLogResult><strDataList>${data}</strDataList></GetTransactionsLogResponse></soap:Body></soap:Envelope>`;
}

describe("xmlReader", () => {
  it("reads by local name, decodes entities and CDATA, skips comments, PIs and DOCTYPE", () => {
    const xml = parseXml(
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><!-- c --><a:Root xmlns:a="urn:x"><a:Item k="v&amp;w">A &amp; B &lt;1&gt; &#48;&#x31;2 &e;<![CDATA[<raw>&amp;]]></a:Item><Empty/></a:Root>',
      "ESSL_BAD_RESPONSE",
    );
    expect(elementText(xml, "Item")).toBe("A & B <1> 012 &e;<raw>&amp;");
    expect(elementText(xml, "Empty")).toBe("");
    expect(elementText(xml, "Missing")).toBeNull();
  });

  it.each([
    ["<a><b></a>", "mismatched end tag"],
    ["<a>", "unclosed"],
    ["text only", "no root"],
    ["<a></a><b></b>", "two roots"],
    ["<a x=1></a>", "unquoted attribute"],
    ["<a><!-- open </a>", "unterminated comment"],
    ["", "empty"],
  ])("throws a coded error for %s (%s)", (text) => {
    expect(() => parseXml(text, "ESSL_BAD_RESPONSE")).toThrow(
      expect.objectContaining({ code: "ESSL_BAD_RESPONSE" }),
    );
  });
});

describe("GetTransactionsLog answers", () => {
  it("reads Logs Count and strDataList", () => {
    expect(
      readSoapAnswer(
        200,
        answer("Logs Count:2", "012\t2024-12-02 12:01:43\tin\r\nCBC-107\t2024-12-02 10:36:51\tout"),
        "GetTransactionsLogResult",
        "strDataList",
      ),
    ).toEqual({
      kind: "data",
      dataText: "012\t2024-12-02 12:01:43\tin\r\nCBC-107\t2024-12-02 10:36:51\tout",
      declaredCount: 2,
    });
  });

  it("reads data put in the result element instead", () => {
    const outcome = readSoapAnswer(
      200,
      answer("Logs Count:1\r\n012\t2024-12-02 12:01:43\tin"),
      "GetTransactionsLogResult",
      "strDataList",
    );
    expect(outcome).toEqual({ kind: "data", dataText: "012\t2024-12-02 12:01:43\tin", declaredCount: 1 });
  });

  it("tells the misspelt auth error, other error texts, faults and 404 apart", () => {
    expect(
      readSoapAnswer(200, answer("Unathorised User"), "GetTransactionsLogResult", "strDataList"),
    ).toEqual({
      kind: "auth",
      text: "Unathorised User",
    });
    expect(
      readSoapAnswer(200, answer("Invalid Serial Number"), "GetTransactionsLogResult", "strDataList"),
    ).toEqual({
      kind: "error",
      text: "Invalid Serial Number",
    });
    const faultBody =
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; boom</faultstring></soap:Fault></soap:Body></soap:Envelope>';
    expect(readSoapAnswer(500, faultBody, "GetTransactionsLogResult", "strDataList")).toEqual({
      kind: "fault",
      text: "Server was unable to process request. ---> boom",
      status: 500,
    });
    expect(() => readSoapAnswer(404, "<html>nope", "GetTransactionsLogResult", "strDataList")).toThrow(
      expect.objectContaining({ code: "ESSL_REJECTED", retryable: false }),
    );
    expect(() =>
      readSoapAnswer(200, "<html><body>IIS</body></html>", "GetTransactionsLogResult", "strDataList"),
    ).toThrow(expect.objectContaining({ code: "ESSL_BAD_RESPONSE", retryable: true }));
    expect(() => readSoapAnswer(502, "Bad gateway", "GetTransactionsLogResult", "strDataList")).toThrow(
      expect.objectContaining({ code: "ESSL_BAD_RESPONSE" }),
    );
  });
});

describe("log lines", () => {
  it("keeps codes exactly, reads in/out and a missing direction, and rejects what does not fit", () => {
    const text = [
      "012\t2024-12-02 12:01:43\tin",
      "CBC-107\t2024-12-02 10:36:51\tOUT",
      "7\t2024-12-02 10:36:52",
      "8\t2024-12-02 10:36:53\tbreak",
      "no tab",
      "\t2024-12-02 10:36:54\tin",
      "9\t31/02/2024 10:00:00\tin",
      "9\t1999-12-31 10:00:00\tin",
    ].join("\r\n");
    const { punches, rejects, lines } = parseTransactionLines(text, "Dev", 2001);
    expect(lines).toBe(8);
    expect(punches.map((p) => [p.user_id, p.time, p.direction, p.state])).toEqual([
      ["012", "2024-12-02 12:01:43", "IN", 0],
      ["CBC-107", "2024-12-02 10:36:51", "OUT", 1],
      ["7", "2024-12-02 10:36:52", null, null],
      ["8", "2024-12-02 10:36:53", null, null],
    ]);
    expect(rejects.map((r) => [r.code, r.raw])).toEqual([
      ["RECORD_MALFORMED", "no tab"],
      ["RECORD_NO_USER_ID", "\t2024-12-02 10:36:54\tin"],
      ["RECORD_INVALID_TIME", "9\t31/02/2024 10:00:00\tin"],
      ["RECORD_IMPLAUSIBLE_TIME", "9\t1999-12-31 10:00:00\tin"],
    ]);
  });

  it("reads the date-time spellings eSSL installations use", () => {
    expect(parseEsslDateTime("2024-12-02 12:01:43")).toBe("2024-12-02 12:01:43");
    expect(parseEsslDateTime("2024/12/02 12:01")).toBe("2024-12-02 12:01:00");
    expect(parseEsslDateTime("02-12-2024 12:01:43")).toBe("2024-12-02 12:01:43");
    expect(parseEsslDateTime("02/12/2024 12:01:43")).toBe("2024-12-02 12:01:43");
    expect(parseEsslDateTime("2024-12-02T12:01:43.000")).toBe("2024-12-02 12:01:43");
    expect(parseEsslDateTime("2024-13-02 12:01:43")).toBeNull();
    expect(parseEsslDateTime("12:01")).toBeNull();
  });

  it("reads eBioServer answers in csv, tab, split date/time and JSON shapes", () => {
    const csv = parseDeviceLogs(
      "012,2024-03-01 09:00:00,in\r\n013;2024-03-01;09:05:00;out\r\nGarbage line",
      "Loc",
      2001,
    );
    expect(csv.punches.map((p) => [p.user_id, p.time, p.direction])).toEqual([
      ["012", "2024-03-01 09:00:00", "IN"],
      ["013", "2024-03-01 09:05:00", "OUT"],
    ]);
    expect(csv.rejects.map((r) => r.code)).toEqual(["RECORD_MALFORMED"]);
    const json = parseDeviceLogs(
      '[{"EmployeeCode":"0111","LogDate":"2024-03-01 09:00:00","Direction":"out"},{"x":1}]',
      "Loc",
      2001,
    );
    expect(json.punches.map((p) => [p.user_id, p.direction])).toEqual([["0111", "OUT"]]);
    expect(json.rejects.map((r) => r.code)).toEqual(["RECORD_INVALID_TIME"]);
  });
});

describe("windows and dialects", () => {
  it("splits a range into windows reaching back into the previous one", () => {
    expect(splitWindows(t("2024-03-01 00:00:00"), t("2024-03-03 12:00:00"), 86_400_000, 1_800_000)).toEqual([
      { from: "2024-03-01 00:00:00", to: "2024-03-01 23:59:59" },
      { from: "2024-03-01 23:30:00", to: "2024-03-02 23:59:59" },
      { from: "2024-03-02 23:30:00", to: "2024-03-03 12:00:00" },
    ]);
    expect(splitWindows(t("2024-03-02 00:00:00"), t("2024-03-01 00:00:00"), 86_400_000, 0)).toEqual([]);
    expect(datesBetween(t("2024-02-28 10:00:00"), t("2024-03-01 01:00:00"))).toEqual([
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
  });

  it("formats dates per dialect and names the parameters per dialect", () => {
    const when = t("2024-03-05 07:08:09");
    expect(DIALECTS.map((d) => `${d.fromName} ${formatForDialect(when, d.format)}`)).toEqual([
      "FromDateTime 2024-03-05 07:08:09",
      "FromDate 2024-03-05 07:08:09",
      "FromDateTime 2024/03/05 07:08:09",
      "FromDate 2024/03/05 07:08:09",
      "FromDateTime 05-03-2024 07:08:09",
      "FromDate 05-03-2024 07:08:09",
      "FromDateTime 05/03/2024 07:08:09",
      "FromDate 05/03/2024 07:08:09",
    ]);
    const call = getTransactionsLogCall({
      from: when,
      to: when,
      serialNumber: "S<1>",
      userName: "api&user",
      password: "p<w>",
      dialect: DIALECTS[1]!,
    });
    expect(call.soapAction).toBe('"http://tempuri.org/GetTransactionsLog"');
    expect(call.body).toContain("<FromDate>2024-03-05 07:08:09</FromDate>");
    expect(call.body).toContain("<ToDate>2024-03-05 07:08:09</ToDate>");
    expect(call.body).toContain("<SerialNumber>S&lt;1&gt;</SerialNumber>");
    expect(call.body).toContain("<UserName>api&amp;user</UserName>");
    expect(elementText(parseXml(call.body, "ESSL_BAD_RESPONSE"), "UserPassword")).toBe("p<w>");
  });
});
