import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";

export type ParsedArgs = ReturnType<typeof parseCommandArgs>;

/** Parses the options of every command strictly; an unknown or malformed option is a ConfigError. */
export function parseCommandArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        device: { type: "string", multiple: true },
        config: { type: "string" },
        since: { type: "string" },
        until: { type: "string" },
        out: { type: "string" },
        "dry-run": { type: "boolean" },
        "employee-map": { type: "string" },
        "site-tz": { type: "string" },
        tz: { type: "string" },
        spool: { type: "string" },
        timeout: { type: "string" },
        records: { type: "string" },
        port: { type: "string" },
        commkey: { type: "string" },
        format: { type: "string" },
        connection: { type: "string" },
        "adms-port": { type: "string" },
        "adms-host": { type: "string" },
        wait: { type: "string" },
        for: { type: "string" },
        server: { type: "string" },
        sn: { type: "string" },
        key: { type: "string" },
        "user-id": { type: "string" },
        name: { type: "string" },
        card: { type: "string" },
        file: { type: "string" },
        "punches-saved": { type: "boolean" },
        "log-level": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
}

export function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`--${name} "${value}" is not a whole number from ${min} to ${max}`);
    return fallback;
  }
  return n;
}
