// Benchmark child: our ZK client reads the whole log, then appends every punch to the durable spool.
// Bundled and run with plain node so its RSS is what the sidecar's would be.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ZkDriver } from "../../sidecar/src/drivers/zk/zkDriver.js";
import type { Punch } from "../../sidecar/src/domain/punch.js";
import { Spool } from "../../sidecar/src/spool/spool.js";

const [host = "127.0.0.1", portText = "4370"] = process.argv.slice(2);
const driver = new ZkDriver({ host, port: Number(portText), deviceId: "bench", timeoutMs: 30_000 });
const readStart = performance.now();
const result = await driver.readPunches();
const readSeconds = (performance.now() - readStart) / 1000;
await driver.disconnect();

const dir = await mkdtemp(path.join(tmpdir(), "bsync-bench-spool-"));
const spool = await Spool.open(dir);
const appendStart = performance.now();
// As the poller does: stream the decoded punches into the spool in batches of 1,000.
let batch: Punch[] = [];
for (const punch of result.punches()) {
  batch.push(punch);
  if (batch.length === 1000) {
    await spool.append(batch);
    batch = [];
  }
}
if (batch.length) await spool.append(batch);
const appendSeconds = (performance.now() - appendStart) / 1000;
await spool.close();
await rm(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    decoded: result.punchCount + result.rejects.length,
    onDevice: result.deviceRecordCount,
    readSeconds,
    appendSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
