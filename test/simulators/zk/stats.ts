import type { FaultKind } from "./faults.js";

/** What the simulator saw, for tests to assert on (counts only; nothing here changes behaviour). */
export interface ZkSimulatorStats {
  /** TCP connections accepted, including refused, reset and pyzk's connect-and-close probe. */
  readonly connections: number;
  /** Distinct UDP peers (address:port) that sent something. */
  readonly udpPeers: number;
  /** Successful CMD_CONNECTs. */
  readonly sessionsOpened: number;
  /** Packets received with a valid checksum, by command code. */
  readonly commands: Readonly<Record<number, number>>;
  /** Packets dropped for a bad checksum (a device ignores them: the client times out and retries). */
  readonly badChecksums: number;
  /** TCP streams that did not start with the ZK magic or had an impossible length (connection dropped). */
  readonly badFrames: number;
  readonly authFailures: number;
  /** Connections reset because the session limit was reached (maxSessions) or by the busy fault. */
  readonly busyResets: number;
  readonly eventsSent: number;
  /** Client CMD_ACK_OKs (acknowledging realtime events); never answered. */
  readonly eventsAcked: number;
  readonly faultsFired: Readonly<Partial<Record<FaultKind, number>>>;
}

export class StatsCollector {
  connections = 0;
  udpPeers = 0;
  sessionsOpened = 0;
  badChecksums = 0;
  badFrames = 0;
  authFailures = 0;
  busyResets = 0;
  eventsSent = 0;
  eventsAcked = 0;
  private readonly commands = new Map<number, number>();

  command(code: number): void {
    this.commands.set(code, (this.commands.get(code) ?? 0) + 1);
  }

  snapshot(faultsFired: Partial<Record<FaultKind, number>>): ZkSimulatorStats {
    return {
      connections: this.connections,
      udpPeers: this.udpPeers,
      sessionsOpened: this.sessionsOpened,
      commands: Object.fromEntries(this.commands),
      badChecksums: this.badChecksums,
      badFrames: this.badFrames,
      authFailures: this.authFailures,
      busyResets: this.busyResets,
      eventsSent: this.eventsSent,
      eventsAcked: this.eventsAcked,
      faultsFired,
    };
  }
}
