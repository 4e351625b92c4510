import { describe, expect, it } from "vitest";
import { DIALECTS } from "../../../../sidecar/src/drivers/essl/dateDialect.js";
import { parseEsslUrl } from "../../../../sidecar/src/drivers/essl/esslUrl.js";

describe("parseEsslUrl", () => {
  it("reads an eTimeTrackLite device and an eBioServer location", () => {
    expect(
      parseEsslUrl(
        "essl://api:pw%26@etl.local:85?serial=BRM9222360384&tz=Asia/Kolkata&dialect=FromDate%7Cdd%2FMM%2Fyyyy%20HH%3Amm%3Ass",
      ),
    ).toEqual({
      kind: "etimetrack",
      url: "http://etl.local:85/",
      userName: "api",
      password: "pw&",
      serialNumber: "BRM9222360384",
      timeZone: "Asia/Kolkata",
      deviceId: null,
      dialect: DIALECTS[7],
      label: "essl://etl.local:85",
    });
    expect(
      parseEsslUrl("ebioserver://u:p@10.1.1.1/iclock/webservice.asmx?location=Head%20Office&id=HO"),
    ).toMatchObject({
      kind: "ebioserver",
      url: "http://10.1.1.1:80/iclock/webservice.asmx",
      location: "Head Office",
      deviceId: "HO",
    });
  });

  it("lists every problem without the password", () => {
    try {
      parseEsslUrl("essl://u:topsecret@h?tz=Nowhere&dialect=x");
      expect.unreachable();
    } catch (error) {
      const problems = (error as { problems: string[] }).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join(" ")).not.toContain("topsecret");
    }
  });
});
