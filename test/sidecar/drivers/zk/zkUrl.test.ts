import { describe, expect, it } from "vitest";
import { parseZkUrl } from "../../../../sidecar/src/drivers/zk/zkUrl.js";

describe("parseZkUrl", () => {
  it("reads host, port, comm key, zone, transport and id", () => {
    expect(
      parseZkUrl("zk://192.168.1.201:4370?commkey=123456&tz=Asia/Kolkata&transport=udp&id=Main%20Gate"),
    ).toEqual({
      host: "192.168.1.201",
      port: 4370,
      transport: "udp",
      commKey: 123456,
      timeZone: "Asia/Kolkata",
      deviceId: "Main Gate",
    });
  });

  it("defaults to port 4370, TCP, no comm key", () => {
    expect(parseZkUrl("zk://gate.local")).toMatchObject({
      host: "gate.local",
      port: 4370,
      transport: "tcp",
      commKey: 0,
      timeZone: null,
    });
  });

  it("lists every problem in one error", () => {
    expect(() => parseZkUrl("http://:0?commkey=-1&tz=Nowhere&transport=serial&colour=red")).toThrow(
      expect.objectContaining({
        code: "DEVICE_URL_INVALID",
        problems: expect.arrayContaining([
          expect.stringMatching(/scheme "http"/),
          expect.stringMatching(/commkey "-1"/),
          expect.stringMatching(/tz "Nowhere"/),
          expect.stringMatching(/transport "serial"/),
          expect.stringMatching(/unknown parameter "colour"/),
        ]),
      }),
    );
  });

  it("rejects text that is not a URL", () => {
    expect(() => parseZkUrl("192.168.1.201")).toThrow(
      expect.objectContaining({ code: "DEVICE_URL_INVALID" }),
    );
  });
});
