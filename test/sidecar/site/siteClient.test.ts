import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SiteClient } from "../../../sidecar/src/site/siteClient.js";
import { FakeSite } from "../../fakes/fakeSite.js";

let site: FakeSite;
beforeEach(async () => {
  site = new FakeSite();
  await site.start();
});
afterEach(() => site.stop());

const client = () =>
  new SiteClient({ url: `${site.url}/`, apiKey: site.apiKey, apiSecret: site.apiSecret, timeoutMs: 2_000 });
const push = (punches: unknown[]) =>
  client().call("biometric_sync.api.ingest.push_punches", { sidecar: "S", device: "D", punches });

describe("SiteClient", () => {
  it("returns Frappe's message", async () => {
    await expect(push([])).resolves.toEqual({ results: [] });
  });

  it("classifies a refused request by status and carries the site's stable code", async () => {
    await expect(push(Array.from({ length: 1001 }, () => ({})))).rejects.toMatchObject({
      code: "SITE_REJECTED",
      retryable: false,
      details: { status: 413, siteCode: "BATCH_TOO_LARGE" },
    });
  });

  it.each([
    [403, "SITE_FORBIDDEN", false],
    [429, "SITE_UNAVAILABLE", true],
    [503, "SITE_UNAVAILABLE", true],
  ])("maps HTTP %i to %s (retryable: %s)", async (status, code, retryable) => {
    site.fail({ status, times: 1 });
    await expect(push([])).rejects.toMatchObject({
      code,
      retryable,
      message: expect.stringContaining("injected"),
    });
  });

  it("names an unreachable site", async () => {
    const url = site.url;
    await site.stop();
    await expect(new SiteClient({ url, apiKey: "k", apiSecret: "s" }).call("x", {})).rejects.toMatchObject({
      code: "SITE_UNAVAILABLE",
    });
  });
});
