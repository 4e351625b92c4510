import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SiteClient } from "../../../sidecar/src/site/siteClient.js";
import { FakeSite } from "../../fakes/fakeSite.js";
import { LoopbackHttpServer } from "../../simulators/shared/loopbackHttpServer.js";

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

describe("SiteClient on kept-alive connections the server closes without saying so", () => {
  const servers: LoopbackHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it.each(["closeSilently", "dropIdle"] as const)(
    "sends a request that met a closed connection again, once, and every call succeeds (%s)",
    async (connection) => {
      let served = 0;
      const server = new LoopbackHttpServer(
        (_req, res) => {
          served += 1;
          res.setHeader("Content-Type", "application/json");
          res.end(JSON.stringify({ message: served }));
        },
        { connection, idleMs: 5 },
      );
      servers.push(server);
      const { port } = await server.start();
      const rude = new SiteClient({
        url: `http://127.0.0.1:${port}`,
        apiKey: "k",
        apiSecret: "s",
        timeoutMs: 2_000,
      });
      for (let i = 0; i < 40; i++) {
        await rude.call("ping", {});
        // A pause longer than the server's idle time, so dropIdle has hung up before the next call.
        if (connection === "dropIdle") await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(served).toBe(40); // each call reached the server exactly once
    },
  );
});
