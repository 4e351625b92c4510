import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../support/freePort.js";

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "scripts/bench-services.sh");
const exec = promisify(execFile);
const servers: Server[] = [];

/** A loopback TCP port that answers (as a running database would); its port. */
async function listening(): Promise<number> {
  const server = createServer((socket) => socket.end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

async function fakeBench(common: Record<string, unknown>): Promise<string> {
  const bench = await mkdtemp(path.join(tmpdir(), "bsync-bench-"));
  await mkdir(path.join(bench, "sites/site.test"), { recursive: true });
  await mkdir(path.join(bench, "config"));
  await writeFile(path.join(bench, "sites/common_site_config.json"), JSON.stringify(common));
  await writeFile(path.join(bench, "sites/site.test/site_config.json"), "{}");
  return bench;
}

async function run(bench: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec("bash", [script, bench, "site.test"], {
      env: { ...process.env, BSYNC_SERVICES_WAIT_S: "2" },
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/**
 * The check the test command runs before it migrates the bench: a lived-in machine may have the bench's database
 * or Redis down when the tests start, and then the bench tests must be skipped loudly instead of failing migrate.
 */
describe("scripts/bench-services.sh", () => {
  it("passes when the database and both Redis of the bench answer", async () => {
    const [db, cache, queue] = [await listening(), await listening(), await listening()];
    const bench = await fakeBench({
      db_host: "127.0.0.1",
      db_port: db,
      redis_cache: `redis://127.0.0.1:${cache}`,
      redis_queue: `redis://127.0.0.1:${queue}`,
    });
    expect(await run(bench)).toEqual({ code: 0, out: "" });
  });

  it("names what stays down and exits 3, so that the caller skips instead of failing", async () => {
    const [db, cache] = [await freePort(), await listening()];
    const bench = await fakeBench({
      db_type: "postgres", // not started by the script: only MariaDB is a machine service it knows
      db_host: "127.0.0.1",
      db_port: db,
      redis_cache: `redis://127.0.0.1:${cache}`,
    });
    const { code, out } = await run(bench);
    expect(code).toBe(3);
    expect(out).toContain(`The bench's postgres (127.0.0.1:${db}) does not answer`);
    expect(out).toContain(`The bench's postgres (127.0.0.1:${db}) is still down after 2s`);
    expect(out).not.toMatch(/redis_cache.*does not answer/);
  });

  it("starts the bench's Redis from its config when it is down", async (ctx) => {
    try {
      await exec("redis-server", ["--version"]);
    } catch {
      ctx.skip("redis-server is not installed here");
    }
    const [db, cache] = [await listening(), await freePort()];
    const bench = await fakeBench({
      db_port: db,
      redis_cache: `redis://127.0.0.1:${cache}`,
    });
    await writeFile(
      path.join(bench, "config/redis_cache.conf"),
      `port ${cache}\nbind 127.0.0.1\nsave ""\npidfile ${bench}/config/redis_cache.pid\n`,
    );
    try {
      const { code, out } = await run(bench);
      expect(out).toContain(`starting the bench's redis_cache`);
      expect(out).toContain("redis_cache answers now");
      expect(code).toBe(0);
    } finally {
      await exec("redis-cli", ["-p", String(cache), "shutdown", "nosave"]).catch(() => undefined);
    }
  });
});
