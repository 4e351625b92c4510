import { pino } from "pino";

/**
 * The logging surface modules depend on (drivers never import pino): structured fields first, then a
 * message. `child` adds fields such as {module, device}.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(fields: object): Logger;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Field paths that may hold secrets; pino replaces their values before anything is written. */
export const REDACTED_PATHS = [
  "commKey",
  "*.commKey",
  "password",
  "*.password",
  "apiSecret",
  "*.apiSecret",
  "apiKey",
  "*.apiKey",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "secret",
  "*.secret",
];

/** JSON lines on the given stream (stderr by default, so CLI output on stdout stays clean). */
export function createLogger(
  options: { level?: LogLevel; destination?: NodeJS.WritableStream; base?: object } = {},
): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? {},
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? process.stderr,
  );
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
