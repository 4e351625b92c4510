import { describe, expect, it } from "vitest";
import { Cmd } from "../../../sidecar/src/drivers/zk/protocol/constants.js";
import { decodeFreeSizes } from "../../../sidecar/src/drivers/zk/protocol/freeSizes.js";
import { runZkSimulator } from "./cli.js";
import { RawTcpClient } from "./rawZkClient.js";

describe("runZkSimulator (behind `biometric-sidecar simulate zk`)", () => {
  it("serves exactly --records punches, prints where and how to connect, and stops", async () => {
    const lines: string[] = [];
    const handle = await runZkSimulator({ records: 321, port: 0, commKey: 77, format: 16 }, (l) =>
      lines.push(l),
    );
    try {
      const port = handle.address.tcpPort;
      expect(handle.url).toBe(`zk://127.0.0.1:${port}?commkey=77`);
      expect(handle.address.udpPort).toBe(port);
      const text = lines.join("\n");
      expect(text).toContain(`127.0.0.1:${port}`);
      expect(text).toContain("25 users, 321 punches");
      expect(text).toContain(handle.url);
      expect(handle.simulator.formats).toEqual({ attendance: 16, user: 28 });
      const c = await RawTcpClient.open(port);
      try {
        expect((await c.connect()).command).toBe(Cmd.ACK_UNAUTH);
      } finally {
        c.close();
      }
      expect(handle.simulator.punches).toHaveLength(321);
    } finally {
      await handle.stop();
    }
  });

  it("without a comm key the URL has no query, and a device with 0 records is fine", async () => {
    const lines: string[] = [];
    const handle = await runZkSimulator({ records: 0, port: 0 }, (l) => lines.push(l));
    try {
      expect(handle.url).toBe(`zk://127.0.0.1:${handle.address.tcpPort}`);
      const c = await RawTcpClient.open(handle.address.tcpPort);
      try {
        await c.connect();
        expect(decodeFreeSizes((await c.request(Cmd.GET_FREE_SIZES)).data).records).toBe(0);
      } finally {
        c.close();
      }
    } finally {
      await handle.stop();
    }
  });

  it("rejects a nonsense record count", async () => {
    await expect(runZkSimulator({ records: -1, port: 0 }, () => undefined)).rejects.toThrow(/records/);
  });
});
