import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NaiveDateTime } from "../../../sidecar/src/domain/naiveTime.js";
import { makePunch, type Punch } from "../../../sidecar/src/domain/punch.js";
import { RejectLog } from "../../../sidecar/src/site/rejectLog.js";
import { SiteClient } from "../../../sidecar/src/site/siteClient.js";
import { Uploader } from "../../../sidecar/src/site/uploader.js";
import { Spool } from "../../../sidecar/src/spool/spool.js";
import { FakeSite } from "../../fakes/fakeSite.js";

let site: FakeSite;
let dir: string;
let spool: Spool;

const punch = (device: string, i: number): Punch =>
  makePunch({
    device,
    userId: String(100 + (i % 37)),
    time: `2026-11-${String(1 + (i % 28)).padStart(2, "0")} ${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:${String(Math.floor(i / 60) % 60).padStart(2, "0")}` as NaiveDateTime,
    state: 0,
    verify: 1,
    raw: "",
  });

beforeEach(async () => {
  site = new FakeSite();
  await site.start();
  dir = await mkdtemp(path.join(tmpdir(), "bsync-upload-"));
  spool = await Spool.open(path.join(dir, "spool"));
});

afterEach(async () => {
  await spool.close();
  await site.stop();
});

const uploader = (options: { key?: string; timeoutMs?: number } = {}) =>
  new Uploader({
    source: spool,
    client: new SiteClient({
      url: site.url,
      apiKey: options.key ?? site.apiKey,
      apiSecret: site.apiSecret,
      timeoutMs: options.timeoutMs ?? 5_000,
    }),
    rejects: new RejectLog(path.join(dir, "rejected.jsonl")),
    sidecar: "Head Office",
    backoff: { initialMs: 5, maxMs: 20, factor: 2 },
  });

describe("Uploader", () => {
  it("sends every spooled punch in batches of at most 1,000, one device per batch, and empties the spool", async () => {
    const punches = [
      ...Array.from({ length: 1500 }, (_, i) => punch("Gate", i)),
      ...Array.from({ length: 300 }, (_, i) => punch("Canteen", i)),
    ];
    await spool.append(punches);
    const summary = await uploader().drainOnce();
    expect(summary).toMatchObject({ batches: 3, sent: 1800, created: 1800, duplicates: 0, rejected: 0 });
    expect(site.calls.map((c) => c.items)).toEqual([1000, 500, 300]);
    expect(site.stored.size).toBe(1800);
    expect(spool.depth()).toBe(0);
  });

  it("run: a punch spooled while idle goes out at once when woken (a batch of one); a backlog in 1,000s", async () => {
    // A wake-up is kept when the uploader is busy (as the service's is), so none is lost to a race.
    let pending = false;
    let waiter: (() => void) | null = null;
    const woken = (): Promise<void> => {
      if (!pending) return new Promise<void>((resolve) => (waiter = resolve));
      pending = false;
      return Promise.resolve();
    };
    const wake = (): void => {
      if (waiter) waiter();
      else pending = true;
      waiter = null;
    };
    const stop = new AbortController();
    const running = uploader().run(stop.signal, { idleMs: 60_000, wake: woken });
    try {
      await spool.append(Array.from({ length: 2500 }, (_, i) => punch("Gate", i)));
      wake();
      await expect.poll(() => site.stored.size, { timeout: 10_000 }).toBe(2500);
      expect(site.calls.map((c) => c.items)).toEqual([1000, 1000, 500]);
      // A live punch: no waiting for a fuller batch or for the idle tick (60 s here).
      await spool.append([punch("Gate", 9_999)]);
      wake();
      await expect.poll(() => site.stored.size, { timeout: 1_500, interval: 10 }).toBe(2501);
      expect(site.calls.at(-1)?.items).toBe(1);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("treats a punch the site already has as delivered (a re-read or a re-send after a crash)", async () => {
    await spool.append([punch("Gate", 1), punch("Gate", 2)]);
    await uploader().drainOnce();
    await spool.append([punch("Gate", 2), punch("Gate", 3)]);
    expect(await uploader().drainOnce()).toMatchObject({ created: 1, duplicates: 1 });
    expect(spool.depth()).toBe(0);
  });

  it("sets refused punches aside with the site's code before they leave the spool", async () => {
    const bad = { ...punch("Gate", 5), uid: "0".repeat(64) };
    await spool.append([punch("Gate", 4), bad]);
    expect(await uploader().drainOnce()).toMatchObject({ created: 1, rejected: 1 });
    const kept = (await readFile(path.join(dir, "rejected.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { code: string; punch: Punch });
    expect(kept).toEqual([expect.objectContaining({ code: "UID_MISMATCH", punch: bad })]);
    expect(spool.depth()).toBe(0);
  });

  it("keeps everything in the spool when the site fails, and delivers it once the site is back", async () => {
    await spool.append(Array.from({ length: 50 }, (_, i) => punch("Gate", i)));
    site.fail({ status: 502, times: 3 });
    const stop = new AbortController();
    const errors: string[] = [];
    const running = uploader().run(stop.signal, { idleMs: 10 }, (e) => errors.push(e.code));
    await expect.poll(() => spool.depth(), { timeout: 5_000 }).toBe(0);
    stop.abort();
    expect(await running).toBeNull();
    expect(errors).toEqual(["SITE_UNAVAILABLE", "SITE_UNAVAILABLE", "SITE_UNAVAILABLE"]);
    expect(site.stored.size).toBe(50);
  });

  it("retries a call that timed out without losing or doubling punches", async () => {
    await spool.append(Array.from({ length: 10 }, (_, i) => punch("Gate", i)));
    site.fail({ delayMs: 300, times: 1 });
    await expect(uploader({ timeoutMs: 100 }).drainOnce()).rejects.toMatchObject({
      code: "SITE_TIMEOUT",
      retryable: true,
    });
    expect(spool.depth()).toBe(10);
    await new Promise((r) => setTimeout(r, 300)); // the slow call still lands on the site
    expect(await uploader().drainOnce()).toMatchObject({ sent: 10 });
    expect(site.stored.size).toBe(10);
    expect(spool.depth()).toBe(0);
  });

  it("stops on a refused API key instead of retrying, and keeps the punches", async () => {
    await spool.append([punch("Gate", 1)]);
    const error = await uploader({ key: "wrong" }).run(new AbortController().signal, { idleMs: 10 });
    expect(error).toMatchObject({ code: "SITE_AUTH_FAILED", retryable: false });
    expect(error?.message).not.toContain(site.apiSecret);
    expect(site.calls).toHaveLength(1);
    expect(spool.depth()).toBe(1);
  });

  it("survives the site hanging up mid-request", async () => {
    await spool.append([punch("Gate", 1)]);
    site.fail({ hangUp: true, times: 1 });
    await expect(uploader().drainOnce()).rejects.toMatchObject({ code: "SITE_UNAVAILABLE" });
    expect(await uploader().drainOnce()).toMatchObject({ created: 1 });
  });
});
