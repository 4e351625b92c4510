import type { DateTimeParts } from "../../../sidecar/src/domain/naiveTime.js";
import type { FreeSizes } from "../../../sidecar/src/drivers/zk/protocol/freeSizes.js";
import { encodeTemplates, type ZkTemplate } from "../../../sidecar/src/drivers/zk/protocol/templates.js";
import type { ZkUser } from "../../../sidecar/src/drivers/zk/protocol/userRecords.js";
import { DeviceClock } from "./deviceClock.js";
import { encodeAttendanceDataset, encodeUserDataset } from "./formats.js";
import type { AttendanceFormat, UserFormat } from "./formats.js";
import type { Capacities, DeviceIdentity, Scenario, ScenarioPunch } from "./scenario.js";

/**
 * The mutable memory of one simulated terminal: its log, users, clock and enabled flag. Starts as a copy of
 * the (immutable) scenario; CLEAR_ATTLOG, SET_TIME and new punches change it.
 */
export class DeviceState {
  readonly identity: DeviceIdentity;
  readonly clock: DeviceClock;
  enabled = true;
  private punchLog: ScenarioPunch[];
  private userTable: ZkUser[];
  /** Fingerprint templates per user uid and finger (CMD_TMP_WRITE, read with DB_RRQ / FCT_FINGERTMP). */
  private templateTable: ZkTemplate[] = [];
  private capacities: Capacities;
  private attendanceCache: { format: AttendanceFormat; dataset: Buffer } | null = null;
  private userCache: { format: UserFormat; dataset: Buffer } | null = null;

  constructor(scenario: Scenario, now?: () => number, timeZone: string | null = null) {
    this.identity = scenario.identity;
    this.clock = new DeviceClock(scenario.clockOffsetMs, now, timeZone);
    this.punchLog = [...scenario.punches];
    this.userTable = [...scenario.users];
    this.capacities = scenario.capacities;
  }

  get punches(): readonly ScenarioPunch[] {
    return this.punchLog;
  }

  get users(): readonly ZkUser[] {
    return this.userTable;
  }

  userById(userId: string): ZkUser | undefined {
    return this.userTable.find((u) => u.userId === userId);
  }

  /**
   * Records a punch. When the log is full a device either stops recording ("stop") or overwrites the oldest
   * record ("rollover"); returns false when the punch was not kept.
   */
  appendPunch(p: ScenarioPunch, full: "stop" | "rollover" | null): boolean {
    if (full === "stop") return false;
    if (full === "rollover" && this.punchLog.length > 0) this.punchLog.shift();
    this.punchLog.push(p);
    this.attendanceCache = null;
    return true;
  }

  clearPunches(): void {
    this.punchLog = [];
    this.attendanceCache = null;
  }

  /**
   * CMD_USER_WRQ as firmware does it: a known uid is replaced, a new one appended. Refused (false) when the id
   * belongs to another uid (ids are unique on a device), the uid is 0, or the user memory is full.
   */
  writeUser(user: ZkUser): boolean {
    if (user.uid === 0 || user.userId === "") return false;
    if (this.userTable.some((u) => u.userId === user.userId && u.uid !== user.uid)) return false;
    const index = this.userTable.findIndex((u) => u.uid === user.uid);
    if (index === -1 && this.userTable.length >= this.capacities.users) return false;
    const frozen = Object.freeze({ ...user });
    if (index === -1) this.userTable = [...this.userTable, frozen];
    else this.userTable = this.userTable.map((u, i) => (i === index ? frozen : u));
    this.userCache = null;
    return true;
  }

  /** CMD_DELETE_USER: false when no user has that uid. The log keeps the user's punches, as on a device. */
  deleteUser(uid: number): boolean {
    const next = this.userTable.filter((u) => u.uid !== uid);
    if (next.length === this.userTable.length) return false;
    this.userTable = next;
    this.templateTable = this.templateTable.filter((t) => t.uid !== uid);
    this.userCache = null;
    return true;
  }

  get templates(): readonly ZkTemplate[] {
    return this.templateTable;
  }

  /** CMD_TMP_WRITE: replaces the user's template for that finger; false when no user has the uid. */
  writeTemplate(template: ZkTemplate): boolean {
    if (!this.userTable.some((u) => u.uid === template.uid) || template.fid > 9) return false;
    const copy = Object.freeze({ ...template, template: Buffer.from(template.template) });
    this.templateTable = [
      ...this.templateTable.filter((t) => !(t.uid === template.uid && t.fid === template.fid)),
      copy,
    ];
    return true;
  }

  templateDataset(): Buffer {
    return encodeTemplates(this.templateTable);
  }

  clearUsers(): void {
    this.templateTable = [];
    this.userTable = [];
    this.userCache = null;
  }

  /** CMD_GET_FREE_SIZES content. A full log reports capacity == records and nothing available. */
  freeSizes(memoryFull: boolean): FreeSizes {
    const records = this.punchLog.length;
    const recordCapacity = memoryFull ? records : Math.max(this.capacities.records, records);
    return {
      users: this.userTable.length,
      fingers: this.templateTable.length,
      records,
      userCapacity: this.capacities.users,
      recordCapacity,
      recordsAvailable: recordCapacity - records,
      fingerCapacity: this.capacities.fingers,
    };
  }

  /** Encoded once per format and log state: a 100,000-record log is re-read cheaply. */
  attendanceDataset(format: AttendanceFormat): Buffer {
    if (this.attendanceCache?.format !== format) {
      this.attendanceCache = { format, dataset: encodeAttendanceDataset(this.punchLog, format) };
    }
    return this.attendanceCache.dataset;
  }

  userDataset(format: UserFormat): Buffer {
    if (this.userCache?.format !== format)
      this.userCache = { format, dataset: encodeUserDataset(this.userTable, format) };
    return this.userCache.dataset;
  }

  now(): DateTimeParts {
    return this.clock.now();
  }
}
