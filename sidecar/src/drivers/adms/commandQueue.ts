import { randomBytes } from "node:crypto";
import { AbortedError, DeviceError, type SidecarError } from "../../errors.js";
import { type CommandReply, returnCodeMeaning } from "./deviceCmdReply.js";

export interface CommandOptions {
  /** Give up (ADMS_COMMAND_TIMEOUT) when no reply arrived within this; default the queue's. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Queued {
  readonly id: string;
  readonly serialNumber: string;
  readonly command: string;
  /** When getrequest last handed it out; null while waiting for the first delivery. */
  sentAt: number | null;
  deliveries: number;
  readonly resolve: (reply: CommandReply) => void;
  readonly reject: (error: SidecarError) => void;
  readonly timer: NodeJS.Timeout;
  readonly cleanup: () => void;
}

export interface CommandQueueOptions {
  readonly timeoutMs: number;
  /** A delivered command without a reply is delivered again after this (the reply may have been lost). */
  readonly resendAfterMs: number;
  readonly now: () => number;
}

/**
 * Per-terminal queue of server → device commands (device-protocols.md §3.6). A command is "sent" when
 * getrequest hands it out and done when devicecmd returns its ID; one delivered but unanswered for
 * `resendAfterMs` is handed out again under the same ID. Ids are unique per server instance (a random
 * prefix), so a late reply to a command from before a restart matches nothing.
 */
export class CommandQueue {
  private readonly queues = new Map<string, Queued[]>();
  private readonly prefix = randomBytes(3).toString("hex");
  private counter = 0;

  constructor(private readonly options: CommandQueueOptions) {}

  enqueue(serialNumber: string, command: string, options: CommandOptions = {}): Promise<CommandReply> {
    if (/[\r\n]/.test(command)) {
      return Promise.reject(new DeviceError("ADMS_BAD_REQUEST", "an ADMS command cannot contain a newline"));
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const id = `${this.prefix}${(++this.counter).toString(36)}`;
    return new Promise<CommandReply>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
      const onAbort = (): void => this.fail(entry, new AbortedError());
      const entry: Queued = {
        id,
        serialNumber,
        command,
        sentAt: null,
        deliveries: 0,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.fail(
            entry,
            new DeviceError(
              "ADMS_COMMAND_TIMEOUT",
              `terminal ${serialNumber} did not ${entry.deliveries === 0 ? "poll for" : "answer"} command "${command.split(" ").slice(0, 3).join(" ")}" within ${timeoutMs} ms`,
              { details: { serialNumber, commandId: id, deliveries: entry.deliveries } },
            ),
          );
        }, timeoutMs),
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      entry.timer.unref();
      signal?.addEventListener("abort", onAbort, { once: true });
      const queue = this.queues.get(serialNumber) ?? [];
      queue.push(entry);
      this.queues.set(serialNumber, queue);
    });
  }

  /** The `C:<id>:<command>` lines to hand out on this getrequest (at most `max`), marking them sent. */
  deliver(serialNumber: string, max = 20): string[] {
    const queue = this.queues.get(serialNumber);
    if (!queue) return [];
    const now = this.options.now();
    const lines: string[] = [];
    for (const entry of queue) {
      if (lines.length >= max) break;
      if (entry.sentAt !== null && now - entry.sentAt < this.options.resendAfterMs) continue;
      entry.sentAt = now;
      entry.deliveries++;
      lines.push(`C:${entry.id}:${entry.command}`);
    }
    return lines;
  }

  /** Settles the command a devicecmd reply answers; false when no pending command has that id. */
  settle(serialNumber: string, reply: CommandReply): boolean {
    const entry = this.queues.get(serialNumber)?.find((e) => e.id === reply.id);
    if (!entry) return false;
    if (reply.returnCode === 0) {
      this.remove(entry);
      entry.resolve(reply);
      return true;
    }
    const code = reply.returnCode === -1005 ? "DEVICE_BUSY" : "ADMS_COMMAND_REJECTED";
    this.fail(
      entry,
      new DeviceError(
        code,
        `terminal ${serialNumber} answered "${entry.command.split(" ").slice(0, 3).join(" ")}" with Return=${reply.returnCode ?? "?"} (${reply.returnCode === null ? "no return code" : returnCodeMeaning(reply.returnCode)})`,
        { details: { serialNumber, commandId: reply.id, returnCode: reply.returnCode } },
      ),
    );
    return true;
  }

  pending(serialNumber: string): number {
    return this.queues.get(serialNumber)?.length ?? 0;
  }

  /** Fails every pending command (server stopping). */
  failAll(error: SidecarError): void {
    for (const queue of [...this.queues.values()]) for (const entry of [...queue]) this.fail(entry, error);
  }

  private fail(entry: Queued, error: SidecarError): void {
    if (!this.remove(entry)) return;
    entry.reject(error);
  }

  private remove(entry: Queued): boolean {
    const queue = this.queues.get(entry.serialNumber);
    const index = queue?.indexOf(entry) ?? -1;
    if (!queue || index < 0) return false;
    queue.splice(index, 1);
    if (queue.length === 0) this.queues.delete(entry.serialNumber);
    clearTimeout(entry.timer);
    entry.cleanup();
    return true;
  }
}
