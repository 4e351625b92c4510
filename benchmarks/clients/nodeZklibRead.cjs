// Benchmark child: node-zklib 1.3.0 (npm) reads the whole attendance log.
// It resolves with partial data and an `err` on trouble, so the count is reported, not assumed.
const ZKLib = require("node-zklib");

const [host = "127.0.0.1", port = "4370"] = process.argv.slice(2);
const log = console.log;
console.log = () => undefined; // node-zklib prints "ok tcp" and friends on stdout

(async () => {
  const zk = new ZKLib(host, Number(port), 10000, 0);
  await zk.createSocket();
  const info = await zk.getInfo();
  const start = performance.now();
  const result = await zk.getAttendances();
  const readSeconds = (performance.now() - start) / 1000;
  await zk.disconnect().catch(() => undefined);
  log(
    JSON.stringify({
      decoded: result.data.length,
      onDevice: info.logCounts,
      readSeconds,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      error: result.err ? String(result.err.message ?? result.err) : undefined,
    }),
  );
  process.exit(0);
})().catch((error) => {
  log(JSON.stringify({ error: String(error && error.message ? error.message : error) }));
  process.exit(0);
});
