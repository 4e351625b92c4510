import type { ZkTemplate } from "../../../sidecar/src/drivers/zk/protocol/templates.js";
import type { DateTimeParts } from "../../../sidecar/src/domain/naiveTime.js";
import { isValidParts } from "../../../sidecar/src/domain/naiveTime.js";
import { DeviceState } from "./deviceState.js";
import { FaultBook } from "./faults.js";
import type { Fault } from "./faults.js";
import { checkScenarioFits, usesNumericIds } from "./formats.js";
import type { AttendanceFormat, UserFormat } from "./formats.js";
import { createPrng } from "./prng.js";
import type { Prng } from "./prng.js";
import type { Scenario, ScenarioPunch } from "./scenario.js";
import { checkUserId, toDateTimeParts } from "./scenario.js";
import type { LiveEventLength, SessionConfig, SessionContext, Timing, ZkSession } from "./session.js";
import { StatsCollector } from "./stats.js";
import type { ZkSimulatorStats } from "./stats.js";
import { TcpTransport } from "./tcpTransport.js";
import { UdpTransport } from "./udpTransport.js";

/**
 * A ZKTeco-style terminal on loopback, speaking the real binary protocol over TCP and UDP (device-protocols.md
 * §1), serving a scenario's users and punches, with injectable faults. Checked by pyzk and node-zklib.
 */

export interface ZkSimulatorOptions {
  readonly scenario: Scenario;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly tcpPort?: number;
  /** A port (0 = free port), "same" (the TCP port, as on a device), or false (no UDP). Default 0. */
  readonly udpPort?: number | "same" | false;
  /** Comm key the device requires; undefined or 0 = none. */
  readonly commKey?: number;
  /** Default 40 for string-id scenarios, 16 for numeric ones. */
  readonly attendanceFormat?: AttendanceFormat;
  /** Default 72 for string-id scenarios, 28 for numeric ones. */
  readonly userFormat?: UserFormat;
  /** TCP chunk pacing. Default "split-node" (the one both pyzk and node-zklib read). */
  readonly timing?: Timing;
  /** Datasets (size prefix included) at or below this many bytes go inline as CMD_DATA. Default 1024. */
  readonly inlineThreshold?: number;
  /** Concurrent TCP device sessions. Default 1: a second client is reset (the device is busy). */
  readonly maxSessions?: number;
  readonly faults?: readonly Fault[];
  /** Gap between split-mode writes, [min, max] ms. Default [10, 20]. */
  readonly splitGapMs?: readonly [number, number];
  /** Realtime EF_ATTLOG data length. Default 32 (string ids) or 12 (numeric ids). */
  readonly liveEventLength?: LiveEventLength;
  /** Seed for jitter and garbage bytes. Default 4370. */
  readonly seed?: number;
  /** Host clock (epoch ms) the device clock is offset from. Default Date.now. */
  readonly now?: () => number;
  /** IANA zone the device's clock is set to (a terminal shows local time). Default: the host's zone. */
  readonly timeZone?: string;
}

export interface ZkSimulatorAddress {
  readonly host: string;
  readonly tcpPort: number;
  /** null when UDP is disabled. */
  readonly udpPort: number | null;
}

export interface LivePunchInput {
  readonly userId: string;
  /** Default: the device clock's now. */
  readonly time?: DateTimeParts | string;
  readonly verify?: number;
  readonly state?: number;
  /** Needed only for a user not in the device's user table. */
  readonly uid?: number;
}

export class ZkSimulator {
  readonly scenario: Scenario;
  private readonly options: ZkSimulatorOptions;
  private readonly config: SessionConfig;
  private readonly device: DeviceState;
  private readonly faults: FaultBook;
  private readonly statsCollector = new StatsCollector();
  private readonly prng: Prng;
  private readonly maxSessions: number;
  private readonly sessions = new Set<ZkSession>();
  private nextSession: number;
  private tcp: TcpTransport | null = null;
  private udp: UdpTransport | null = null;
  private addressValue: ZkSimulatorAddress | null = null;
  /** After a reboot: the ports it had, so clients reconnect to the same address. */
  private boundPorts: { tcp: number; udp: number | false } | null = null;

  constructor(options: ZkSimulatorOptions) {
    const s = options.scenario;
    const numeric = s.idKind === "numeric";
    const attendanceFormat = options.attendanceFormat ?? (numeric ? 16 : 40);
    const userFormat = options.userFormat ?? (numeric ? 28 : 72);
    checkScenarioFits(s, attendanceFormat, userFormat);
    const splitGapMs = options.splitGapMs ?? [10, 20];
    if (splitGapMs[0] < 0 || splitGapMs[1] < splitGapMs[0])
      throw new RangeError("splitGapMs must be [min, max], 0 ≤ min ≤ max");
    this.scenario = s;
    this.options = options;
    this.config = {
      commKey: options.commKey,
      attendanceFormat,
      userFormat,
      timing: options.timing ?? "split-node",
      inlineThreshold: options.inlineThreshold ?? 1024,
      splitGapMs,
      liveEventLength: options.liveEventLength ?? (usesNumericIds(attendanceFormat, userFormat) ? 12 : 32),
    };
    this.device = new DeviceState(s, options.now, options.timeZone ?? null);
    this.faults = new FaultBook(options.faults ?? []);
    this.prng = createPrng(options.seed ?? 4370);
    this.maxSessions = options.maxSessions ?? 1;
    // Session ids look random on a device; a seeded start keeps runs reproducible.
    this.nextSession = this.prng.int(0x1000, 0xefff);
  }

