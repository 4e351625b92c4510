import { afterEach, describe, expect, it } from "vitest";
import { ZkDriver } from "../../../../sidecar/src/drivers/zk/zkDriver.js";
import { type Scenario, scenario } from "../../../simulators/zk/scenario.js";
import { ZkSimulator, type ZkSimulatorOptions } from "../../../simulators/zk/zkSimulator.js";

const running: ZkSimulator[] = [];
const drivers: ZkDriver[] = [];

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function start(options: ZkSimulatorOptions): Promise<{ sim: ZkSimulator; driver: ZkDriver }> {
  const sim = new ZkSimulator(options);
  await sim.start();
  running.push(sim);
  const driver = new ZkDriver({
    host: sim.address.host,
    port: sim.address.tcpPort,
    deviceId: "Gate",
    timeoutMs: 2_000,
    retryDelayMs: 10,
  });
  drivers.push(driver);
  return { sim, driver };
}

/** A string-id device (72-byte users) with a super admin, and a numeric one (28-byte users). */
const stringDevice = (): Scenario =>
  scenario()
    .addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 })
    .addUser({ userId: "0111", uid: 2, name: "Asha Verma", card: 12345 })
    .addPunch({ userId: "0111", time: "2026-11-02 09:00:00" })
    .build();
const numericDevice = (): Scenario =>
  scenario({ idKind: "numeric" })
    .addUser({ userId: "1", uid: 1, name: "Boss", privilege: 14 })
    .addUser({ userId: "111", uid: 2, name: "Ravi" })
    .build();

const table = (sim: ZkSimulator) => sim.users.map((u) => [u.uid, u.userId, u.name, u.privilege, u.card]);

describe("ZK device users against the simulator", () => {
  it("lists users with string ids kept whole, admins marked, cards as strings", async () => {
    const { driver } = await start({ scenario: stringDevice() });
    expect(driver.capabilities.users).toBe(true);
    expect(await driver.readUsers()).toEqual([
      { user_id: "1", name: "Boss", card: null, privilege: "admin", fingerprint: null, face: null },
      {
        user_id: "0111",
        name: "Asha Verma",
        card: "12345",
        privilege: "user",
        fingerprint: null,
        face: null,
      },
    ]);
  });

  it.each([72, 28] as const)("creates, renames, leaves alone and deletes (%i-byte users)", async (format) => {
    const { sim, driver } = await start({ scenario: format === 72 ? stringDevice() : numericDevice() });
    const created = await driver.setUser({ user_id: "4021", name: "Neha", card: "777" });
    expect(created).toMatchObject({ user_id: "4021", action: "created" });
    expect(created.record).toEqual({
      user_id: "4021",
      name: "Neha",
      card: "777",
      privilege: "user",
      fingerprint: null,
      face: null,
    });
    // A new user takes the uid after the highest, with normal privilege.
    expect(table(sim).at(-1)).toEqual([3, "4021", "Neha", 0, 777]);

    expect(await driver.setUser({ user_id: "4021", name: "Neha" })).toMatchObject({ action: "unchanged" });
    const renamed = await driver.setUser({ user_id: "4021", name: "Neha K" });
    expect(renamed.action).toBe("updated");
    // The card is kept when the input does not name one; null clears it.
    expect(table(sim).at(-1)).toEqual([3, "4021", "Neha K", 0, 777]);
    await driver.setUser({ user_id: "4021", name: "Neha K", card: null });
    expect(table(sim).at(-1)).toEqual([3, "4021", "Neha K", 0, 0]);

    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "deleted" });
    expect(sim.users.map((u) => u.userId)).not.toContain("4021");
    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "absent" });
  });

  it("never changes or deletes a privileged user", async () => {
    const { sim, driver } = await start({ scenario: stringDevice() });
    const before = table(sim);
    await expect(driver.setUser({ user_id: "1", name: "Not Boss" })).rejects.toMatchObject({
      code: "USER_IS_ADMIN",
    });
    await expect(driver.deleteUser("1", "delete")).rejects.toMatchObject({ code: "USER_IS_ADMIN" });
    expect(table(sim)).toEqual(before);
  });

  it("refuses what the record format cannot hold, and never truncates", async () => {
    const numeric = await start({ scenario: numericDevice() });
    const before = table(numeric.sim);
    for (const userId of ["123456789012", "0111", "A12"]) {
      await expect(numeric.driver.setUser({ user_id: userId, name: "X" })).rejects.toMatchObject({
        code: "USER_ID_INVALID",
      });
    }
    // 28-byte records hold an 8-byte name.
    await expect(numeric.driver.setUser({ user_id: "5", name: "Nine Char" })).rejects.toMatchObject({
      code: "USER_NAME_INVALID",
    });
    await expect(numeric.driver.setUser({ user_id: "5", name: "Ok", card: "12x" })).rejects.toMatchObject({
      code: "USER_CARD_INVALID",
    });
    await expect(numeric.driver.deleteUser("0111", "delete")).rejects.toMatchObject({
      code: "USER_ID_INVALID",
    });
    expect(table(numeric.sim)).toEqual(before);

    const text = await start({ scenario: stringDevice() });
    await expect(text.driver.setUser({ user_id: "1234567890", name: "X" })).rejects.toMatchObject({
      code: "USER_ID_INVALID",
    });
    await expect(
      text.driver.setUser({ user_id: "77", name: "A name of twenty-five chr" }),
    ).rejects.toMatchObject({ code: "USER_NAME_INVALID" });
    await expect(text.driver.setUser({ user_id: "77", name: "Zoë" })).rejects.toMatchObject({
      code: "USER_NAME_INVALID",
    });
    // Exactly 24 characters fit.
    await text.driver.setUser({ user_id: "77", name: "A name of twenty-four ch" });
    expect(text.sim.users.find((u) => u.userId === "77")?.name).toBe("A name of twenty-four ch");
  });

  it("says a ZK user cannot be disabled", async () => {
    const { driver } = await start({ scenario: stringDevice() });
    await expect(driver.deleteUser("0111", "disable")).rejects.toMatchObject({ code: "DEVICE_UNSUPPORTED" });
  });

  it("writes the first user of an empty device in the format the device says it uses", async () => {
    const { sim, driver } = await start({ scenario: scenario({ idKind: "numeric" }).build() });
    await driver.setUser({ user_id: "9", name: "First" });
    expect(sim.formats.user).toBe(28);
    expect(table(sim)).toEqual([[1, "9", "First", 0, 0]]);
  });

  it("says so when the user memory is full", async () => {
    const { driver } = await start({
      scenario: scenario().addUser({ userId: "1", name: "Only" }).capacities({ users: 1 }).build(),
    });
    await expect(driver.setUser({ user_id: "2", name: "Two" })).rejects.toMatchObject({
      code: "DEVICE_COMMAND_FAILED",
      message: expect.stringMatching(/user memory is full \(1 of 1\)/),
    });
    // Renaming the one there still works.
    expect(await driver.setUser({ user_id: "1", name: "Renamed" })).toMatchObject({ action: "updated" });
  });

  it("keeps the user's punches in the log when the user is deleted", async () => {
    const { sim, driver } = await start({ scenario: stringDevice() });
    await driver.deleteUser("0111", "delete");
    expect(sim.punches.map((p) => p.userId)).toEqual(["0111"]);
  });
});
