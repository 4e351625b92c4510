import type { FileHandle } from "node:fs/promises";
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Makes a directory's entries (a created, renamed or removed file) durable: without this a crash can
 * forget a rename or resurrect a deleted file even though the file's own data was fsync'd.
 * Windows cannot open a directory for fsync; NTFS journals metadata, so there it is skipped.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash at any instant leaves either the old or the new content,
 * never a mix: write `path.tmp`, fsync it, rename over `path`, fsync the directory.
 * A crash can leave `path.tmp` behind; readers ignore it and the next write replaces it.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  options: { readonly afterRename?: () => void } = {},
): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(tmp, path);
  options.afterRename?.();
  await fsyncDir(dirname(path));
}

/** Writes all of `data` at `position` (a single write call may write less than asked). */
export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let written = 0; written < data.length;) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}
