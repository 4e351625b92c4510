import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../../sidecar/src/logging/logger.js";

describe("createLogger", () => {
  it("writes JSON lines and never prints secrets", async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on("data", (d: Buffer) => chunks.push(d.toString()));
    const log = createLogger({ level: "info", destination: stream }).child({ device: "Gate" });
    log.info(
      {
        commKey: 123456,
        password: "hunter2",
        site: { apiSecret: "s3cr3t", apiKey: "k3y" },
        headers: { authorization: "token a:b" },
      },
      "connecting",
    );
    await new Promise((r) => setImmediate(r));
    const line = chunks.join("");
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: "info", device: "Gate", msg: "connecting", commKey: "[redacted]" });
    for (const secret of ["123456", "hunter2", "s3cr3t", "k3y", "token a:b"])
      expect(line).not.toContain(secret);
  });
});
