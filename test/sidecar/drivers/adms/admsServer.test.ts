import { afterEach, describe, expect, it } from "vitest";
import type { RecordReject } from "../../../../sidecar/src/drivers/driver.js";
import { terminalRequest } from "../../../simulators/adms/terminalHttp.js";
import { manyPunches, MemorySink, MemoryState, servers, SN } from "./support.js";

const harness = servers();
afterEach(() => harness.cleanup());

function uidsOf(sink: MemorySink): string[] {
  return [...sink.byUid.values()].map((p) => `${p.user_id}|${p.time}`).sort();
}

function expectedOf(punches: readonly { userId: string; time: string }[]): string[] {
  return punches.map((p) => `${p.userId}|${p.time}`).sort();
}

describe("AdmsServer with a firmware-like terminal", () => {
  it("handshakes with the device's zone and stored stamp, and stores every punch once", async () => {
    const sink = new MemorySink();
    const state = new MemoryState();
    const server = await harness.start({ sink, state });
    const punches = manyPunches(250);
    const terminal = harness.terminal(server, { punches, batchSize: 100 });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(terminal.settings?.timeZoneMinutes).toBe(330);
    expect(terminal.settings?.attlogStamp).toBeNull();
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
    expect([...sink.byUid.values()].every((p) => p.device === "Main Gate")).toBe(true);
    await expect.poll(() => state.get(`adms:${SN}:ATTLOGStamp`)).toBe("250");
    // A new handshake resumes after the stored stamp: nothing is sent again.
    await terminal.stop();
    const again = harness.terminal(server, { punches });
    again.start();
    await expect.poll(() => again.stats.handshakes).toBe(1);
    expect(again.settings?.attlogStamp).toBe(250);
    expect(again.stamp).toBe(250);
    expect(again.stats.uploads).toBe(0);
  });

  it("answers OK only after the sink resolved", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stored: string[] = [];
    const sink = {
      async append(punches: readonly { uid: string }[]) {
        await gate;
        stored.push(...punches.map((p) => p.uid));
      },
    };
    const server = await harness.start({ sink, state: new MemoryState() });
    const reply = terminalRequest({
      host: "127.0.0.1",
      port: server.address.port,
      method: "POST",
      path: `/iclock/cdata?SN=${SN}&table=ATTLOG&Stamp=1`,
      body: "0111\t2026-03-02 09:00:00\t0\t1\t0\t0\t0\n",
      timeoutMs: 5_000,
    });
    let answered = false;
    void reply.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(answered).toBe(false);
    release();
    const response = await reply;
    expect(response).toMatchObject({ status: 200, body: "OK:1" });
    expect(stored).toHaveLength(1);
  });

  it("answers non-OK when the sink fails, so the terminal resends; nothing is lost", async () => {
    const sink = new MemorySink();
    sink.failNext = 3;
    const server = await harness.start({ sink, state: new MemoryState() });
    const punches = manyPunches(40);
    const terminal = harness.terminal(server, { punches, batchSize: 15 });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(terminal.stats.nonOkReplies).toBe(3);
    expect(terminal.stats.resends).toBe(3);
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
    expect(server.stats().sinkFailures).toBe(3);
  });

  it("treats a lost OK as a resend whose duplicates are harmless", async () => {
    const sink = new MemorySink();
    const server = await harness.start({ sink, state: new MemoryState() });
    const punches = manyPunches(30);
    const terminal = harness.terminal(server, {
      punches,
      batchSize: 10,
      faults: [{ kind: "dropOk", times: 2 }],
    });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(sink.appended).toBe(50);
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
  });

  it("survives uploads dropped mid-body and bodies that trickle in", async () => {
    const sink = new MemorySink();
    const server = await harness.start({ sink, state: new MemoryState() });
    const punches = manyPunches(30);
    const terminal = harness.terminal(server, {
      punches,
      batchSize: 10,
      faults: [
        { kind: "abortUpload", times: 2 },
        { kind: "slowBody", chunks: 5, gapMs: 20 },
      ],
    });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(terminal.faultsFired()).toMatchObject({ abortUpload: 2, slowBody: 1 });
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
  });

  it.each([
    ["form-encoded bodies", { formEncoded: true }],
    [".aspx paths", { aspx: true }],
    ["CRLF lines with the newer 12 fields", { lineEnding: "\r\n" as const, extraFields: true }],
  ])("accepts %s", async (_, variant) => {
    const sink = new MemorySink();
    const state = new MemoryState();
    const server = await harness.start({ sink, state });
    const punches = manyPunches(25);
    const terminal = harness.terminal(server, { punches, batchSize: 10, ...variant });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
    expect(server.stats().rejects).toBe(0);
    await expect.poll(() => state.get(`adms:${SN}:ATTLOGStamp`)).toBe("25");
  });

  it("keeps lines that do not parse as coded rejects with the raw line, and still stores the rest", async () => {
    const sink = new MemorySink();
    const seen: RecordReject[] = [];
    const server = await harness.start({
      sink,
      state: new MemoryState(),
      onRejects: (_device, rejects) => void seen.push(...rejects),
    });
    const punches = manyPunches(5);
    const garbage = ["no tabs here", "42\t2026-13-01 09:00:00\t0\t1", "\t2026-03-02 09:00:00\t0\t1"];
    const terminal = harness.terminal(server, {
      punches,
      faults: [{ kind: "malformedLines", lines: garbage }],
    });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
    expect(seen.map((r) => [r.code, r.raw])).toEqual([
      ["RECORD_MALFORMED", garbage[0]],
      ["RECORD_INVALID_TIME", garbage[1]],
      ["RECORD_NO_USER_ID", garbage[2]],
    ]);
    expect(server.recentRejects(SN)).toHaveLength(3);
  });

  it("answers non-OK when rejects cannot be recorded", async () => {
    const server = await harness.start({
      sink: new MemorySink(),
      state: new MemoryState(),
      onRejects: () => Promise.reject(new Error("reject log unwritable")),
    });
    const response = await terminalRequest({
      host: "127.0.0.1",
      port: server.address.port,
      method: "POST",
      path: `/iclock/cdata?SN=${SN}&table=ATTLOG`,
      body: "bad line\n",
      timeoutMs: 5_000,
    });
    expect(response.status).toBe(503);
    expect(response.body.startsWith("OK")).toBe(false);
  });

  it("refuses an unknown terminal, reports it once per interval, and takes its backlog once approved", async () => {
    const sink = new MemorySink();
    const unknown: [string, string | null][] = [];
    const server = await harness.start({
      sink,
      state: new MemoryState(),
      devices: [],
      onUnknownDevice: (sn, address) => unknown.push([sn, address]),
    });
    const punches = manyPunches(12);
    const terminal = harness.terminal(server, { punches });
    terminal.start();
    await expect.poll(() => terminal.stats.lastStatus).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    expect(unknown).toEqual([[SN, "127.0.0.1"]]);
    expect(sink.byUid.size).toBe(0);
    server.setDevices([{ serialNumber: SN, deviceName: "Approved Gate", timeZone: "Asia/Kolkata" }]);
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(uidsOf(sink)).toEqual(expectedOf(punches));
    expect([...sink.byUid.values()][0]!.device).toBe("Approved Gate");
  });

  it("requires the shared secret as ?key= or X-ADMS-Key, and never echoes it", async () => {
    const server = await harness.start({
      sink: new MemorySink(),
      state: new MemoryState(),
      secret: "s3cret-key!",
    });
    const ask = (path: string, headers?: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        void import("node:http").then(({ request }) => {
          const req = request({ host: "127.0.0.1", port: server.address.port, path, headers }, (res) => {
            let body = "";
            res.on("data", (c: Buffer) => (body += c.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on("error", reject);
          req.end();
        });
      });
    const denied = await ask(`/iclock/getrequest?SN=${SN}`);
    expect(denied.status).toBe(403);
    expect(denied.body).not.toContain("s3cret");
    expect((await ask(`/iclock/getrequest?SN=${SN}&key=wrong-key-1`)).status).toBe(403);
    expect(await ask(`/iclock/getrequest?SN=${SN}&key=s3cret-key!`)).toEqual({ status: 200, body: "OK" });
    expect((await ask(`/iclock/getrequest?SN=${SN}`, { "X-ADMS-Key": "s3cret-key!" })).status).toBe(200);
    const terminal = harness.terminal(server, { key: "s3cret-key!", punches: manyPunches(3) });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
  });

  it("refuses addresses outside the allow-list", async () => {
    const server = await harness.start({
      sink: new MemorySink(),
      state: new MemoryState(),
      allowFrom: ["10.9.9.0/24"],
    });
    const response = await terminalRequest({
      host: "127.0.0.1",
      port: server.address.port,
      method: "GET",
      path: `/iclock/cdata?SN=${SN}&options=all`,
      timeoutMs: 5_000,
    });
    expect(response.status).toBe(403);
    const open = await harness.start({
      sink: new MemorySink(),
      state: new MemoryState(),
      allowFrom: ["127.0.0.0/8"],
    });
    const ok = await terminalRequest({
      host: "127.0.0.1",
      port: open.address.port,
      method: "GET",
      path: `/iclock/cdata?SN=${SN}&options=all`,
      timeoutMs: 5_000,
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a body over the limit with 413 and keeps serving", async () => {
    const sink = new MemorySink();
    const server = await harness.start({ sink, state: new MemoryState(), maxBodyBytes: 2_000 });
    const big = manyPunches(100)
      .map((p) => `${p.userId}\t${p.time}\t0\t1\t0\t0\t0`)
      .join("\n");
    const refused = await terminalRequest({
      host: "127.0.0.1",
      port: server.address.port,
      method: "POST",
      path: `/iclock/cdata?SN=${SN}&table=ATTLOG&Stamp=100`,
      body: big,
      timeoutMs: 5_000,
    });
    expect(refused.status).toBe(413);
    expect(sink.calls).toBe(0);
    const terminal = harness.terminal(server, { punches: manyPunches(30), batchSize: 10 });
    terminal.start();
    await expect.poll(() => terminal.idle, { timeout: 10_000 }).toBe(true);
    expect(sink.byUid.size).toBe(30);
  });

  it("acknowledges OPERLOG with a count, keeps its stamp, and answers ping, options and unknown routes", async () => {
    const state = new MemoryState();
    const server = await harness.start({ sink: new MemorySink(), state });
    const post = (path: string, body: string) =>
      terminalRequest({
        host: "127.0.0.1",
        port: server.address.port,
        method: "POST",
        path,
        body,
        timeoutMs: 5_000,
      });
    const operlog = "OPLOG 4\t0\t2026-03-02 09:00:00\t0\t0\t0\t0\nUSER PIN=0111\tName=Asha\tPri=0\n";
    expect(await post(`/iclock/cdata?SN=${SN}&table=OPERLOG&Stamp=88`, operlog)).toMatchObject({
      status: 200,
      body: "OK:2",
    });
    await expect.poll(() => state.get(`adms:${SN}:OPERLOGStamp`)).toBe("88");
    expect(server.stats().operlogLines).toBe(2);
    expect(await post(`/iclock/cdata?SN=${SN}&table=options`, "FingerFunOn=1,FaceFunOn=1")).toMatchObject({
      status: 200,
      body: "OK",
    });
    expect(await post(`/iclock/cdata?SN=${SN}`, "no table at all")).toMatchObject({ status: 400 });
    const get = (path: string) =>
      terminalRequest({
        host: "127.0.0.1",
        port: server.address.port,
        method: "GET",
        path,
        timeoutMs: 5_000,
      });
    expect(await get(`/iclock/ping?SN=${SN}`)).toMatchObject({ status: 200, body: "OK" });
    expect(await get(`/iclock/nothing?SN=${SN}`)).toMatchObject({ status: 404 });
    expect(await get(`/iclock/getrequest`)).toMatchObject({ status: 400 });
    const handshake = await get(`/iclock/cdata.aspx?SN=${SN}&options=all&pushver=2.4.1`);
    expect(handshake.body).toContain("OPERLOGStamp=88");
    expect(handshake.headers.date).toMatch(/GMT$/);
  });
});
