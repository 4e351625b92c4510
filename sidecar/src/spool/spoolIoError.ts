import { SpoolError, isSidecarError } from "../errors.js";

/** Wraps a file-system failure as a retryable SPOOL_IO error that names what was being done and where. */
export function spoolIoError(action: string, path: string, cause: unknown): SpoolError {
  if (cause instanceof SpoolError) return cause;
  if (isSidecarError(cause))
    return new SpoolError("SPOOL_IO", `${action} ${path}: ${cause.message}`, { cause });
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SpoolError("SPOOL_IO", `spool: cannot ${action} ${path}: ${message}`, {
    details: { path, errno: code ?? null },
    cause,
  });
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
