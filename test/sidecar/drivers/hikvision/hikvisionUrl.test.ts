import { describe, expect, it } from "vitest";
import { parseHikvisionUrl } from "../../../../sidecar/src/drivers/hikvision/hikvisionUrl.js";

describe("parseHikvisionUrl", () => {
  it("reads credentials (percent-decoded), port, zone, id and https", () => {
    expect(parseHikvisionUrl("hikvision://ad%40min:p%3Aw%2F@10.0.0.5:8080?tz=Asia/Kolkata&id=Lobby")).toEqual(
      {
        host: "10.0.0.5",
        port: 8080,
        protocol: "http",
        allowSelfSigned: false,
        username: "ad@min",
        password: "p:w/",
        timeZone: "Asia/Kolkata",
        deviceId: "Lobby",
        label: "10.0.0.5:8080",
      },
    );
    expect(parseHikvisionUrl("hikvision://a:b@cam.local?https=1&insecure=1")).toMatchObject({
      port: 443,
      protocol: "https",
      allowSelfSigned: true,
    });
  });

  it("lists every problem, never the password", () => {
    try {
      parseHikvisionUrl("zk://:s3cretpw@host?tz=Mars/Base&x=1");
      expect.unreachable();
    } catch (error) {
      const problems = (error as { problems: string[]; code: string }).problems;
      expect((error as { code: string }).code).toBe("DEVICE_URL_INVALID");
      expect(problems).toHaveLength(4);
      expect(problems.join(" ")).not.toContain("s3cretpw");
    }
    expect(() => parseHikvisionUrl("not a url")).toThrow(
      expect.objectContaining({ code: "DEVICE_URL_INVALID" }),
    );
  });
});
