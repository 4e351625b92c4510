import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LoopbackHttpServer, type LoopbackHttpOptions } from "./loopbackHttpServer.js";

const servers: LoopbackHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(options: LoopbackHttpOptions): Promise<number> {
  const server = new LoopbackHttpServer((_req, res) => res.end("ok"), options);
  servers.push(server);
  return (await server.start()).port;
}

/** A raw client: writes requests on one socket and records what came back and when the server hung up. */
async function rawConnection(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let received = "";
  let closedByServer = false;
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  const ended = new Promise<void>((resolve) => {
    socket.once("end", () => {
      closedByServer = true;
      resolve();
    });
    socket.once("close", () => resolve());
  });
  socket.on("error", () => undefined);
  const request = (connection?: string) =>
    socket.write(
      `GET / HTTP/1.1\r\nHost: device\r\n${connection ? `Connection: ${connection}\r\n` : ""}\r\n`,
    );
  const answers = () => received.split("HTTP/1.1 ").length - 1;
  return {
    socket,
    request,
    answers,
    get received() {
      return received;
    },
    get closedByServer() {
      return closedByServer;
    },
    ended,
  };
}

describe("LoopbackHttpServer connection quirks (rude device web servers)", () => {
  it("polite: answers a client's Connection: close in kind", async () => {
    const c = await rawConnection(await serve({ connection: "polite" }));
    c.request("close");
    await c.ended;
    expect(c.received).toMatch(/\r\nConnection: close\r\n/i);
  });

  it("closeSilently: hangs up after one answer, even to a keep-alive client, without a Connection header", async () => {
    const c = await rawConnection(await serve({ connection: "closeSilently" }));
    c.request();
    await c.ended;
    expect(c.answers()).toBe(1);
    expect(c.received).not.toMatch(/\r\nConnection:/i);
    expect(c.closedByServer).toBe(true);
  });

  it("dropIdle: keeps the connection although the client asked to close, then drops it once idle", async () => {
    const c = await rawConnection(await serve({ connection: "dropIdle", idleMs: 150 }));
    c.request("close");
    await expect.poll(() => c.answers()).toBe(1);
    expect(c.received).toMatch(/\r\nConnection: keep-alive\r\n/i);
    // Within the idle time the same connection still serves a request...
    c.request("close");
    await expect.poll(() => c.answers()).toBe(2);
    // ...then, idle, it is dropped with no answer and no notice.
    await c.ended;
    expect(c.answers()).toBe(2);
    expect(c.closedByServer).toBe(true);
  });
});
