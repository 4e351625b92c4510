/**
 * The two log calls the spool and the state store make (pino style: fields first, message second).
 * Defined here so the spool does not depend on the logging module.
 */
export type SpoolLogger = {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
};

export const SILENT_LOGGER: SpoolLogger = {
  warn() {},
  info() {},
};
