import { mkdir, readFile, rename, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SpoolError } from "../errors.js";
import { writeFileAtomic } from "./durableFs.js";
import { isNotFound, spoolIoError } from "./spoolIoError.js";
import { SILENT_LOGGER } from "./spoolLogger.js";
import type { SpoolLogger } from "./spoolLogger.js";

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export const STATE_FILE = "state.json";
const STATE_VERSION = 1;

interface PendingChange {
  readonly key: string;
  /** JSON text of the new value, or undefined to delete the key. */
  readonly text: string | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Small durable key → JSON state (per-device cursors and the like), all in one file that is replaced
 * atomically on every change (tmp, fsync, rename, fsync dir): after a kill -9 a key holds its old or its
 * new value, never a broken one. Changes made while a write is in flight share the next write.
 *
 * get() returns the last value whose set() has resolved. Values are copied in and out, so callers can
 * mutate what they pass or get. A file that cannot be read as state (disk damage, a hand edit) is moved
 * aside as `state.json.corrupt-<time>` with a warning and the store starts empty: for a cursor that means
 * a full re-read, which the site deduplicates.
 */
export class StateStore {
  private readonly pending: PendingChange[] = [];
  private writing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly path: string,
    private readonly values: Map<string, string>,
  ) {}

  static async open(dir: string, options: { readonly logger?: SpoolLogger } = {}): Promise<StateStore> {
    const logger = options.logger ?? SILENT_LOGGER;
    const path = join(resolve(dir), STATE_FILE);
    const values = new Map<string, string>();
    try {
      await mkdir(resolve(dir), { recursive: true });
      try {
        await unlink(`${path}.tmp`);
        logger.warn(
          { file: `${path}.tmp` },
          "state store: ignored and removed an unfinished write left by a crash",
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      let text: string | undefined;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (text !== undefined) {
        const parsed = parseStateFile(text);
        if (parsed) {
          for (const [key, value] of Object.entries(parsed)) values.set(key, JSON.stringify(value));
        } else {
          const aside = `${path}.corrupt-${Date.now()}`;
          await rename(path, aside);
          logger.warn(
            { file: path, movedTo: aside, bytes: text.length },
            "state store: unreadable state file; starting empty",
          );
        }
      }
    } catch (error) {
      throw spoolIoError("open state in", path, error);
    }
    return new StateStore(path, values);
  }

  get(key: string): JsonValue | undefined {
    const text = this.values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  keys(): string[] {
    return [...this.values.keys()];
  }

  /** Stores `value` under `key`; resolves once it is durable. Rejects with SpoolError SPOOL_IO / SPOOL_CLOSED. */
  set(key: string, value: JsonValue): Promise<void> {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) return Promise.reject(new TypeError(`state value for ${key} is not JSON`));
    return this.change(key, text);
  }

  /** Removes `key`; resolves once that is durable. */
  delete(key: string): Promise<void> {
    return this.change(key, undefined);
  }

  /** Waits for changes already made, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing;
  }

  private change(key: string, text: string | undefined): Promise<void> {
    if (this.closed) return Promise.reject(spoolClosed());
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ key, text, resolve, reject });
      this.startWriting();
    });
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.writeLoop().then(() => {
      this.writing = null;
      if (this.pending.length > 0) this.startWriting();
    });
  }

  private async writeLoop(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0) {
      const changes = this.pending.splice(0);
      const next = new Map(this.values);
      for (const change of changes) {
        if (change.text === undefined) next.delete(change.key);
        else next.set(change.key, change.text);
      }
      const body = [...next].map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(",");
      try {
        await writeFileAtomic(this.path, Buffer.from(`{"version":${STATE_VERSION},"values":{${body}}}\n`));
      } catch (error) {
        const failure = spoolIoError("write", this.path, error);
        for (const change of changes) change.reject(failure);
        continue;
      }
      this.values.clear();
      for (const [key, text] of next) this.values.set(key, text);
      for (const change of changes) change.resolve();
    }
  }
}

function parseStateFile(text: string): Record<string, JsonValue> | null {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null) return null;
    const { version, values } = parsed as { version?: unknown; values?: unknown };
    if (version !== STATE_VERSION || typeof values !== "object" || values === null || Array.isArray(values)) {
      return null;
    }
    return values as Record<string, JsonValue>;
  } catch {
    return null;
  }
}

function spoolClosed(): SpoolError {
  return new SpoolError("SPOOL_CLOSED", "the state store is closed");
}