  async start(): Promise<ZkSimulatorAddress> {
    if (this.addressValue) return this.addressValue;
    const host = this.options.host ?? "127.0.0.1";
    const ctx = this.context();
    const tcp = new TcpTransport(ctx);
    const tcpPort = await tcp.listen(host, this.boundPorts?.tcp ?? this.options.tcpPort ?? 0);
    this.tcp = tcp;
    const udpOption = this.boundPorts?.udp ?? this.options.udpPort ?? 0;
    let udpPort: number | null = null;
    if (udpOption !== false) {
      const udp = new UdpTransport(ctx);
      try {
        udpPort = await udp.bind(host, udpOption === "same" ? tcpPort : udpOption);
      } catch (err) {
        await tcp.close();
        this.tcp = null;
        throw err;
      }
      this.udp = udp;
    }
    this.addressValue = { host, tcpPort, udpPort };
    return this.addressValue;
  }

  /** Closes every connection and both listeners. Safe to call twice. */
  async stop(): Promise<void> {
    const closing: Promise<void>[] = [];
    if (this.tcp) closing.push(this.tcp.close());
    if (this.udp) closing.push(this.udp.close());
    this.tcp = null;
    this.udp = null;
    this.addressValue = null;
    this.sessions.clear();
    await Promise.all(closing);
  }

  get address(): ZkSimulatorAddress {
    if (!this.addressValue) throw new Error("simulator not started");
    return this.addressValue;
  }

  /**
   * Someone punches on the device: the punch is appended to the log and sent as an EF_ATTLOG event to every
   * client that registered for events. Returns the punch, or null when a full log ("stop") dropped it.
   */
  pushLivePunch(input: LivePunchInput): ScenarioPunch | null {
    checkUserId(
      input.userId,
      usesNumericIds(this.config.attendanceFormat, this.config.userFormat) ? "numeric" : "string",
    );
    const time = input.time === undefined ? this.device.now() : toDateTimeParts(input.time);
    if (!isValidParts(time)) throw new RangeError(`${JSON.stringify(time)} is not a real date`);
    const uid = input.uid ?? this.device.userById(input.userId)?.uid;
    if (uid === undefined)
      throw new RangeError(`live punch for unknown user "${input.userId}": give it a uid`);
    const punch: ScenarioPunch = Object.freeze({
      uid,
      userId: input.userId,
      time: Object.freeze(time),
      verify: input.verify ?? 1,
      state: input.state ?? 0,
    });
    return this.record(punch) ? punch : null;
  }

  /**
   * The terminal reboots: every connection is dropped and the listeners come back on the same ports after
   * `downMs`; the log (and the users) survive, as in the device's flash. Event registrations do not.
   */
  async reboot(downMs = 0): Promise<void> {
    const address = this.address;
    await this.stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    this.boundPorts = { tcp: address.tcpPort, udp: address.udpPort ?? false };
    await this.start();
  }

  /** Replaces every armed fault. */
  setFaults(faults: readonly Fault[]): void {
    this.faults.set(faults);
  }

  addFault(fault: Fault): void {
    this.faults.add(fault);
  }

  stats(): ZkSimulatorStats {
    return this.statsCollector.snapshot(this.faults.fired());
  }

  /** The device's log now (scenario punches plus live ones, minus cleared). */
  get punches(): readonly ScenarioPunch[] {
    return this.device.punches;
  }

  get users(): Scenario["users"] {
    return this.device.users;
  }

  /** Fingerprint templates the terminal holds (tests enrol with `enrolTemplate` and read them back). */
  get templates(): readonly ZkTemplate[] {
    return this.device.templates;
  }

  /** A finger enrolled at the terminal itself; false when no user has the uid. */
  enrolTemplate(template: ZkTemplate): boolean {
    return this.device.writeTemplate(template);
  }

  /** DISABLEDEVICE / ENABLEDEVICE state. */
  get enabled(): boolean {
    return this.device.enabled;
  }

  deviceTime(): DateTimeParts {
    return this.device.now();
  }

  /** Device clock minus host clock, ms (changes with SET_TIME). */
  get clockOffsetMs(): number {
    return this.device.clock.offset;
  }

  /** Clients registered for realtime attendance events. */
  eventSubscribers(): number {
    return (this.tcp?.eventSubscribers() ?? 0) + (this.udp?.eventSubscribers() ?? 0);
  }

  get formats(): { readonly attendance: AttendanceFormat; readonly user: UserFormat } {
    return { attendance: this.config.attendanceFormat, user: this.config.userFormat };
  }

  private record(punch: ScenarioPunch): boolean {
    const full = this.faults.active("memoryFull");
    if (!this.device.appendPunch(punch, full ? (full.onFull ?? "stop") : null)) return false;
    this.tcp?.broadcastEvent(punch);
    this.udp?.broadcastEvent(punch);
    return true;
  }

  private context(): SessionContext {
    return {
      config: this.config,
      device: this.device,
      faults: this.faults,
      stats: this.statsCollector,
      prng: this.prng,
      sessionsFull: () => this.sessions.size >= this.maxSessions,
      claimSession: (session) => {
        if (this.sessions.size >= this.maxSessions) return false;
        this.sessions.add(session);
        return true;
      },
      releaseSession: (session) => void this.sessions.delete(session),
      nextSessionId: () => {
        this.nextSession = (this.nextSession % 0xfffe) + 1;
        return this.nextSession;
      },
      recordPunchNow: () => {
        const user = this.device.users[0];
        if (user === undefined) return;
        this.record(
          Object.freeze({
            uid: user.uid,
            userId: user.userId,
            time: Object.freeze(this.device.now()),
            verify: 1,
            state: 0,
          }),
        );
      },
    };
  }
}
