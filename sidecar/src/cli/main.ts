import { ConfigError, isSidecarError } from "../errors.js";
import { createLogger, type LogLevel } from "../logging/logger.js";
import { loadConfigFile } from "../config/loadConfig.js";
import { parseCommandArgs } from "./args.js";
import { planPull, runPull } from "./commands/pull.js";
import { runDemo } from "./commands/demo.js";
import { runService } from "./commands/run.js";
import { runSimulate } from "./commands/simulate.js";
import { runUnitFiles } from "./commands/unitFiles.js";
import { runUsers } from "./commands/users.js";
import { planUsers } from "./commands/usersPlan.js";
import { planWatch, runWatch } from "./commands/watch.js";
import { USAGE } from "./usage.js";

declare const SIDECAR_VERSION: string | undefined;
const version = typeof SIDECAR_VERSION === "string" ? SIDECAR_VERSION : "dev";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** The CLI: returns the exit code instead of exiting, so tests can run it in-process. */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  try {
    const args = parseCommandArgs(argv);
    const [command, ...rest] = args.positionals;
    if (args.values.version) {
      print(version);
      return 0;
    }
    if (args.values.help || command === undefined || command === "help") {
      print(USAGE);
      return command === undefined && !args.values.help ? 2 : 0;
    }
    // The demo prints its own summary; its expected warnings (the absurd records it plants) would only be noise.
    // watch prints the channel's state itself: its reconnect warnings as JSON logs would only repeat it.
    const level = (args.values["log-level"] ??
      (command === "demo" || command === "watch" ? "error" : "warn")) as LogLevel;
    if (!LOG_LEVELS.includes(level))
      throw new ConfigError([`--log-level "${level}" is not one of ${LOG_LEVELS.join(", ")}`]);
    const logger = createLogger({ level });
    switch (command) {
      case "pull": {
        const config = args.values.config ? await loadConfigFile(args.values.config) : null;
        return await runPull(planPull(args, process.cwd(), config), logger, print);
      }
      case "run":
        return await runService(
          args,
          createLogger({ level: (args.values["log-level"] ?? "info") as LogLevel }),
          version,
        );
      case "watch":
        return await runWatch(planWatch(args), logger, print);
      case "unit":
        return runUnitFiles(rest, args, print);
      case "simulate":
        return await runSimulate(rest, args, print);
      case "demo":
        return await runDemo(args, logger, print);
      case "users":
        return await runUsers(planUsers(rest[0], args), logger, print);
      default:
        throw new ConfigError([
          `unknown command "${command}" (run, pull, watch, users, unit, simulate, demo)`,
        ]);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`biometric-sidecar: ${error.message}\n\nRun "biometric-sidecar --help" for usage.`);
      return 2;
    }
    if (isSidecarError(error)) {
      console.error(`biometric-sidecar: [${error.code}] ${error.message}`);
      return 1;
    }
    console.error(`biometric-sidecar: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
