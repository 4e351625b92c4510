import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  decodeTemplates,
  decodeTmpWrite,
  encodeTemplates,
  encodeTmpWrite,
} from "../../../../sidecar/src/drivers/zk/protocol/templates.js";
import { ZkDriver } from "../../../../sidecar/src/drivers/zk/zkDriver.js";
import { scenario } from "../../../simulators/zk/scenario.js";
import { ZkSimulator } from "../../../simulators/zk/zkSimulator.js";

const running: ZkSimulator[] = [];
const drivers: ZkDriver[] = [];

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.disconnect()));
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** A fingerprint-template-like blob longer than one 1024-byte upload packet. */
function blob(seed: number, length = 1500): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function start(users: { userId: string; uid: number; privilege?: number }[]) {
  let s = scenario();
  for (const u of users) s = s.addUser({ name: `User ${u.userId}`, ...u });
  const sim = new ZkSimulator({ scenario: s.build() });
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

describe("ZK template records", () => {
  it("encode and decode the dataset and the TMP_WRITE header", () => {
    const templates = [
      { uid: 2, fid: 6, valid: 1, template: blob(1, 10) },
      { uid: 300, fid: 0, valid: 3, template: blob(2, 700) },
    ];
    const dataset = encodeTemplates(templates);
    expect(dataset.readUInt32LE(0)).toBe(6 + 10 + 6 + 700);
    expect(dataset.readUInt16LE(4)).toBe(16); // record size includes its 6-byte head (pyzk Finger.repack)
    expect(decodeTemplates(dataset)).toEqual(templates);
    expect(decodeTemplates(Buffer.alloc(0))).toEqual([]);
    expect(decodeTmpWrite(encodeTmpWrite(300, 9, 1, 1500))).toEqual({
      uid: 300,
      fid: 9,
      valid: 1,
      size: 1500,
    });
  });

  it("refuses a record that runs past the dataset", () => {
    const dataset = encodeTemplates([{ uid: 2, fid: 6, valid: 1, template: blob(1, 10) }]);
    dataset.writeUInt16LE(200, 4);
    expect(() => decodeTemplates(dataset)).toThrow(/announces 200 bytes/);
  });
});

describe("ZK fingerprint templates against the simulator", () => {
  it("a template read from one terminal is written to another and read back identical", async () => {
    const a = await start([{ userId: "0111", uid: 2 }]);
    const b = await start([
      { userId: "7", uid: 1 },
      { userId: "0111", uid: 5 },
    ]);
    const enrolled = blob(42);
    expect(a.sim.enrolTemplate({ uid: 2, fid: 6, valid: 1, template: enrolled })).toBe(true);

    const read = await a.driver.readTemplates();
    expect(read).toEqual([
      {
        user_id: "0111",
        kind: "fingerprint",
        index: 6,
        format: "zkfp10",
        data_b64: enrolled.toString("base64"),
      },
    ]);

    expect(await b.driver.setTemplate(read[0]!)).toEqual({
      user_id: "0111",
      kind: "fingerprint",
      index: 6,
      action: "written",
    });
    // Stored under B's own uid for that user id, byte for byte.
    expect(b.sim.templates).toHaveLength(1);
    expect(b.sim.templates[0]).toMatchObject({ uid: 5, fid: 6, valid: 1 });
    expect(b.sim.templates[0]!.template.equals(enrolled)).toBe(true);
    expect(await b.driver.readTemplates()).toEqual(read);

    expect((await b.driver.setTemplate(read[0]!)).action).toBe("unchanged");
    // A new enrolment of the same finger replaces it.
    const again = { ...read[0]!, data_b64: blob(7, 600).toString("base64") };
    expect((await b.driver.setTemplate(again)).action).toBe("written");
    expect(b.sim.templates.map((t) => t.template.toString("base64"))).toEqual([again.data_b64]);
  });

  it("refuses with a coded reason, never quoting the template", async () => {
    const { sim, driver } = await start([
      { userId: "1", uid: 1, privilege: 14 },
      { userId: "2", uid: 2 },
    ]);
    const data_b64 = blob(3).toString("base64");
    const base = { user_id: "2", kind: "fingerprint" as const, index: 1, format: "zkfp10", data_b64 };
    const cases = [
      [{ ...base, user_id: "99" }, "TEMPLATE_REFUSED"],
      [{ ...base, user_id: "1" }, "USER_IS_ADMIN"],
      [{ ...base, format: "zkfp9" }, "TEMPLATE_REFUSED"],
      [{ ...base, kind: "face" as const }, "DEVICE_UNSUPPORTED"],
      [{ ...base, index: 12 }, "TEMPLATE_INVALID"],
    ] as const;
    for (const [input, code] of cases) {
      const error = await driver.setTemplate(input).catch((e: unknown) => e);
      expect(error).toMatchObject({ code });
      expect(String((error as Error).message)).not.toContain(data_b64.slice(0, 20));
    }
    expect(sim.templates).toEqual([]);
  });

  it("deleting a user deletes its templates on the terminal", async () => {
    const { sim, driver } = await start([{ userId: "2", uid: 2 }]);
    sim.enrolTemplate({ uid: 2, fid: 0, valid: 1, template: blob(5) });
    expect(await driver.deleteUser("2", "delete")).toEqual({ user_id: "2", action: "deleted" });
    expect(sim.templates).toEqual([]);
    expect(await driver.readTemplates()).toEqual([]);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.PYZK_PYTHON ?? resolve(here, "../../../../.venv/bin/python");
const hasPyzk = existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import zk"]).status === 0;

describe.skipIf(!hasPyzk)("pyzk reads the templates our client wrote (independent check)", () => {
  it("get_templates returns the same bytes for the same uid and finger", async () => {
    const { sim, driver } = await start([{ userId: "0111", uid: 3 }]);
    const bytes = blob(9, 1200);
    const input = { user_id: "0111", kind: "fingerprint" as const, index: 4, format: "zkfp10" };
    await driver.setTemplate({ ...input, data_b64: bytes.toString("base64") });
    await driver.disconnect();
    const script = [
      "import json, sys, base64",
      "from zk import ZK",
      "c = ZK(sys.argv[1], port=int(sys.argv[2]), timeout=10, ommit_ping=True).connect()",
      "print(json.dumps([[t.uid, t.fid, t.valid, base64.b64encode(t.template).decode()] for t in c.get_templates()]))",
      "c.disconnect()",
    ].join("\n");
    const { stdout: run } = await promisify(execFile)(PYTHON, [
      "-c",
      script,
      sim.address.host,
      String(sim.address.tcpPort),
    ]);
    expect(JSON.parse(run)).toEqual([[3, 4, 1, bytes.toString("base64")]]);
  });
});
