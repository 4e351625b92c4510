import type { DateTimeParts } from "../../../sidecar/src/domain/naiveTime.js";
import { epochMsToParts as partsFromUtcMs, naiveToEpochMs } from "../../../sidecar/src/domain/naiveTime.js";
import { utcMsToWall } from "../../../sidecar/src/domain/timeZone.js";

/**
 * The device's own wall clock: the wall-clock time of its zone (default: the host's) plus an offset. Devices
 * keep naive local time; SET_TIME moves the offset, like setting the clock on a real terminal.
 */
export class DeviceClock {
  constructor(
    private offsetMs: number,
    private readonly hostNow: () => number = Date.now,
    private readonly timeZone: string | null = null,
  ) {}

  /** Host local wall clock as "naive ms" (the wall-clock fields read as if they were UTC). */
  private hostNaiveMs(): number {
    const ms = this.hostNow();
    if (this.timeZone) return naiveToEpochMs(utcMsToWall(ms, this.timeZone));
    return ms - new Date(ms).getTimezoneOffset() * 60_000;
  }

  now(): DateTimeParts {
    return partsFromUtcMs(this.hostNaiveMs() + this.offsetMs);
  }

  set(parts: DateTimeParts): void {
    const target = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    this.offsetMs = target - this.hostNaiveMs();
  }

  get offset(): number {
    return this.offsetMs;
  }
}
