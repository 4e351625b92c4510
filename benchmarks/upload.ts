// npm run bench:upload — punches from the spool to the fake site: batched (≤ 1,000 per request, what the
// uploader does) against one request per punch (what the existing tools do), in one run. Prints figures only.
//
// With the contract suite's variables pointing at a real bench (BSYNC_CONTRACT_URL, _SITE, _KEY, _SECRET,
// _SIDECAR, _DEVICE; see test/contract/site.contract.test.ts) it then runs the same batched upload, spool →
// uploader → push_punches, against that site: BENCH_REAL_PUNCHES (20,000) punches of user ids no employee has,
// so the site stages them and parks them as Unmapped (no checkins are created).
import { mkdtemp, rm } from "node:fs/promises";
import { spawn } from "node:child_process";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { renderTable } from "../sidecar/src/cli/table.js";
import type { NaiveDateTime } from "../sidecar/src/domain/naiveTime.js";
import { makePunch } from "../sidecar/src/domain/punch.js";
import { RejectLog } from "../sidecar/src/site/rejectLog.js";
import { SiteClient } from "../sidecar/src/site/siteClient.js";
import { PUSH_PUNCHES, Uploader } from "../sidecar/src/site/uploader.js";
import { Spool } from "../sidecar/src/spool/spool.js";
import { FakeSite } from "../test/fakes/fakeSite.js";

const BATCHED = Number(process.env.BENCH_PUNCHES ?? 100_000);
const REAL = Number(process.env.BENCH_REAL_PUNCHES ?? 20_000);
const ONE_BY_ONE = Number(process.env.BENCH_SINGLE ?? 5_000);

const punches = (n: number, offset: number, device = "Gate", userPrefix = "") =>
  Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const ms = Date.UTC(2026, 0, 1) + i * 7_000;
    const time = new Date(ms).toISOString().slice(0, 19).replace("T", " ") as NaiveDateTime;
    return makePunch({
      device,
      userId: `${userPrefix}${1000 + (i % 500)}`,
      time,
      state: i % 2,
      verify: 1,
      raw: "",
    });
  });

