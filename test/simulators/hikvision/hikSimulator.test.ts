import { afterEach, describe, expect, it } from "vitest";
import { DigestClient } from "../../../sidecar/src/drivers/hikvision/digestClient.js";
import { hikEvents } from "./hikEvents.js";
import { HikSimulator } from "./hikSimulator.js";

const sims: HikSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

async function setup(options: Partial<ConstructorParameters<typeof HikSimulator>[0]> = {}) {
  const sim = new HikSimulator({ username: "admin", password: "pw", events: hikEvents(100), ...options });
  await sim.start();
  sims.push(sim);
  const client = (password = "pw") =>
    new DigestClient({
      baseUrl: new URL(`http://127.0.0.1:${sim.address.port}`),
      username: "admin",
      password,
      timeoutMs: 2_000,
    });
  const search = async (c: DigestClient, cond: Record<string, unknown>) => {
    const r = await c.request({
      method: "POST",
      path: "/ISAPI/AccessControl/AcsEvent?format=json",
      body: JSON.stringify({ AcsEventCond: { major: 5, minor: 0, maxResults: 100, ...cond } }),
      contentType: "application/json",
    });
    return {
      status: r.status,
      json: JSON.parse(r.body.toString()) as {
        AcsEvent: {
          numOfMatches: number;
          responseStatusStrg: string;
          totalMatches: number;
          InfoList?: { serialNo: number }[];
        };
      },
    };
  };
  return { sim, client, search };
}

describe("HikSimulator", () => {
  it("requires Digest, counts failures and locks the account after `lockAfter`", async () => {
    const { sim, client } = await setup({ lockAfter: 2 });
    const bad = client("wrong");
    await expect(bad.request({ method: "GET", path: "/ISAPI/System/time" })).rejects.toMatchObject({
      code: "DEVICE_AUTH_FAILED",
    });
    bad.resetAuth();
    await expect(bad.request({ method: "GET", path: "/ISAPI/System/time" })).rejects.toMatchObject({
      code: "DEVICE_AUTH_FAILED",
    });
    expect(sim.isLocked).toBe(true);
    await expect(client().request({ method: "GET", path: "/ISAPI/System/time" })).rejects.toMatchObject({
      message: expect.stringMatching(/locked/),
    });
  });

  it("caps pages at its capability, pages by position, and says MORE / OK / NO MATCH", async () => {
    const { client, search } = await setup({ maxResultsCap: 30 });
    const c = client();
    const first = await search(c, { searchID: "a", searchResultPosition: 0 });
    expect(first.json.AcsEvent).toMatchObject({
      numOfMatches: 30,
      responseStatusStrg: "MORE",
      totalMatches: 100,
    });
    const last = await search(c, { searchID: "a", searchResultPosition: 90 });
    expect(last.json.AcsEvent).toMatchObject({ numOfMatches: 10, responseStatusStrg: "OK" });
    const none = await search(c, {
      searchID: "b",
      searchResultPosition: 0,
      beginSerialNo: 500,
      endSerialNo: 600,
    });
    expect(none.json.AcsEvent).toMatchObject({ numOfMatches: 0, responseStatusStrg: "NO MATCH" });
    expect((await search(c, { searchID: "c", searchResultPosition: 0, major: 0 })).status).toBe(400);
    expect(
      (await search(c, { searchID: "d", searchResultPosition: 0, startTime: "2026-03-02 00:00:00" })).status,
    ).toBe(400);
  });

  it("returns a stale search's results when a searchID is reused with a new condition (the quirk drivers avoid)", async () => {
    const { client, search } = await setup();
    const c = client();
    await search(c, { searchID: "same", searchResultPosition: 0, beginSerialNo: 1, endSerialNo: 10 });
    const reused = await search(c, {
      searchID: "same",
      searchResultPosition: 0,
      beginSerialNo: 50,
      endSerialNo: 60,
    });
    expect(reused.json.AcsEvent.InfoList![0]!.serialNo).toBe(1);
  });

  it("reports its time with the inverted-sign zone and takes a manual time", async () => {
    const { sim, client } = await setup({ timeZone: "CST-5:30:00" });
    const c = client();
    const time = (await c.request({ method: "GET", path: "/ISAPI/System/time" })).body.toString();
    expect(time).toMatch(
      /<localTime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:30<\/localTime><timeZone>CST-5:30:00<\/timeZone>/,
    );
    const put = await c.request({
      method: "PUT",
      path: "/ISAPI/System/time",
      body: "<Time><timeMode>manual</timeMode><localTime>2031-01-02T03:04:05+05:30</localTime><timeZone>CST-5:30:00</timeZone></Time>",
      contentType: "application/xml",
    });
    expect(put.status).toBe(200);
    expect(sim.stats.timesSet).toEqual(["2031-01-02T03:04:05+05:30"]);
  });
});
