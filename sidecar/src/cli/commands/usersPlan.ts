import { isIP } from "node:net";
import path from "node:path";
import { isAdmsUrl, parseAdmsUrl } from "../../drivers/adms/admsUrl.js";
import { driverForUrl } from "../../drivers/registry.js";
import { ConfigError } from "../../errors.js";
import { silentLogger } from "../../logging/logger.js";
import { intOption, type ParsedArgs } from "../args.js";
import type { AdmsListen } from "./pull.js";

export const USER_SUBCOMMANDS = ["list", "set", "delete", "push"] as const;
export type UsersSubcommand = (typeof USER_SUBCOMMANDS)[number];

export interface UsersPlan {
  readonly sub: UsersSubcommand;
  readonly url: string;
  readonly out: string | null;
  readonly format: "csv" | "json";
  readonly userId: string | null;
  readonly name: string | null;
  /** undefined: not given (a set keeps the device's card). */
  readonly card: string | undefined;
  readonly file: string | null;
  readonly dryRun: boolean;
  /** delete: the user's punches on the device were pulled into a file already (there is no site to confirm them). */
  readonly punchesSaved: boolean;
  readonly timeoutMs: number;
  readonly adms: AdmsListen;
}

/** Checks every option of `users <sub>` at once, so every problem is listed together (exit code 2). */
export function planUsers(sub: string | undefined, args: ParsedArgs, cwd = process.cwd()): UsersPlan {
  const { values } = args;
  const problems: string[] = [];
  if (!USER_SUBCOMMANDS.includes(sub as UsersSubcommand))
    problems.push(`users needs one of ${USER_SUBCOMMANDS.join(", ")} (got "${sub ?? ""}")`);
  const devices = values.device ?? [];
  if (devices.length !== 1) problems.push("users needs exactly one --device URL");
  const url = devices[0] ?? "";
  if (url) {
    try {
      if (isAdmsUrl(url)) parseAdmsUrl(url);
      else driverForUrl(url, { logger: silentLogger, timeoutMs: 1000, state: null });
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
    }
  }
  const need = (name: "user-id" | "name" | "file", when: boolean): void => {
    if (when && !values[name]) problems.push(`users ${sub} needs --${name}`);
  };
  need("user-id", sub === "set" || sub === "delete");
  need("name", sub === "set");
  need("file", sub === "push");
  const out = values.out ?? null;
  const ext = out ? path.extname(out).toLowerCase() : ".csv";
  if (out && sub !== "list") problems.push("--out is for users list");
  if (ext !== ".csv" && ext !== ".json") problems.push(`--out "${out}" must end in .csv or .json`);
  if (values["dry-run"] && sub !== "push") problems.push("--dry-run is for users push");
  const timeoutMs = intOption(values.timeout, "timeout", 100, 600_000, 10_000, problems);
  const admsPort = intOption(values["adms-port"], "adms-port", 1, 65_535, 8081, problems);
  const admsHost = values["adms-host"] ?? "0.0.0.0";
  if (isIP(admsHost) === 0)
    problems.push(`--adms-host "${admsHost}" is not an IP address to listen on (0.0.0.0 = every interface)`);
  const waitSeconds = intOption(values.wait, "wait", 1, 3600, 120, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    sub: sub as UsersSubcommand,
    url,
    out: out ? path.resolve(cwd, out) : null,
    format: ext === ".json" ? "json" : "csv",
    userId: values["user-id"] ?? null,
    name: values.name ?? null,
    card: values.card,
    file: values.file ? path.resolve(cwd, values.file) : null,
    dryRun: values["dry-run"] ?? false,
    punchesSaved: values["punches-saved"] ?? false,
    timeoutMs,
    adms: { host: admsHost, port: admsPort, waitMs: waitSeconds * 1000 },
  };
}
