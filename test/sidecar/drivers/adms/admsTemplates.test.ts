import { afterEach, describe, expect, it } from "vitest";
import { AdmsDriver } from "../../../../sidecar/src/drivers/adms/admsDriver.js";
import { parseTemplateLines } from "../../../../sidecar/src/drivers/adms/operlogUsers.js";
import type { AdmsTerminalUser, TemplateTable } from "../../../simulators/adms/admsTerminal.js";
import type { AdmsFault } from "../../../simulators/adms/faults.js";
import { MemorySink, MemoryState, servers, SN } from "./support.js";

const harness = servers();
afterEach(() => harness.cleanup());

const FINGER = Buffer.from(Array.from({ length: 900 }, (_, i) => (i * 13 + 5) % 256)).toString("base64");

describe("ADMS template lines (issue 13, opt-in)", () => {
  it("FP, FACE and BIODATA lines give templates; invalid, empty and PIN-less ones are left out", () => {
    const content = [
      `USER PIN=0111\tName=Asha`,
      `FP PIN=0111\tFID=6\tSize=900\tValid=1\tTMP=${FINGER}`,
      `FP PIN=0111\tFID=7\tSize=3\tValid=0\tTMP=QUJD`,
      `FP PIN=\tFID=1\tSize=3\tValid=1\tTMP=QUJD`,
      `FP PIN=9\tFID=1\tSize=0\tValid=1\tTMP=`,
      `FACE PIN=7\tFID=0\tValid=1\tSize=3\tTMP=QUJD`,
      `BIODATA Pin=8\tNo=3\tIndex=0\tValid=1\tDuress=0\tType=1\tMajorVer=12\tMinorVer=0\tFormat=0\tTmp=QUJD`,
      `BIODATA Pin=8\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp=REVG`,
      `OPLOG 6\t0\t2026-11-02 09:00:00\t0111\t6\t0\t0`,
    ].join("\r\n");
    expect(parseTemplateLines(content)).toEqual([
      { user_id: "0111", kind: "fingerprint", index: 6, format: "zkfp10", data_b64: FINGER },
      { user_id: "7", kind: "face", index: 0, format: "face-adms", data_b64: "QUJD" },
      { user_id: "8", kind: "fingerprint", index: 3, format: "zkfp12", data_b64: "QUJD" },
      { user_id: "8", kind: "face", index: 0, format: "face-9-5.8", data_b64: "REVG" },
    ]);
  });
});

