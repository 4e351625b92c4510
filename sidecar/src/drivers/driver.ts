import type { BiometricTemplate, SetTemplateResult } from "../domain/biometricTemplate.js";
import type { ErrorCode } from "../errors.js";
import type { NaiveDateTime } from "../domain/naiveTime.js";
import type { Punch } from "../domain/punch.js";
import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../domain/deviceUser.js";

/** The device families the sidecar speaks to. */
export type DriverKind = "zk" | "adms" | "hikvision" | "essl";

export interface DriverCapabilities {
  /** The sidecar can read the device's log on demand. */
  readonly pull: boolean;
  /** Punches arrive as they happen (ZK EF_ATTLOG, ADMS push). */
  readonly live: boolean;
  readonly getTime: boolean;
  readonly setTime: boolean;
  /** The log can be cleared; only ever done on explicit request. */
  readonly clearLog: boolean;
  /** The device filters by date itself; otherwise every read is a full read filtered afterwards. */
  readonly filtersByDate: boolean;
  /** Device users can be read, set and deleted (readUsers, setUser, deleteUser). Absent: false. */
  readonly users?: boolean;
  /** deleteUser can disable a user instead of deleting it. Absent: false. */
  readonly disableUser?: boolean;
  /** Fingerprint / face templates can be read and written (readTemplates, setTemplate; issue 13). Absent: false. */
  readonly templates?: boolean;
}

export interface DeviceInfo {
  readonly serialNumber: string | null;
  readonly firmware: string | null;
  readonly platform: string | null;
  readonly deviceName: string | null;
  readonly userCount: number | null;
  readonly punchCount: number | null;
  readonly userCapacity: number | null;
  readonly punchCapacity: number | null;
  /** The device's own clock when the info was read (wall clock, no zone). */
  readonly clock: NaiveDateTime | null;
}

/** Inclusive bounds on the device's wall-clock time; absent bounds are open. */
export interface TimeWindow {
  readonly since?: NaiveDateTime;
  readonly until?: NaiveDateTime;
}

/** A record that could not become a punch. It is reported with its raw bytes, never silently dropped. */
export interface RecordReject {
  readonly code: ErrorCode;
  readonly message: string;
  /** Hex of the record as it came off the wire. */
  readonly raw: string;
  readonly userId: string | null;
  readonly time: string | null;
}

/**
 * The outcome of one full read. Punches are decoded lazily from the device's dataset, so a 100,000-record log
 * is never held as 100,000 objects: callers stream them (to the spool, in batches) or collect what they need.
 */
export interface ReadResult {
  /** How many records the device holds in total (all windows); the read decoded exactly this many. */
  readonly deviceRecordCount: number;
  /** How many records its log can hold, where the family reports it (ZK): log memory use on every read. */
  readonly deviceRecordCapacity?: number;
  /** Valid punches in the window. */
  readonly punchCount: number;
  /** The device's clock when it was read: every punch up to this wall-clock time is in this read. */
  readonly deviceClock: NaiveDateTime | null;
  readonly rejects: RecordReject[];
  /** Every punch in the window, in device order; can be iterated more than once. */
  punches(): Iterable<Punch>;
  /**
   * True when the driver read only what is new since its own durable cursor (Hikvision serialNo, eSSL windows):
   * the caller must then not apply a positional cursor, and calls `commit` once the punches are durable.
   */
  readonly incremental?: boolean;
  /** Moves the driver's own cursor past this read; call only after every punch is durable. */
  commit?(): Promise<void>;
}

export interface ReadProgress {
  readonly bytesRead: number;
  readonly bytesTotal: number;
}

export interface ReadOptions {
  readonly window?: TimeWindow;
  /**
   * Only this user's punches are needed (before deleting the user): a device that can filter by user does so
   * (Hikvision employeeNoString); others read everything. Callers still filter by user id.
   */
  readonly userId?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReadProgress) => void;
}

export interface LiveOptions {
  /** Called once the device accepted the subscription (the channel is up). */
  readonly onReady?: () => void;
  /** How often a quiet channel is checked (ZK: GET_TIME). */
  readonly keepAliveMs?: number;
}

export interface ClearLogOptions {
  /** Sees the log as it is just before the clear (device disabled); throws to refuse the clear. */
  readonly verify: (onDevice: ReadResult) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

export interface ClearLogResult {
  /** Records the device held, and cleared. */
  readonly cleared: number;
  /** Records the device reports after the clear (0 unless one was made in between, and then it stays). */
  readonly remaining: number;
}

/**
 * One interface for every device family. Constructors do no I/O; `connect` does. A driver instance holds at
 * most one connection to its device, and callers serialise use of it (see devices/deviceLock.ts).
 */
export interface DeviceDriver {
  readonly kind: DriverKind;
  readonly capabilities: DriverCapabilities;
  connect(signal?: AbortSignal): Promise<DeviceInfo>;
  /** Connects if needed and reads identity, counts and clock: what "Test Connection" shows. */
  test(signal?: AbortSignal): Promise<DeviceInfo>;
  readPunches(options?: ReadOptions): Promise<ReadResult>;
  getTime(signal?: AbortSignal): Promise<NaiveDateTime>;
  setTime(time: NaiveDateTime, signal?: AbortSignal): Promise<void>;
  /**
   * Clears the device's log, only if `verify` accepts what it holds at that moment: the log is read again with
   * the device disabled, `verify` throws to refuse, the count is checked once more, then the log is cleared and
   * the device enabled. Only ever run by the safe-clear procedure (service/logClearer.ts).
   */
  clearLog?(options: ClearLogOptions): Promise<ClearLogResult>;
  /**
   * Streams punches as they happen until `signal` aborts (then resolves). Each is acknowledged to the device after
   * `onPunch` resolves. Rejects with a coded error when the channel drops; `onReady` runs once it is established.
   */
  live?(onPunch: (punch: Punch) => Promise<void>, signal: AbortSignal, options?: LiveOptions): Promise<void>;
  /** Every user on the device (capabilities.users). */
  readUsers?(signal?: AbortSignal): Promise<UserRecord[]>;
  /**
   * Creates or updates one user; never a privileged one (USER_IS_ADMIN), new users get normal privilege. An id
   * or name the family cannot hold is refused (USER_ID_INVALID / USER_NAME_INVALID), never truncated.
   * With `dryRun` it only decides what it would do.
   */
  setUser?(user: UserInput, signal?: AbortSignal, options?: SetUserOptions): Promise<SetUserResult>;
  /**
   * Deletes (or disables, where capabilities.disableUser) one user; never a privileged one. Only the procedure
   * that first makes sure the site confirmed the user's punches calls it (service/userDeleter.ts).
   */
  deleteUser?(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult>;
  /** Every template the device holds, by user id (capabilities.templates). Biometric data: never logged. */
  readTemplates?(signal?: AbortSignal): Promise<BiometricTemplate[]>;
  /** Writes one template for a user the device holds; read back where the family allows. */
  setTemplate?(template: BiometricTemplate, signal?: AbortSignal): Promise<SetTemplateResult>;
  disconnect(): Promise<void>;
}
