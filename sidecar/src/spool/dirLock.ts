import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { SpoolError } from "../errors.js";

const LOCK_FILE = "LOCK";

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One process per spool directory: two writers appending to the same segment files would interleave frames.
 * The lock is a file holding the owner's pid; a lock left by a process that no longer runs (kill -9) is taken over.
 */
export class DirLock {
  private constructor(private readonly file: string) {}

  static async acquire(dir: string): Promise<DirLock> {
    const file = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, "wx");
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        return new DirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new SpoolError("SPOOL_IO", `spool: cannot create lock ${file}: ${(error as Error).message}`, {
            cause: error,
          });
        }
        const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
        if (owner !== process.pid && isAlive(owner)) {
          throw new SpoolError(
            "SPOOL_LOCKED",
            `spool ${dir} is in use by process ${owner}; run one sidecar per spool directory`,
            {
              details: { dir, pid: owner },
            },
          );
        }
        await unlink(file).catch(() => undefined);
      }
    }
    throw new SpoolError("SPOOL_LOCKED", `spool ${dir}: could not take the lock`, { details: { dir } });
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => undefined);
  }
}
