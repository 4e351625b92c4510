import { describe, expect, it } from "vitest";
import { parseAdmsUrl } from "../../../../sidecar/src/drivers/adms/admsUrl.js";

describe("parseAdmsUrl", () => {
  it("reads the serial number, the device name and the zone", () => {
    expect(parseAdmsUrl("adms://BAZR192360015?id=Main%20Gate&tz=Asia/Kolkata")).toEqual({
      serialNumber: "BAZR192360015",
      deviceName: "Main Gate",
      timeZone: "Asia/Kolkata",
    });
    expect(parseAdmsUrl("adms://SN1")).toEqual({ serialNumber: "SN1", deviceName: "SN1", timeZone: null });
    expect(() => parseAdmsUrl("adms://bad sn?x=1")).toThrow(
      expect.objectContaining({ code: "DEVICE_URL_INVALID" }),
    );
  });
});