describe("ADMS templates through the getrequest command queue", () => {
  async function world(
    users: AdmsTerminalUser[],
    templateTables?: readonly TemplateTable[],
    faults: readonly AdmsFault[] = [],
    commandTimeoutMs = 5_000,
  ) {
    const server = await harness.start({ sink: new MemorySink(), state: new MemoryState() });
    const terminal = harness.terminal(server, { users, faults, ...(templateTables && { templateTables }) });
    terminal.start();
    await expect.poll(() => server.status(SN) !== undefined, { timeout: 5_000 }).toBe(true);
    const driver = new AdmsDriver({ server, serialNumber: SN, commandTimeoutMs, settleMs: 150 });
    return { terminal, driver };
  }

  it("DATA UPDATE FINGERTMP writes one; the terminal's next upload brings it back identical", async () => {
    const { terminal, driver } = await world([
      { pin: "1", name: "Boss", pri: 14 },
      { pin: "0111", name: "Asha" },
    ]);
    expect(await driver.readTemplates()).toEqual([]);
    const template = {
      user_id: "0111",
      kind: "fingerprint" as const,
      index: 6,
      format: "zkfp10",
      data_b64: FINGER,
    };
    expect(await driver.setTemplate(template)).toEqual({
      user_id: "0111",
      kind: "fingerprint",
      index: 6,
      action: "written",
    });
    expect(terminal.templates).toEqual([{ pin: "0111", table: "FINGERTMP", fid: 6, tmp: FINGER }]);
    expect(await driver.readTemplates()).toEqual([template]);
    expect((await driver.setTemplate(template)).action).toBe("unchanged");

    for (const [input, code] of [
      [{ ...template, user_id: "55" }, "TEMPLATE_REFUSED"],
      [{ ...template, user_id: "1" }, "USER_IS_ADMIN"],
      [{ ...template, format: "suprema" }, "TEMPLATE_REFUSED"],
      [{ ...template, index: 12 }, "TEMPLATE_INVALID"],
    ] as const) {
      const error = await driver.setTemplate(input).catch((e: unknown) => e);
      expect(error).toMatchObject({ code });
      expect((error as Error).message).not.toContain(FINGER.slice(0, 20));
    }

    // Deleting the user deletes its templates (on the terminal and in what the server remembers).
    expect(await driver.deleteUser("0111", "delete")).toEqual({ user_id: "0111", action: "deleted" });
    expect(terminal.templates).toEqual([]);
    expect(await driver.readTemplates()).toEqual([]);
  });

  it("faces and BIODATA templates go back in the form they came: FACE, BIODATA Type=9 and Type=1", async () => {
    const { terminal, driver } = await world([{ pin: "7", name: "Chen" }]);
    const FACE = Buffer.from(Array.from({ length: 1600 }, (_, i) => (i * 7 + 3) % 256)).toString("base64");
    const written = [
      { user_id: "7", kind: "face" as const, index: 0, format: "face-adms", data_b64: FACE },
      { user_id: "7", kind: "face" as const, index: 1, format: "face-9-5.8", data_b64: FACE.slice(0, 400) },
      { user_id: "7", kind: "fingerprint" as const, index: 3, format: "zkfp12", data_b64: FINGER },
    ];
    for (const template of written) expect((await driver.setTemplate(template)).action).toBe("written");
    expect(terminal.templates.map((t) => [t.table, t.fid, t.biodata?.type ?? null])).toEqual([
      ["FACE", 0, null],
      ["BIODATA", 0, "9"],
      ["BIODATA", 3, "1"],
    ]);
    // The terminal's next upload of the user brings each back identical, format included.
    const read = await driver.readTemplates();
    for (const template of written) expect(read).toContainEqual(template);
    expect((await driver.setTemplate(written[0]!)).action).toBe("unchanged");
  });

  it("a terminal without face templates refuses them with its Return code, and keeps nothing", async () => {
    const { terminal, driver } = await world([{ pin: "7", name: "Chen" }], ["FINGERTMP"]);
    const face = { user_id: "7", kind: "face" as const, index: 0, format: "face-adms", data_b64: "QUJD" };
    const error = await driver.setTemplate(face).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TEMPLATE_REFUSED", details: { returnCode: -1002 } });
    expect(terminal.templates).toEqual([]);
  });

  it("a rude terminal (commands taken and never answered, uploads cut mid-body) never gets a false 'written'", async () => {
    const { terminal, driver } = await world(
      [{ pin: "7", name: "Chen" }],
      undefined,
      [
        { kind: "ignoreCommands", times: 1 },
        { kind: "abortUpload", times: 1 },
      ],
      1_500,
    );
    const face = { user_id: "7", kind: "face" as const, index: 0, format: "face-adms", data_b64: FINGER };
    // The first command is swallowed: a coded, retryable failure (the site tries again later), nothing claimed.
    const error = await driver.setTemplate(face).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ADMS_COMMAND_TIMEOUT" });
    expect((error as Error).message).not.toContain(FINGER.slice(0, 20));
    // Tried again, through an upload the terminal cuts once: written, and the terminal holds exactly it.
    expect((await driver.setTemplate(face)).action).toBe("written");
    expect(terminal.templates).toEqual([{ pin: "7", table: "FACE", fid: 0, tmp: FINGER }]);
    expect(terminal.faultsFired()).toMatchObject({ ignoreCommands: 1, abortUpload: 1 });
  });
});
