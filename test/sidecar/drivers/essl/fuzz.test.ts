import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNaive } from "../../../../sidecar/src/domain/naiveTime.js";
import {
  parseDeviceLogs,
  parseEsslDateTime,
  parseTransactionLines,
} from "../../../../sidecar/src/drivers/essl/logLines.js";
import { readSoapAnswer } from "../../../../sidecar/src/drivers/essl/soapResponse.js";
import { escapeXml, elementText, parseXml } from "../../../../sidecar/src/drivers/shared/xmlReader.js";
import { SidecarError } from "../../../../sidecar/src/errors.js";

const runs = { numRuns: 500 };

function onlyCodedErrors(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(SidecarError);
    expect((error as SidecarError).code).toMatch(/^[A-Z_]+$/);
  }
}

/** Random XML-ish text: tags, entities, CDATA, comments and stray brackets in random order. */
const xmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<soap:Envelope>",
        "</soap:Envelope>",
        "<GetTransactionsLogResult>",
        "</GetTransactionsLogResult>",
        "<strDataList>",
        "</strDataList>",
        "<soap:Fault><faultstring>x</faultstring></soap:Fault>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?xml version='1.0'?>",
        "<!DOCTYPE a [",
        "]>",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "&bogus;",
        "<a b='>'>",
        "</a>",
        "<",
        ">",
        "Logs Count:3",
        "Unathorised User",
        "012\t2024-12-02 12:01:43\tin\r\n",
      ),
      fc.string({ maxLength: 20 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("eSSL parsers under random input", () => {
  it("parseXml returns a tree or throws ESSL_BAD_RESPONSE, in linear time", () => {
    fc.assert(
      fc.property(fc.oneof(xmlish, fc.string({ maxLength: 3000 })), (text) => {
        onlyCodedErrors(() => parseXml(text, "ESSL_BAD_RESPONSE"));
      }),
      runs,
    );
  });

  it("escaped text survives a round trip through the reader", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(elementText(parseXml(`<r><v>${escapeXml(text)}</v></r>`, "ESSL_BAD_RESPONSE"), "v")).toBe(
          text,
        );
      }),
      runs,
    );
  });

  it("readSoapAnswer returns an outcome or throws a coded error for any status and body", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 401, 404, 500, 502),
        fc.oneof(xmlish, fc.string({ maxLength: 1000 })),
        (status, body) => {
          onlyCodedErrors(() => readSoapAnswer(status, body, "GetTransactionsLogResult", "strDataList"));
          onlyCodedErrors(() => readSoapAnswer(status, body, "GetDeviceLogsResult", null));
        },
      ),
      runs,
    );
  });

  it("line parsers never throw, account for every line and only return sound punches", () => {
    const lineish = fc
      .array(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 10 }),
            fc.constantFrom("012", "2024-12-02 12:01:43", "02/12/2024 12:01", "in", "OUT", "", "[", "{"),
          ),
          {
            maxLength: 5,
          },
        ),
        { maxLength: 20 },
      )
      .chain((lines) =>
        fc.constantFrom("\t", ",", ";").map((sep) => lines.map((fields) => fields.join(sep)).join("\r\n")),
      );
    fc.assert(
      fc.property(fc.oneof(lineish, fc.string({ maxLength: 2000 }), fc.json()), (text) => {
        for (const parse of [parseTransactionLines, parseDeviceLogs]) {
          const { punches, rejects, lines } = parse(text, "D", 2001);
          expect(punches.length + rejects.length).toBe(lines);
          for (const p of punches) {
            expect(parseNaive(p.time)).toBe(p.time);
            expect(p.user_id.trim()).not.toBe("");
          }
        }
        const t = parseEsslDateTime(text);
        if (t !== null) expect(parseNaive(t)).toBe(t);
      }),
      runs,
    );
  });
});
