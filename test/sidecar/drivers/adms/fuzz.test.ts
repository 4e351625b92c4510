import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNaive } from "../../../../sidecar/src/domain/naiveTime.js";
import type { AdmsServer } from "../../../../sidecar/src/drivers/adms/admsServer.js";
import { parseAttlog } from "../../../../sidecar/src/drivers/adms/attlog.js";
import { parseDeviceCmdBody } from "../../../../sidecar/src/drivers/adms/deviceCmdReply.js";
import { parseInfoParam } from "../../../../sidecar/src/drivers/adms/terminalStatus.js";
import { interpretUpload } from "../../../../sidecar/src/drivers/adms/uploadBody.js";
import { ERROR_CODES } from "../../../../sidecar/src/errors.js";
import { terminalRequest } from "../../../simulators/adms/terminalHttp.js";
import { MemorySink, MemoryState, servers, SN } from "./support.js";

const runs = { numRuns: 400 };
const bounds = { minYear: 2001, latest: null };

/** Text shaped like ATTLOG bodies (tabs, newlines, digits, dates) with random damage. */
const attlogish = fc
  .array(
    fc.array(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom(
          "0111",
          "2024-03-01 09:00:12",
          "2024-02-30 25:61:00",
          "255",
          "-1",
          "",
          "\r",
          "%",
          "=",
          "&",
        ),
        fc.integer({ min: -99999, max: 99999 }).map(String),
      ),
      { maxLength: 14 },
    ),
    { maxLength: 30 },
  )
  .map((lines) => lines.map((fields) => fields.join("\t")).join("\n"));

describe("ADMS parsers under random input", () => {
  it("parseAttlog never throws, accounts for every line, and only returns sound punches", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 3000 }), attlogish), (body) => {
        const { punches, rejects, lines } = parseAttlog(body, "G", bounds);
        expect(punches.length + rejects.length).toBe(lines);
        for (const p of punches) {
          expect(parseNaive(p.time)).toBe(p.time);
          expect(p.user_id.length).toBeGreaterThan(0);
          expect(p.uid).toMatch(/^[0-9a-f]{64}$/);
        }
        for (const r of rejects) {
          expect(Object.keys(ERROR_CODES)).toContain(r.code);
          expect(typeof r.raw).toBe("string");
        }
      }),
      runs,
    );
  });

  it("interpretUpload and parseDeviceCmdBody never throw on any body or query", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 2000 }), (query, body) => {
        const upload = interpretUpload(new URLSearchParams(query), body);
        expect(typeof upload.content).toBe("string");
        const { replies, orphans } = parseDeviceCmdBody(body);
        expect(Array.isArray(replies) && Array.isArray(orphans)).toBe(true);
        for (const reply of replies)
          expect(reply.returnCode === null || Number.isInteger(reply.returnCode)).toBe(true);
        parseInfoParam(body);
      }),
      runs,
    );
  });
});

describe("ADMS server under random requests", () => {
  const harness = servers();
  let server: AdmsServer;
  const sink = new MemorySink();
  beforeAll(async () => {
    server = await harness.start({ sink, state: new MemoryState(), maxBodyBytes: 8_192 });
  });
  afterAll(() => harness.cleanup());

  it("answers every request with a known status and keeps serving", async () => {
    const request = fc.record({
      method: fc.constantFrom("GET" as const, "POST" as const),
      route: fc.constantFrom(
        "/iclock/cdata",
        "/iclock/cdata.aspx",
        "/iclock/getrequest",
        "/iclock/devicecmd.aspx",
        "/iclock/ping",
        "/iclock/registry",
        "/x",
      ),
      query: fc.oneof(
        fc.constant(`SN=${SN}&table=ATTLOG&Stamp=1`),
        fc.constant(`SN=${SN}&options=all`),
        fc.constant(`SN=${SN}`),
        fc.string({ maxLength: 40 }).map((q) => `SN=${SN}&${encodeURIComponent(q)}`),
        fc.string({ maxLength: 40 }).map(encodeURIComponent),
      ),
      body: fc.oneof(attlogish, fc.string({ maxLength: 10_000 })),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const response = await terminalRequest({
          host: "127.0.0.1",
          port: server.address.port,
          method: r.method,
          path: `${r.route}?${r.query}`,
          body: r.method === "POST" ? r.body : undefined,
          timeoutMs: 5_000,
        });
        expect([200, 400, 403, 404, 413]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
    for (const punch of sink.byUid.values()) expect(parseNaive(punch.time)).toBe(punch.time);
    const handshake = await terminalRequest({
      host: "127.0.0.1",
      port: server.address.port,
      method: "GET",
      path: `/iclock/cdata?SN=${SN}&options=all`,
      timeoutMs: 5_000,
    });
    expect(handshake.body.startsWith(`GET OPTION FROM: ${SN}`)).toBe(true);
  });
});
