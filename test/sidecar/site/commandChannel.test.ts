import { afterEach, describe, expect, it } from "vitest";
import { COMMAND_EVENT, CommandChannel } from "../../../sidecar/src/site/commandChannel.js";
import { FakeRealtime } from "../../fakes/fakeRealtime.js";

const KEY = "k1";
const SECRET = "s1";
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function realtime(): Promise<FakeRealtime> {
  const fake = new FakeRealtime("bsync.localhost", (auth) =>
    Promise.resolve(auth === `token ${KEY}:${SECRET}` ? "sidecar@bsync" : null),
  );
  await fake.start();
  cleanup.push(() => fake.stop());
  return fake;
}

function channel(
  fake: FakeRealtime,
  overrides: Partial<ConstructorParameters<typeof CommandChannel>[0]> = {},
): CommandChannel {
  const c = new CommandChannel({
    socketUrl: fake.url,
    siteUrl: "http://127.0.0.1:8000",
    siteName: "bsync.localhost",
    apiKey: KEY,
    apiSecret: SECRET,
    ...overrides,
  });
  cleanup.push(() => c.stop());
  return c;
}

describe("CommandChannel against Frappe v15's socket.io rules", () => {
  it("passes the v15 handshake, nudges on connect, and on each command event for its user", async () => {
    const fake = await realtime();
    const nudges: string[] = [];
    channel(fake).start((reason, command) => nudges.push(command ? `${reason}:${command}` : reason));
    await expect.poll(() => nudges).toEqual(["connect"]);
    expect(fake.connectedUsers()).toEqual(["sidecar@bsync"]);
    fake.publish(COMMAND_EVENT, { command: "BCMD-0001" }, "sidecar@bsync");
    fake.publish(COMMAND_EVENT, { command: "BCMD-0001" }, "sidecar@bsync"); // duplicate nudge: harmless, just another claim
    fake.publish(COMMAND_EVENT, { command: "BCMD-0002" }, "someone-else");
    await expect.poll(() => nudges).toEqual(["connect", "event:BCMD-0001", "event:BCMD-0001"]);
  });

  it("reconnects after the socket server drops it, and nudges again so nothing waits for a lost event", async () => {
    const fake = await realtime();
    const nudges: string[] = [];
    channel(fake).start((reason) => nudges.push(reason));
    await expect.poll(() => nudges).toEqual(["connect"]);
    fake.dropAll();
    await expect.poll(() => nudges, { timeout: 10_000 }).toEqual(["connect", "connect"]);
  });

  it("sends a host-matching Origin: a mismatched one is refused, as v15 does", async () => {
    const fake = await realtime();
    const c = channel(fake, { siteUrl: "http://erp.example.com" });
    c.start(() => undefined);
    await expect.poll(() => fake.refusals).toContain("Invalid origin");
    expect(c.state).toBe("disconnected");
  });

  it("is refused with a wrong key and says why, without the secret", async () => {
    const fake = await realtime();
    const c = channel(fake, { apiSecret: "wrong" });
    c.start(() => undefined);
    await expect.poll(() => c.lastError).toMatch(/Unauthorized/);
    expect(c.lastError).not.toContain("wrong");
  });
});
