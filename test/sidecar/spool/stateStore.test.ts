import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateStore } from "../../../sidecar/src/spool/stateStore.js";
import { recordingLogger, withTempDir } from "./spoolTestKit.js";

describe("StateStore", () => {
  it("keeps values across reopen; a missing key is undefined", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      expect(store.get("zk:GATE-1")).toBeUndefined();
      await store.set("zk:GATE-1", { cursor: "2025-01-02 08:00:00", records: 1200 });
      await store.set("adms/SN 0111", "0111");
      await store.close();

      const reopened = await StateStore.open(dir);
      expect(reopened.get("zk:GATE-1")).toEqual({ cursor: "2025-01-02 08:00:00", records: 1200 });
      expect(reopened.get("adms/SN 0111")).toBe("0111");
      expect(reopened.keys().sort()).toEqual(["adms/SN 0111", "zk:GATE-1"]);
      await reopened.delete("adms/SN 0111");
      await reopened.close();
      const third = await StateStore.open(dir);
      expect(third.get("adms/SN 0111")).toBeUndefined();
      await third.close();
    });
  });

  it("copies values in and out, so callers cannot change stored state by mutating objects", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      const value = { list: [1, 2] };
      await store.set("k", value);
      value.list.push(3);
      const got = store.get("k") as { list: number[] };
      got.list.push(4);
      expect(store.get("k")).toEqual({ list: [1, 2] });
      await store.close();
    });
  });

  it("applies concurrent sets in call order (last one wins) and makes all of them durable", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`device-${i % 5}`, i)));
      expect([0, 1, 2, 3, 4].map((d) => store.get(`device-${d}`))).toEqual([45, 46, 47, 48, 49]);
      await store.close();
      const reopened = await StateStore.open(dir);
      expect([0, 1, 2, 3, 4].map((d) => reopened.get(`device-${d}`))).toEqual([45, 46, 47, 48, 49]);
      await reopened.close();
    });
  });

  it("get() shows a value only once its set() has resolved (durable)", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      const pending = store.set("k", 1);
      expect(store.get("k")).toBeUndefined();
      await pending;
      expect(store.get("k")).toBe(1);
      await store.close();
    });
  });

  it("ignores and reports a leftover .tmp from a crashed write: the old value stands", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      await store.set("cursor", 41);
      await store.close();
      await writeFile(join(dir, "state.json.tmp"), '{"version":1,"values":{"cursor":4'); // torn new value
      const logger = recordingLogger();
      const reopened = await StateStore.open(dir, { logger });
      expect(reopened.get("cursor")).toBe(41);
      expect(logger.warnings).toHaveLength(1);
      expect(await readdir(dir)).toEqual(["state.json"]);
      await reopened.close();
    });
  });

  it("moves an unreadable state file aside with a warning and starts empty instead of failing", async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, "state.json"), "\u0000\u0000garbage");
      const logger = recordingLogger();
      const store = await StateStore.open(dir, { logger });
      expect(store.keys()).toEqual([]);
      expect(logger.warnings[0]!.msg).toMatch(/unreadable/);
      const aside = (await readdir(dir)).find((name) => name.startsWith("state.json.corrupt-"));
      expect(await readFile(join(dir, aside!), "utf8")).toBe("\u0000\u0000garbage");
      await store.set("k", true);
      await store.close();
    });
  });

  it("rejects with SPOOL_CLOSED after close, and TypeError for a value that is not JSON", async () => {
    await withTempDir(async (dir) => {
      const store = await StateStore.open(dir);
      await expect(store.set("k", undefined as never)).rejects.toBeInstanceOf(TypeError);
      await store.close();
      await expect(store.set("k", 1)).rejects.toMatchObject({ code: "SPOOL_CLOSED" });
    });
  });
});
