import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AdmsTerminal } from "./admsTerminal.js";

/** A bare push endpoint written from the protocol text, independent of the sidecar's server. */
class FakeServer {
  server: Server | null = null;
  requests: { method: string; url: string; body: string }[] = [];
  refuseUploads = 0;
  stamp = "None";
  commands: string[] = [];

  async start(): Promise<number> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const url = req.url ?? "";
        this.requests.push({ method: req.method ?? "", url, body });
        let reply = "OK";
        let status = 200;
        if (url.startsWith("/iclock/cdata") && req.method === "GET") {
          reply = `GET OPTION FROM: X\nATTLOGStamp=${this.stamp}\nErrorDelay=1\nDelay=1\nTimeZone=330\nRealtime=1\n`;
        } else if (url.includes("table=ATTLOG")) {
          if (this.refuseUploads > 0) {
            this.refuseUploads--;
            status = 503;
            reply = "busy";
          } else reply = `OK:${body.trim().split("\n").length}`;
        } else if (url.startsWith("/iclock/getrequest")) {
          reply = this.commands.splice(0).join("\n") || "OK";
        }
        res.writeHead(status, { "Content-Type": "text/plain" });
        res.end(reply);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as AddressInfo).port;
  }

  uploads(): string[] {
    return this.requests.filter((r) => r.url.includes("table=ATTLOG")).map((r) => r.body);
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function setup(stamp = "None") {
  const fake = new FakeServer();
  fake.stamp = stamp;
  const port = await fake.start();
  const punches = Array.from({ length: 7 }, (_, i) => ({
    userId: `0${i}`,
    time: `2026-03-02 09:0${i}:00`,
    state: i % 2,
  }));
  const terminal = new AdmsTerminal({
    host: "127.0.0.1",
    port,
    serialNumber: "X",
    punches,
    batchSize: 3,
    pollIntervalMs: 20,
    errorDelayMs: 20,
  });
  cleanup.push(async () => {
    await terminal.stop();
    await new Promise<void>((r) => fake.server!.close(() => r()));
  });
  return { fake, terminal };
}

describe("AdmsTerminal behaves like firmware", () => {
  it("handshakes first, uploads in batches with its stamp, and resends a batch until it gets OK", async () => {
    const { fake, terminal } = await setup();
    fake.refuseUploads = 2;
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 5_000 }).toBe(true);
    expect(fake.requests[0]!.url).toMatch(/^\/iclock\/cdata\?SN=X&options=all&pushver=/);
    const uploads = fake.uploads();
    expect(uploads).toHaveLength(5);
    expect(uploads[0]).toBe(uploads[1]);
    expect(uploads[1]).toBe(uploads[2]);
    expect(uploads[0]).toBe(
      "00\t2026-03-02 09:00:00\t0\t1\t0\t0\t0\n01\t2026-03-02 09:01:00\t1\t1\t0\t0\t0\n02\t2026-03-02 09:02:00\t0\t1\t0\t0\t0\n",
    );
    expect(
      fake.requests.filter((r) => r.url.includes("table=ATTLOG")).map((r) => /Stamp=(\d+)/.exec(r.url)?.[1]),
    ).toEqual(["3", "3", "3", "6", "7"]);
    expect(terminal.stats).toMatchObject({ resends: 2, nonOkReplies: 2, okReplies: 3 });
    expect(terminal.settings?.timeZoneMinutes).toBe(330);
  });

  it("skips what the server's stamp says it has", async () => {
    const { fake, terminal } = await setup("5");
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 5_000 }).toBe(true);
    expect(fake.uploads()).toEqual([
      "05\t2026-03-02 09:05:00\t1\t1\t0\t0\t0\n06\t2026-03-02 09:06:00\t0\t1\t0\t0\t0\n",
    ]);
  });

  it("polls getrequest, runs DATA QUERY, INFO and unknown commands, and answers on devicecmd", async () => {
    const { fake, terminal } = await setup("7");
    fake.commands = [
      "C:q1:DATA QUERY ATTLOG StartTime=2026-03-02 09:02:00\tEndTime=2026-03-02 09:03:00",
      "C:i1:INFO",
      "C:z1:FROBNICATE",
    ];
    terminal.start();
    await expect
      .poll(() => fake.requests.filter((r) => r.url.startsWith("/iclock/devicecmd")).length, {
        timeout: 5_000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(
        () =>
          fake.requests
            .filter((r) => r.url.startsWith("/iclock/devicecmd"))
            .map((r) => r.body)
            .join(""),
        { timeout: 5_000 },
      )
      .toContain("ID=q1&Return=0&CMD=DATA");
    const replies = fake.requests
      .filter((r) => r.url.startsWith("/iclock/devicecmd"))
      .map((r) => r.body)
      .join("");
    expect(replies).toContain("ID=i1&Return=0&CMD=INFO\n~DeviceName=SIM-X");
    expect(replies).toContain("ID=z1&Return=-1002&CMD=FROBNICATE");
    expect(fake.uploads()).toEqual([
      "02\t2026-03-02 09:02:00\t0\t1\t0\t0\t0\n03\t2026-03-02 09:03:00\t1\t1\t0\t0\t0\n",
    ]);
    expect(fake.requests.find((r) => r.url.startsWith("/iclock/getrequest"))!.url).toMatch(/INFO=Ver/);
  });
});
