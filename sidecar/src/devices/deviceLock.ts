/**
 * One connection per device at a time: many terminals accept a single TCP session and reset the rest. Every
 * user of a device (poll, Sync Now, Test Connection, live channel) runs inside `withDevice` or `holdWhileIdle`.
 *
 * The live channel holds a device only while nobody else wants it: `holdWhileIdle` work gets a signal that
 * aborts as soon as a `withDevice` caller queues for the same device, so a poll pauses the channel (it closes
 * its connection and returns), does its read, and the channel comes back after it.
 */
export class DeviceLocks {
  private readonly tails = new Map<string, Promise<void>>();
  /** `withDevice` callers queued or running, per device. */
  private readonly wanted = new Map<string, number>();
  /** The yield signal of the `holdWhileIdle` work holding each device. */
  private readonly yielders = new Map<string, AbortController>();

  async withDevice<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.wanted.set(key, (this.wanted.get(key) ?? 0) + 1);
    this.yielders.get(key)?.abort();
    try {
      return await this.exclusive(key, work);
    } finally {
      const left = (this.wanted.get(key) ?? 1) - 1;
      if (left > 0) this.wanted.set(key, left);
      else this.wanted.delete(key);
    }
  }

  /**
   * Runs `work` with the device while no `withDevice` caller wants it. `yieldSignal` aborts when one queues;
   * `work` must then release the device promptly. Returns false (without running `work`) when the device was
   * wanted by the time it became free.
   */
  async holdWhileIdle(key: string, work: (yieldSignal: AbortSignal) => Promise<void>): Promise<boolean> {
    return this.exclusive(key, async () => {
      if (this.wanted.has(key)) return false;
      const controller = new AbortController();
      this.yielders.set(key, controller);
      try {
        await work(controller.signal);
        return true;
      } finally {
        if (this.yielders.get(key) === controller) this.yielders.delete(key);
      }
    });
  }

  /** Someone other than an idle holder uses or waits for the device. */
  isWanted(key: string): boolean {
    return this.wanted.has(key);
  }

  isBusy(key: string): boolean {
    return this.tails.has(key);
  }

  private async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