// The fake site runs in its own process, as a site would: its per-punch work does not share our event loop.
const server = spawn(
  process.execPath,
  ["--import", "tsx", path.join(import.meta.dirname, "clients/fakeSiteServer.ts")],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const siteUrl = await new Promise<string>((resolve) =>
  server.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())),
);
const site = { url: siteUrl, apiKey: new FakeSite().apiKey, apiSecret: new FakeSite().apiSecret };
const dir = await mkdtemp(path.join(tmpdir(), "bsync-bench-upload-"));
const client = new SiteClient({ url: site.url, apiKey: site.apiKey, apiSecret: site.apiSecret });
try {
  const spool = await Spool.open(path.join(dir, "spool"));
  for (let i = 0; i < BATCHED; i += 1000) await spool.append(punches(Math.min(1000, BATCHED - i), i));
  const uploader = new Uploader({
    source: spool,
    client,
    rejects: new RejectLog(path.join(dir, "rejected.jsonl")),
    sidecar: "bench",
  });
  let start = performance.now();
  const summary = await uploader.drainOnce();
  const batchedSeconds = (performance.now() - start) / 1000;
  await spool.close();

  // The existing tools post each punch with a fresh `requests.post` (no session): a new connection per punch.
  const singles = punches(ONE_BY_ONE, 10_000_000);
  const postOnce = (body: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${site.url}/api/method/${PUSH_PUNCHES}`, {
        method: "POST",
        agent: false,
        headers: {
          Authorization: `token ${site.apiKey}:${site.apiSecret}`,
          "Content-Type": "application/json",
        },
      });
      req.on("response", (res) => res.resume().on("end", resolve));
      req.on("error", reject);
      req.end(body);
    });
  start = performance.now();
  for (const p of singles)
    await postOnce(JSON.stringify({ sidecar: "bench", device: p.device, punches: [p] }));
  const singleSeconds = (performance.now() - start) / 1000;
  // And a kinder baseline: one request per punch, but on our keep-alive client.
  const kept = punches(ONE_BY_ONE, 20_000_000);
  start = performance.now();
  for (const p of kept) await client.call(PUSH_PUNCHES, { sidecar: "bench", device: p.device, punches: [p] });
  const keptSeconds = (performance.now() - start) / 1000;

  const batchedRate = summary.created / batchedSeconds;
  const singleRate = ONE_BY_ONE / singleSeconds;
  const keptRate = ONE_BY_ONE / keptSeconds;
  const row = (mode: string, n: number, requests: number, seconds: number) => [
    mode,
    n,
    requests,
    Number(seconds.toFixed(2)),
    Math.round(n / seconds),
  ];
  console.log(`Upload benchmark against the fake site on loopback (node ${process.version})\n`);
  console.log(
    renderTable(
      ["mode", "punches", "requests", "seconds", "punches/s"],
      [
        row("batched (uploader, ≤ 1,000/request)", summary.created, summary.batches, batchedSeconds),
        row(
          "one request per punch, new connection each (as the existing tools post)",
          ONE_BY_ONE,
          ONE_BY_ONE,
          singleSeconds,
        ),
        row("one request per punch, keep-alive connection", ONE_BY_ONE, ONE_BY_ONE, keptSeconds),
      ],
    ),
  );
  console.log(
    `\nbatched / one-by-one: ${(batchedRate / singleRate).toFixed(1)}x against new connections, ${(batchedRate / keptRate).toFixed(1)}x against keep-alive (goal ≥ 20x).`,
  );
  console.log(
    "The fake site runs in its own process and does no database work: this is the sidecar and HTTP cost per punch.",
  );
  await realSiteUpload();
} finally {
  server.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}

/** The same batched upload to a real bench, when the contract variables name one. */
async function realSiteUpload(): Promise<void> {
  const env = process.env;
  if (!env.BSYNC_CONTRACT_URL) {
    console.log("\nReal bench: not run (set the BSYNC_CONTRACT_* variables to upload to one too).");
    return;
  }
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required with BSYNC_CONTRACT_URL`);
    return value;
  };
  const real = new SiteClient({
    url: need("BSYNC_CONTRACT_URL"),
    siteName: need("BSYNC_CONTRACT_SITE"),
    apiKey: need("BSYNC_CONTRACT_KEY"),
    apiSecret: need("BSYNC_CONTRACT_SECRET"),
    timeoutMs: 120_000,
  });
  const realDir = await mkdtemp(path.join(tmpdir(), "bsync-bench-upload-real-"));
  try {
    const spool = await Spool.open(path.join(realDir, "spool"));
    // Fresh times every run (a random offset), so the site stages them as new rather than duplicates.
    const offset = Math.floor(Math.random() * 1_000_000) * 1000;
    const device = need("BSYNC_CONTRACT_DEVICE");
    for (let i = 0; i < REAL; i += 1000)
      await spool.append(punches(Math.min(1000, REAL - i), offset + i, device, "UPLOAD-BENCH-"));
    const uploader = new Uploader({
      source: spool,
      client: real,
      rejects: new RejectLog(path.join(realDir, "rejected.jsonl")),
      sidecar: need("BSYNC_CONTRACT_SIDECAR"),
    });
    const start = performance.now();
    const summary = await uploader.drainOnce();
    const seconds = (performance.now() - start) / 1000;
    await spool.close();
    console.log(
      `\nReal bench ${env.BSYNC_CONTRACT_URL} (site ${env.BSYNC_CONTRACT_SITE}), device ${device}:\n`,
    );
    console.log(
      renderTable(
        ["mode", "punches", "new", "duplicate", "rejected", "requests", "seconds", "punches/s"],
        [
          [
            "batched (uploader, ≤ 1,000/request)",
            REAL,
            summary.created,
            summary.duplicates,
            summary.rejected,
            summary.batches,
            Number(seconds.toFixed(2)),
            Math.round(REAL / seconds),
          ],
        ],
      ),
    );
  } finally {
    await rm(realDir, { recursive: true, force: true });
  }
}
