import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { COMMAND_EVENT } from "../../sidecar/src/site/commandChannel.js";
import { FakeRealtime } from "./fakeRealtime.js";
import { FakeSite } from "./fakeSite.js";

export const FAKE_SITE_NAME = "bsync.localhost";

/** The fake site, its socket.io server wired to nudge the sidecar user on every queued command. */
export interface FakeSiteWorld {
  readonly site: FakeSite;
  readonly realtime: FakeRealtime;
  /** Writes a `run --config` file for a sidecar of this site into a fresh temp dir; returns its path. */
  writeSidecarConfig(options?: {
    readonly secretInFile?: boolean;
    readonly claimIntervalSeconds?: number;
  }): Promise<string>;
  stop(): Promise<void>;
}

export async function startFakeSiteWorld(): Promise<FakeSiteWorld> {
  const site = new FakeSite();
  await site.start();
  const realtime = new FakeRealtime(FAKE_SITE_NAME, (auth) => Promise.resolve(site.userFor(auth)));
  await realtime.start();
  site.onCommandQueued = (command) => realtime.publish(COMMAND_EVENT, { command }, site.sidecarUser);
  return {
    site,
    realtime,
    async writeSidecarConfig(options = {}) {
      const dir = await mkdtemp(path.join(tmpdir(), "bsync-sidecar-"));
      const config = path.join(dir, "sidecar.json");
      if (options.secretInFile) await writeFile(path.join(dir, "secret"), `${site.apiSecret}\n`);
      const secret = options.secretInFile ? { apiSecretFile: "secret" } : { apiSecret: site.apiSecret };
      const siteBlock = {
        url: site.url,
        siteName: FAKE_SITE_NAME,
        socketUrl: realtime.url,
        sidecar: site.sidecarName,
        apiKey: site.apiKey,
        ...secret,
        claimIntervalSeconds: options.claimIntervalSeconds ?? 5,
      };
      await writeFile(config, JSON.stringify({ spoolDir: path.join(dir, "state"), site: siteBlock }));
      return config;
    },
    async stop() {
      await realtime.stop();
      await site.stop();
    },
  };
}
