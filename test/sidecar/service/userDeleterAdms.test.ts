import { afterEach, describe, expect, it } from "vitest";
import type { Punch } from "../../../sidecar/src/domain/punch.js";
import { AdmsDriver } from "../../../sidecar/src/drivers/adms/admsDriver.js";
import { waitUntilConfirmed } from "../../../sidecar/src/service/confirmWait.js";
import { UserDeleter } from "../../../sidecar/src/service/userDeleter.js";
import { SiteApi } from "../../../sidecar/src/site/siteApi.js";
import { SiteClient } from "../../../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES } from "../../../sidecar/src/site/uploader.js";
import { FakeSite } from "../../fakes/fakeSite.js";
import { terminalPunches } from "../../simulators/adms/terminalPunches.js";
import { MemorySink, MemoryState, servers, SN } from "../drivers/adms/support.js";

// An ADMS terminal's user delete, with the site at the REST boundary: the user's punches are asked of the
// terminal again (DATA QUERY ATTLOG), spooled, and the delete waits for confirm_punches.
const harness = servers();
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await harness.cleanup();
});

async function world() {
  const site = new FakeSite();
  await site.start();
  cleanup.push(() => site.stop());
  const client = new SiteClient({ url: site.url, apiKey: site.apiKey, apiSecret: site.apiSecret });
  const api = new SiteApi(client, site.sidecarName);
  const server = await harness.start({ sink: new MemorySink(), state: new MemoryState() });
  const punches = terminalPunches(30, "2026-10-05");
  const pin = punches[0]!.userId;
  const terminal = harness.terminal(server, {
    punches,
    users: [
      { pin, name: "Asha" },
      { pin: "1", name: "Boss", pri: 14 },
    ],
  });
  terminal.start();
  await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
  const driver = new AdmsDriver({ server, serialNumber: SN, commandTimeoutMs: 5_000, settleMs: 150 });
  const spooled: Punch[] = [];
  const deleter = new UserDeleter({
    withDevice: (_device, work) => work(),
    sink: { append: (batch) => Promise.resolve(void spooled.push(...batch)) },
    confirm: (device, uids) =>
      waitUntilConfirmed(device, uids, {
        unconfirmed: (d, u) => api.unconfirmedPunches(d, u),
        timeoutMs: 300,
        everyMs: 50,
        code: "USER_PUNCHES_UNCONFIRMED",
        consequence: "the user was not deleted",
      }),
  });
  // What the uploader does with the spool: push_punches to the site.
  const upload = () =>
    client.call(PUSH_PUNCHES, { sidecar: site.sidecarName, device: "Main Gate", punches: spooled });
  return { site, terminal, driver, deleter, pin, punches, spooled, upload };
}

describe("deleting a user on an ADMS terminal", () => {
  it("is refused until the site holds that user's punches, then deletes", async () => {
    const { terminal, driver, deleter, pin, punches, spooled, upload } = await world();
    const request = { device: "Main Gate", driver, userId: pin, mode: "delete" as const };
    await expect(deleter.delete(request)).rejects.toMatchObject({ code: "USER_PUNCHES_UNCONFIRMED" });
    expect(terminal.users.map((u) => u.pin)).toContain(pin);
    const own = punches.filter((p) => p.userId === pin);
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(spooled.map((p) => p.user_id))).toEqual(new Set([pin]));
    expect(spooled).toHaveLength(own.length);

    await upload();
    spooled.length = 0;
    expect(await deleter.delete(request)).toMatchObject({ action: "deleted", punches: own.length });
    expect(terminal.users.map((u) => u.pin)).toEqual(["1"]);
  });

  it("never deletes a privileged user, and says absent without reading punches", async () => {
    const { terminal, driver, deleter, spooled } = await world();
    await expect(
      deleter.delete({ device: "Main Gate", driver, userId: "1", mode: "delete" }),
    ).rejects.toMatchObject({
      code: "USER_IS_ADMIN",
    });
    expect(
      await deleter.delete({ device: "Main Gate", driver, userId: "404", mode: "delete" }),
    ).toMatchObject({
      action: "absent",
    });
    expect(spooled).toHaveLength(0);
    expect(terminal.stats.commands.DATA).toBe(2);
  });
});
