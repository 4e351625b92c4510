import { open } from "node:fs/promises";
import { SpoolError } from "../errors.js";
import type { Punch } from "../domain/punch.js";

export interface RejectedPunch {
  readonly punch: Punch;
  readonly code: string | null;
  readonly error: string | null;
  readonly at: string;
}

/**
 * Punches the site refused, kept with the site's reason for review (JSON lines, fsync'd) before they leave
 * the spool: a refused punch is set aside, never dropped.
 */
export class RejectLog<T extends object = RejectedPunch> {
  constructor(readonly file: string) {}

  async append(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    try {
      const handle = await open(this.file, "a");
      try {
        await handle.writeFile(records.map((r) => `${JSON.stringify(r)}\n`).join(""));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new SpoolError(
        "SPOOL_IO",
        `cannot record refused punches in ${this.file}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
