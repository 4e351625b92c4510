import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { EsslSimulator } from "./esslSimulator.js";

const sims: EsslSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

function post(
  port: number,
  path: string,
  action: string,
  inner: string,
): Promise<{ status: number; body: string }> {
  const body = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${inner}</soap:Body></soap:Envelope>`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: { "Content-Type": "text/xml; charset=utf-8", SOAPAction: action },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const tx = (from: string, to: string, user = "u", names = ["FromDateTime", "ToDateTime"]) =>
  `<GetTransactionsLog xmlns="http://tempuri.org/"><${names[0]}>${from}</${names[0]}><${names[1]}>${to}</${names[1]}><SerialNumber>S1</SerialNumber><UserName>${user}</UserName><UserPassword>p</UserPassword><strDataList></strDataList></GetTransactionsLog>`;

describe("EsslSimulator", () => {
  const records = [
    { serialNumber: "S1", employeeCode: "012", time: "2024-12-02 12:01:43", direction: "in" as const },
    { serialNumber: "S1", employeeCode: "CBC-107", time: "2024-12-03 10:36:51", direction: "out" as const },
  ];

  it("answers GetTransactionsLog like eTimeTrackLite: count, CRLF lines, the misspelt auth error, faults", async () => {
    const sim = new EsslSimulator({ userName: "u", password: "p", records });
    await sim.start();
    sims.push(sim);
    const action = '"http://tempuri.org/GetTransactionsLog"';
    const ok = await post(
      sim.address.port,
      "/iclock/WebAPIService.asmx",
      action,
      tx("2024-12-02 00:00:00", "2024-12-02 23:59:59"),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toContain(
      "<GetTransactionsLogResult>Logs Count:1</GetTransactionsLogResult><strDataList>012\t2024-12-02 12:01:43\tin</strDataList>",
    );
    const lower = await post(
      sim.address.port,
      "/iclock/webapiservice.asmx",
      action,
      tx("2024-12-02 00:00:00", "2024-12-03 23:59:59"),
    );
    expect(lower.body).toContain("Logs Count:2");
    expect(lower.body).toContain("in\r\nCBC-107");
    const denied = await post(
      sim.address.port,
      "/iclock/WebAPIService.asmx",
      action,
      tx("2024-12-02 00:00:00", "2024-12-02 23:59:59", "x"),
    );
    expect(denied).toMatchObject({ status: 200, body: expect.stringContaining("Unathorised User") });
    const wrongDialect = await post(
      sim.address.port,
      "/iclock/WebAPIService.asmx",
      action,
      tx("02/12/2024 00:00:00", "02/12/2024 23:59:59"),
    );
    expect(wrongDialect).toMatchObject({ status: 500, body: expect.stringContaining("<faultstring>") });
  });

  it("reads day-first text month-first when configured so (an en-US server)", async () => {
    const sim = new EsslSimulator({
      userName: "u",
      password: "p",
      records,
      accepts: [{ fromName: "FromDate", pattern: "dd-MM-yyyy", monthFirst: true }],
    });
    await sim.start();
    sims.push(sim);
    const r = await post(
      sim.address.port,
      "/iclock/WebAPIService.asmx",
      '"http://tempuri.org/GetTransactionsLog"',
      tx("12-02-2024 00:00:00", "12-02-2024 23:59:59", "u", ["FromDate", "ToDate"]),
    );
    expect(r.body).toContain("Logs Count:1");
    expect(r.body).toContain("012\t2024-12-02");
  });
});
