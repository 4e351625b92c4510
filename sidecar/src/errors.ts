/**
 * Every failure the sidecar reports carries a stable `code` (callers branch on it, never on message text)
 * and `retryable` (true when trying the same thing again later can succeed without a human).
 */
export const ERROR_CODES = {
  CONFIG_INVALID: false,
  DEVICE_URL_INVALID: false,
  DEVICE_UNREACHABLE: true,
  DEVICE_REFUSED: true,
  DEVICE_TIMEOUT: true,
  DEVICE_BUSY: true,
  DEVICE_CLOSED: true,
  DEVICE_AUTH_FAILED: false,
  DEVICE_COMMAND_FAILED: true,
  PROTOCOL_BAD_FRAME: true,
  PROTOCOL_BAD_CHECKSUM: true,
  PROTOCOL_UNEXPECTED_REPLY: true,
  ZK_UNKNOWN_RECORD_SIZE: false,
  ZK_COUNT_MISMATCH: true,
  ZK_DATASET_TRUNCATED: true,
  RECORD_TRUNCATED: false,
  RECORD_NO_USER_ID: false,
  RECORD_INVALID_TIME: false,
  RECORD_IMPLAUSIBLE_TIME: false,
  SITE_AUTH_FAILED: false,
  SITE_FORBIDDEN: false,
  SITE_REJECTED: false,
  SITE_UNAVAILABLE: true,
  SITE_TIMEOUT: true,
  SITE_BAD_RESPONSE: true,
  SPOOL_IO: true,
  SPOOL_CLOSED: false,
  SPOOL_LOCKED: false,
  SPOOL_FORMAT: false,
  ABORTED: false,
  // Issue 5: ADMS push, Hikvision ISAPI and eSSL SOAP drivers.
  /** The device family cannot do this at all (e.g. read an ADMS terminal's clock). */
  DEVICE_UNSUPPORTED: false,
  /** A record whose shape is wrong (missing fields, bad numbers); kept raw, never dropped. */
  RECORD_MALFORMED: false,
  ADMS_UNKNOWN_DEVICE: false,
  /** Wrong shared secret, or an address outside the allow-list. */
  ADMS_FORBIDDEN: false,
  ADMS_BODY_TOO_LARGE: false,
  ADMS_BAD_REQUEST: false,
  /** The spool did not take an upload; the terminal was answered non-OK and resends. */
  ADMS_SINK_FAILED: true,
  /** The terminal has not polled the server recently, so a command cannot reach it. */
  ADMS_DEVICE_OFFLINE: true,
  ADMS_COMMAND_TIMEOUT: true,
  /** The terminal answered a command with a non-zero Return code. */
  ADMS_COMMAND_REJECTED: false,
  ADMS_SERVER_STOPPED: true,
  /** The push server could not listen on its address and port (in use, or not this host's address). */
  ADMS_LISTEN_FAILED: true,
  HIK_BAD_RESPONSE: true,
  /** The device refused the request itself (HTTP 400/403/404 with a ResponseStatus). */
  HIK_REQUEST_REJECTED: false,
  /** The device said MORE but returned no records. */
  HIK_PAGING_STUCK: true,
  /** serialNo jumped or went backwards: events were lost on the device (log wrapped or cleared). */
  HIK_SERIAL_GAP: false,
  ESSL_BAD_RESPONSE: true,
  ESSL_SOAP_FAULT: true,
  /** eTimeTrackLite/eBioServer answered with an error text (unknown serial number, bad parameters). */
  ESSL_REJECTED: false,
  /** No parameter-name/date-format combination was accepted by the server. */
  ESSL_DIALECT_UNKNOWN: false,
  // Issue 15: clearing a device's log only when every punch on it is confirmed by the site.
  /** Clearing is not allowed for this device (its Allow Clear Log setting is off). */
  CLEAR_NOT_ALLOWED: false,
  /** Not every punch read from the device is staged on the site yet (site down, rejected, slow); not cleared. */
  CLEAR_NOT_CONFIRMED: true,
  /** The log changed after it was read (a punch arrived, the count moved); not cleared. */
  CLEAR_LOG_CHANGED: true,
  // Issue 13: device users managed from the site (users_read, user_set, user_delete) and the CLI.
  /** A user id the device family cannot hold as given (non-numeric on 28-byte ZK records, too long); never truncated. */
  USER_ID_INVALID: false,
  /** A name too long for the family's field, or with characters it cannot store; never truncated. */
  USER_NAME_INVALID: false,
  /** A card number the family cannot store (ZK: a whole number up to 4294967295). */
  USER_CARD_INVALID: false,
  /** The device user is privileged (admin, manager, enroller): never changed or deleted from here. */
  USER_IS_ADMIN: false,
  /** Punches read from the device for this user are not all staged on the site yet; the user was not deleted. */
  USER_PUNCHES_UNCONFIRMED: true,
  // Issue 13, opt-in: fingerprint / face templates copied between terminals of a family (template_set).
  /** A template_set payload that is not a template (the message never quotes template data). */
  TEMPLATE_INVALID: false,
  /** The device does not hold the user the template is for (its user_set comes first), or cannot take this template (format, kind). */
  TEMPLATE_REFUSED: false,
} as const satisfies Record<string, boolean>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  readonly [key: string]: string | number | boolean | null | undefined | readonly string[];
}

export class SidecarError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = ERROR_CODES[code];
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      retryable: this.retryable,
      message: this.message,
      ...this.details,
    };
  }
}

/** Bad configuration: every problem found is listed in `problems`, so a user fixes them all in one go. */
export class ConfigError extends SidecarError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], code: "CONFIG_INVALID" | "DEVICE_URL_INVALID" = "CONFIG_INVALID") {
    super(code, `invalid configuration:\n  - ${problems.join("\n  - ")}`, { details: { problems } });
    this.problems = problems;
  }
}

/** The device could not be reached, refused us, timed out, or answered something we cannot use. */
export class DeviceError extends SidecarError {}

/** The bytes on the wire do not follow the protocol. */
export class ProtocolError extends SidecarError {}

/** One record from a device that cannot become a punch; it is kept (raw) and reported, never dropped. */
export class RecordError extends SidecarError {}

export class SpoolError extends SidecarError {}

/** The site answered with an error, or could not be reached. */
export class SiteError extends SidecarError {}

export class AbortedError extends SidecarError {
  constructor(message = "operation aborted") {
    super("ABORTED", message);
  }
}

export function isSidecarError(value: unknown): value is SidecarError {
  return value instanceof SidecarError;
}

/** Wraps anything thrown into a SidecarError without losing the original as `cause`. */
export function toSidecarError(value: unknown, fallback: ErrorCode = "DEVICE_COMMAND_FAILED"): SidecarError {
  if (value instanceof SidecarError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new SidecarError(fallback, message, { cause: value });
}
