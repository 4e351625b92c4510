import type { Logger } from "../../sidecar/src/logging/logger.js";

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: object;
  readonly message: string;
}

/** A Logger that keeps every line (children included) so a test can assert what the code reported. */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (base: object): Logger => ({
    debug: (fields, message) => lines.push({ level: "debug", fields: { ...base, ...fields }, message }),
    info: (fields, message) => lines.push({ level: "info", fields: { ...base, ...fields }, message }),
    warn: (fields, message) => lines.push({ level: "warn", fields: { ...base, ...fields }, message }),
    error: (fields, message) => lines.push({ level: "error", fields: { ...base, ...fields }, message }),
    child: (fields) => make({ ...base, ...fields }),
  });
  return Object.assign(make({}), { lines });
}
