import { afterEach, describe, expect, it } from "vitest";
import { HikvisionDriver } from "../../../../sidecar/src/drivers/hikvision/hikvisionDriver.js";
import { hikEvents } from "../../../simulators/hikvision/hikEvents.js";
import type { HikUser } from "../../../simulators/hikvision/hikUsers.js";
import { HikSimulator } from "../../../simulators/hikvision/hikSimulator.js";

const running: HikSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const PEOPLE: HikUser[] = [
  { employeeNo: "0001", name: "Admin", localUIRight: true },
  { employeeNo: "0111", name: "Asha", numOfFP: 2, numOfFace: 1 },
  ...Array.from({ length: 40 }, (_, i): HikUser => ({ employeeNo: `E${i + 100}`, name: `Person ${i}` })),
];

async function start(): Promise<{ sim: HikSimulator; driver: HikvisionDriver }> {
  const sim = new HikSimulator({
    username: "admin",
    password: "Passw0rd!",
    events: hikEvents(60, { users: 3 }),
    users: PEOPLE,
    // Pages hold at most 30 people, as on the device.
    maxResultsCap: 30,
  });
  await sim.start();
  running.push(sim);
  const driver = new HikvisionDriver({
    host: "127.0.0.1",
    port: sim.address.port,
    username: "admin",
    password: "Passw0rd!",
    timeZone: "Asia/Kolkata",
    deviceId: "Lobby",
    timeoutMs: 2_000,
    retryDelayMs: 5,
    pageSize: 50,
  });
  return { sim, driver };
}

const table = (sim: HikSimulator) => sim.users.map((u) => [u.employeeNo, u.name, u.enabled ?? true]);

describe("Hikvision device users against the ISAPI simulator", () => {
  it("lists every person across capped pages, with fingerprint and face presence and admins marked", async () => {
    const { sim, driver } = await start();
    const users = await driver.readUsers();
    expect(users).toHaveLength(42);
    expect(users.slice(0, 2)).toEqual([
      { user_id: "0001", name: "Admin", card: null, privilege: "admin", fingerprint: false, face: false },
      { user_id: "0111", name: "Asha", card: null, privilege: "user", fingerprint: true, face: true },
    ]);
    // One search id for all pages, advanced by what each page held.
    const searches = sim.userSearches;
    expect(searches.map((c) => c.searchResultPosition)).toEqual([0, 30]);
    expect(new Set(searches.map((c) => c.searchID)).size).toBe(1);
  });

  it("creates, renames, leaves alone, disables and deletes", async () => {
    const { sim, driver } = await start();
    expect(await driver.setUser({ user_id: "4021", name: "Neha" })).toMatchObject({ action: "created" });
    expect(table(sim).at(-1)).toEqual(["4021", "Neha", true]);
    expect(await driver.setUser({ user_id: "4021", name: "Neha" })).toMatchObject({ action: "unchanged" });
    expect(await driver.setUser({ user_id: "4021", name: "Neha K" })).toMatchObject({ action: "updated" });
    expect(await driver.deleteUser("4021", "disable")).toEqual({ user_id: "4021", action: "disabled" });
    expect(table(sim).at(-1)).toEqual(["4021", "Neha K", false]);
    // Setting a disabled user enables it again.
    expect(await driver.setUser({ user_id: "4021", name: "Neha K" })).toMatchObject({ action: "updated" });
    expect(table(sim).at(-1)).toEqual(["4021", "Neha K", true]);
    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "deleted" });
    expect(sim.users.some((u) => u.employeeNo === "4021")).toBe(false);
    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "absent" });
  });

  it("never touches an administrator and refuses what the terminal cannot hold", async () => {
    const { sim, driver } = await start();
    const before = table(sim);
    await expect(driver.setUser({ user_id: "0001", name: "X" })).rejects.toMatchObject({
      code: "USER_IS_ADMIN",
    });
    await expect(driver.deleteUser("0001", "delete")).rejects.toMatchObject({ code: "USER_IS_ADMIN" });
    await expect(driver.setUser({ user_id: "x".repeat(33), name: "X" })).rejects.toMatchObject({
      code: "USER_ID_INVALID",
    });
    await expect(driver.setUser({ user_id: "9", name: "n".repeat(33) })).rejects.toMatchObject({
      code: "USER_NAME_INVALID",
    });
    await expect(driver.setUser({ user_id: "9", name: "Card", card: "123" })).rejects.toMatchObject({
      code: "DEVICE_UNSUPPORTED",
    });
    expect(table(sim)).toEqual(before);
  });

  it("reads one person's punches with the device's own employee filter", async () => {
    const { sim, driver } = await start();
    const result = await driver.readPunches({ window: {}, userId: "0002" });
    const users = new Set([...result.punches()].map((p) => p.user_id));
    expect(users).toEqual(new Set(["0002"]));
    expect(sim.stats.conditions.at(-1)).toMatchObject({ employeeNoString: "0002" });
  });
});
