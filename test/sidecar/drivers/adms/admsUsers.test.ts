import { afterEach, describe, expect, it } from "vitest";
import type { UserRecord } from "../../../../sidecar/src/domain/deviceUser.js";
import { AdmsDriver } from "../../../../sidecar/src/drivers/adms/admsDriver.js";
import type { AdmsDevice } from "../../../../sidecar/src/drivers/adms/admsServer.js";
import { parseOperlogUsers } from "../../../../sidecar/src/drivers/adms/operlogUsers.js";
import type { AdmsTerminalUser } from "../../../simulators/adms/admsTerminal.js";
import { MemorySink, MemoryState, servers, SN } from "./support.js";

const harness = servers();
afterEach(() => harness.cleanup());

const USERS: AdmsTerminalUser[] = [
  { pin: "1", name: "Boss", pri: 14 },
  { pin: "0111", name: "Asha", card: "4000123", fingerprints: 2 },
  { pin: "7", name: "Chen", face: true },
];

async function world() {
  const pushed: { device: AdmsDevice; users: UserRecord[] }[] = [];
  const server = await harness.start({
    sink: new MemorySink(),
    state: new MemoryState(),
    onUsers: (device, users) => pushed.push({ device, users: users.map((u) => u.record) }),
  });
  const terminal = harness.terminal(server, { users: USERS });
  terminal.start();
  await expect.poll(() => server.status(SN) !== undefined, { timeout: 5_000 }).toBe(true);
  const driver = new AdmsDriver({ server, serialNumber: SN, commandTimeoutMs: 5_000, settleMs: 150 });
  return { server, terminal, driver, pushed };
}

const table = (t: { users: readonly AdmsTerminalUser[] }) =>
  t.users.map((u) => [u.pin, u.name, u.pri ?? 0, u.card ?? ""]);

describe("ADMS device users through the getrequest command queue", () => {
  it("DATA QUERY USERINFO: every user, templates from FP/FACE lines, admins marked, ids as strings", async () => {
    const { driver, pushed } = await world();
    expect(await driver.readUsers()).toEqual([
      { user_id: "1", name: "Boss", card: null, privilege: "admin", fingerprint: null, face: null },
      { user_id: "0111", name: "Asha", card: "4000123", privilege: "user", fingerprint: true, face: null },
      { user_id: "7", name: "Chen", card: null, privilege: "user", fingerprint: null, face: true },
    ]);
    // The same upload reached the server's report hook.
    expect(pushed.flatMap((p) => p.users.map((u) => u.user_id))).toEqual(["1", "0111", "7"]);
  });

  it("DATA UPDATE and DELETE USERINFO: create, rename keeping the card, unchanged, delete, absent", async () => {
    const { terminal, driver } = await world();
    expect(await driver.setUser({ user_id: "4021", name: "Neha", card: "99" })).toMatchObject({
      action: "created",
    });
    expect(table(terminal).at(-1)).toEqual(["4021", "Neha", 0, "99"]);
    expect(await driver.setUser({ user_id: "0111", name: "Asha Verma" })).toMatchObject({
      action: "updated",
      record: { card: "4000123", fingerprint: true },
    });
    expect(table(terminal)[1]).toEqual(["0111", "Asha Verma", 0, "4000123"]);
    expect(await driver.setUser({ user_id: "0111", name: "Asha Verma" })).toMatchObject({
      action: "unchanged",
    });
    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "deleted" });
    expect(terminal.users.map((u) => u.pin)).toEqual(["1", "0111", "7"]);
    expect(await driver.deleteUser("4021", "delete")).toEqual({ user_id: "4021", action: "absent" });
  });

  it("never touches a privileged user, refuses what the firmware cannot hold, cannot disable", async () => {
    const { terminal, driver } = await world();
    const before = table(terminal);
    await expect(driver.setUser({ user_id: "1", name: "X" })).rejects.toMatchObject({
      code: "USER_IS_ADMIN",
    });
    await expect(driver.deleteUser("1", "delete")).rejects.toMatchObject({ code: "USER_IS_ADMIN" });
    await expect(driver.setUser({ user_id: "123456789012", name: "X" })).rejects.toMatchObject({
      code: "USER_ID_INVALID",
    });
    await expect(driver.setUser({ user_id: "8", name: "A name of twenty-five chr" })).rejects.toMatchObject({
      code: "USER_NAME_INVALID",
    });
    await expect(driver.deleteUser("7", "disable")).rejects.toMatchObject({ code: "DEVICE_UNSUPPORTED" });
    expect(table(terminal)).toEqual(before);
  });

  it("users enrolled at the terminal are reported as they arrive; bad lines are skipped, the upload still OK", async () => {
    const { server, terminal, pushed } = await world();
    terminal.enrol({ pin: "55", name: "New Face", face: true }, ["USER Name=NoPin\tPri=0", "FP garbage"]);
    await expect.poll(() => pushed.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect(pushed.at(-1)!.users).toEqual([
      { user_id: "55", name: "New Face", card: null, privilege: "user", fingerprint: null, face: true },
    ]);
    expect(terminal.stats.nonOkReplies).toBe(0);
    expect(server.knownUser(SN, "55")?.fields.Grp).toBe("1");
  });
});

describe("parseOperlogUsers", () => {
  it("reads USER, FP, FACE and BIODATA lines, skips OPLOG, rejects a line without a PIN with a code", () => {
    const parsed = parseOperlogUsers(
      [
        "OPLOG 4\t0\t2026-11-02 09:00:00\t0\t0\t0\t0",
        "USER PIN=0111\tName=Asha\tPri=0\tPasswd=\tCard=[0000000000]\tGrp=1",
        "USER PIN=9\tName=\tPri=6\tCard=12",
        "BIODATA Pin=9\tNo=0\tIndex=0\tValid=1\tType=9\tTmp=x",
        "FP FID=1\tSize=3",
      ].join("\r\n"),
    );
    expect([...parsed.users.values()].map((u) => u.record)).toEqual([
      { user_id: "0111", name: "Asha", card: null, privilege: "user", fingerprint: null, face: null },
      { user_id: "9", name: null, card: "12", privilege: "admin", fingerprint: null, face: null },
    ]);
    expect([...parsed.faces]).toEqual(["9"]);
    expect(parsed.rejects.map((r) => r.code)).toEqual(["RECORD_MALFORMED"]);
  });
});
