/**
 * Faults an ADMS terminal can show. Each fires for its next `times` occurrences (default 1; Infinity = always).
 */
export type AdmsFault =
  /** The server's OK for an ATTLOG upload is "lost": the terminal resends the same batch. */
  | { readonly kind: "dropOk"; readonly times?: number }
  /** These raw lines are added to the next ATTLOG batch (bad times, missing fields, garbage). */
  | { readonly kind: "malformedLines"; readonly lines: readonly string[]; readonly times?: number }
  /** The next upload sends half its body and then drops the connection (a terminal timing out mid-request). */
  | { readonly kind: "abortUpload"; readonly times?: number }
  /** The terminal answers `command` (first word, e.g. "INFO") with this Return code. */
  | {
      readonly kind: "commandFails";
      readonly command: string;
      readonly returnCode: number;
      readonly times?: number;
    }
  /** The terminal takes commands from getrequest but never answers them. */
  | { readonly kind: "ignoreCommands"; readonly times?: number }
  /** The next upload's body trickles in `chunks` pieces `gapMs` apart. */
  | { readonly kind: "slowBody"; readonly chunks: number; readonly gapMs: number; readonly times?: number };

export type AdmsFaultKind = AdmsFault["kind"];
type FaultOf<K extends AdmsFaultKind> = Extract<AdmsFault, { kind: K }>;

export class AdmsFaultBook {
  private armed: { fault: AdmsFault; remaining: number }[] = [];
  private readonly firedCounts = new Map<AdmsFaultKind, number>();

  constructor(faults: readonly AdmsFault[] = []) {
    this.set(faults);
  }

  set(faults: readonly AdmsFault[]): void {
    this.armed = faults.map((fault) => ({ fault, remaining: fault.times ?? 1 }));
  }

  add(fault: AdmsFault): void {
    this.armed.push({ fault, remaining: fault.times ?? 1 });
  }

  take<K extends AdmsFaultKind>(
    kind: K,
    match: (f: FaultOf<K>) => boolean = () => true,
  ): FaultOf<K> | undefined {
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

  fired(): Partial<Record<AdmsFaultKind, number>> {
    return Object.fromEntries(this.firedCounts);
  }
}
