import { setTimeout as sleep } from "node:timers/promises";
import type { Action } from "./chunkPlan.js";

/** What a runner needs from a transport: one client's way out. */
export interface Link {
  write(bytes: Buffer): Promise<void>;
  destroy(reset: boolean): void;
}

/**
 * Executes one client's jobs strictly in order: a device answers one command at a time, and a chunk's
 * writes must not interleave with the next reply or a realtime event. Each job produces its actions only
 * when its turn comes, so it sees the session state left by the job before it.
 */
export class ActionRunner {
  private readonly jobs: (() => Action[])[] = [];
  private running = false;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(private readonly link: Link) {}

  enqueue(job: () => Action[]): void {
    if (this.stopped) return;
    this.jobs.push(job);
    if (!this.running) void this.drain();
  }

  /** No more output; pending pauses end now (no timer keeps the process alive). */
  stop(): void {
    this.stopped = true;
    this.jobs.length = 0;
    this.abort.abort();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (!this.stopped) {
      const job = this.jobs.shift();
      if (job === undefined) break;
      // A job that throws is a simulator bug: let it surface, do not swallow it.
      for (const action of job()) {
        if (this.stopped) break;
        try {
          await this.run(action);
        } catch {
          // A write to a socket the client already closed, or a pause cut short by stop().
          this.stop();
        }
      }
    }
    this.running = false;
  }

  private async run(action: Action): Promise<void> {
    switch (action.kind) {
      case "write":
        await this.link.write(action.bytes);
        return;
      case "pause":
        await sleep(action.ms, undefined, { signal: this.abort.signal });
        return;
      case "destroy":
        this.link.destroy(action.reset);
        this.stop();
        return;
      case "hang":
        this.stop();
        return;
    }
  }
}
