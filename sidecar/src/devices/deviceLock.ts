/**
 * One connection per device at a time: many terminals accept a single TCP session and reset the rest. Every
 * user of a device (poll, Sync Now, Test Connection, live stream) runs inside `withDevice`.
 */
export class DeviceLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async withDevice<T>(key: string, work: () => Promise<T>): Promise<T> {
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

  isBusy(key: string): boolean {
    return this.tails.has(key);
  }
}
