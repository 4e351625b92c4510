import path from "node:path";
import { loadConfigFile } from "../../config/loadConfig.js";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { resolveApiSecret, SidecarService } from "../../service/sidecarService.js";
import type { ParsedArgs } from "../args.js";

/** `run --config FILE`: the long-running service, until SIGINT/SIGTERM (stopped once, with a hard-exit guard). */
export async function runService(args: ParsedArgs, logger: Logger, version: string): Promise<number> {
  if (!args.values.config)
    throw new ConfigError(["run needs --config FILE (see sidecar/config.example.json)"]);
  const config = await loadConfigFile(args.values.config);
  if (!config.site)
    throw new ConfigError([
      `${args.values.config}: a "site" block is required to run as a service (or use pull for standalone mode)`,
    ]);
  const secret = await resolveApiSecret(
    config.site,
    process.env,
    path.dirname(path.resolve(args.values.config)),
  );
  const service = new SidecarService({ ...config, site: config.site }, secret, version, logger);
  await service.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, "stopping");
      // A stuck device or site must not keep the process from exiting.
      setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), 10_000).unref();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await service.stop();
  return 0;
}
