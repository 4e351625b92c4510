/**
 * Injectable device faults. Each one fires for its next `times` occurrences (default 1; Infinity = always),
 * so a client's retry logic can be tested: "the first read drops, the second succeeds".
 */
export type Fault =
  /** The next realtime event is cut off halfway and the connection dropped (the punch stays in the log). */
  | { readonly kind: "dropMidEvent"; readonly times?: number }
  /** Destroy the connection partway through the DATA of the next chunk (TCP; over UDP the rest is not sent). */
  | { readonly kind: "dropMidChunk"; readonly times?: number; readonly afterBytes?: number }
  /** Stop answering `command` (default CMD_DATA_RDY): for `ms`, or forever (connection hangs) without it. */
  | { readonly kind: "stall"; readonly times?: number; readonly command?: number; readonly ms?: number }
  /** Corrupt the checksum of the next ordinary reply ("reply") or of the next DATA packet ("chunk"). */
  | {
      readonly kind: "badChecksum";
      readonly times?: number;
      readonly target?: "reply" | "chunk";
      readonly command?: number;
    }
  /** Answer the next command (or the next `command`) with random bytes that are not a ZK packet. */
  | { readonly kind: "garbage"; readonly times?: number; readonly command?: number; readonly bytes?: number }
  /** Close new TCP connections as soon as they are accepted (UDP: ignore datagrams from new peers). */
  | { readonly kind: "refuse"; readonly times?: number }
  /** Reset (RST) new TCP connections, as a device busy with another client does. */
  | { readonly kind: "busy"; readonly times?: number }
  /** While set: the log is full (records == capacity, 0 free); new punches are dropped or overwrite the oldest. */
  | { readonly kind: "memoryFull"; readonly onFull?: "stop" | "rollover" }
  /** A punch is recorded between GET_FREE_SIZES and the attendance read, if the device is enabled. */
  | { readonly kind: "punchDuringRead"; readonly times?: number }
  /** The dataset's size prefix announces every record, but the last `missingRecords` (default 1) are absent. */
  | { readonly kind: "truncatedDataset"; readonly times?: number; readonly missingRecords?: number }
  /** The attendance dataset carries `extraBytes` (default 3) more: total bytes fit no known record size. */
  | { readonly kind: "wrongRecordSize"; readonly times?: number; readonly extraBytes?: number };

export type FaultKind = Fault["kind"];
export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

interface Armed {
  readonly fault: Fault;
  remaining: number;
}

export class FaultBook {
  private armed: Armed[] = [];
  private readonly firedCounts = new Map<FaultKind, number>();

  constructor(faults: readonly Fault[] = []) {
    this.set(faults);
  }

  /** Replaces every armed fault. */
  set(faults: readonly Fault[]): void {
    this.armed = faults.map((fault) => ({
      fault,
      remaining: fault.kind === "memoryFull" ? Infinity : (fault.times ?? 1),
    }));
  }

  add(fault: Fault): void {
    this.set([...this.armed.filter((a) => a.remaining > 0).map((a) => a.fault), fault]);
  }

  /** Consumes one occurrence of the first armed fault of `kind` that `match` accepts. */
  take<K extends FaultKind>(kind: K, match: (f: FaultOf<K>) => boolean = () => true): FaultOf<K> | undefined {
    for (const a of this.armed) {
      if (a.fault.kind !== kind || a.remaining <= 0) continue;
      const fault = a.fault as FaultOf<K>;
      if (!match(fault)) continue;
      a.remaining -= 1;
      this.firedCounts.set(kind, (this.firedCounts.get(kind) ?? 0) + 1);
      return fault;
    }
    return undefined;
  }

  /** A standing condition (memoryFull): looked at, not consumed. */
  active<K extends FaultKind>(kind: K): FaultOf<K> | undefined {
    return this.armed.find((a) => a.fault.kind === kind && a.remaining > 0)?.fault as FaultOf<K> | undefined;
  }

  remaining(kind: FaultKind): number {
    return this.armed
      .filter((a) => a.fault.kind === kind)
      .reduce((sum, a) => sum + Math.max(0, a.remaining), 0);
  }

  fired(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.firedCounts);
  }
}
