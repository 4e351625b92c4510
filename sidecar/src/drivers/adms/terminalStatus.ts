import type { DeviceInfo } from "../driver.js";

/** What the push server knows about one terminal from its requests. */
export interface TerminalStatus {
  readonly serialNumber: string;
  /** Host clock (epoch ms) of its last request, of any kind. */
  lastSeenMs: number;
  remoteAddress: string | null;
  /** `pushver` from its handshake. */
  pushVersion: string | null;
  lastHandshakeMs: number | null;
  /** The `INFO=` parameter of getrequest, split (firmware, users, fingerprints, attendance logs, ip, …). */
  infoParam: InfoParam | null;
  /** Key=Value lines of its last reply to an INFO command. */
  infoReply: Readonly<Record<string, string>> | null;
  /** The last ATTLOG stamp it sent (stored durably as well). */
  lastStamp: string | null;
  attlogUploads: number;
  punchesStored: number;
  rejects: number;
}

export interface InfoParam {
  readonly firmware: string | null;
  readonly users: number | null;
  readonly fingerprints: number | null;
  readonly attendanceLogs: number | null;
  readonly ip: string | null;
}

function count(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : null;
}

function text(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, 200) : null;
}

/** `INFO=Ver 2.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111` (V5.8 §7). */
export function parseInfoParam(value: string): InfoParam {
  const parts = value.split(",");
  return {
    firmware: text(parts[0]),
    users: count(parts[1]),
    fingerprints: count(parts[2]),
    attendanceLogs: count(parts[3]),
    ip: text(parts[4]),
  };
}

/** First present key of an INFO reply (key spellings vary between firmware lines). */
function pick(info: Readonly<Record<string, string>> | null, ...keys: string[]): string | undefined {
  if (!info) return undefined;
  for (const key of keys) {
    const value = info[key] ?? info[`~${key}`];
    if (value !== undefined) return value;
  }
  return undefined;
}

export function statusToDeviceInfo(status: TerminalStatus): DeviceInfo {
  const reply = status.infoReply;
  return {
    serialNumber: status.serialNumber,
    firmware:
      text(pick(reply, "FirmVer", "FWVersion", "FirmwareVersion")) ?? status.infoParam?.firmware ?? null,
    platform: text(pick(reply, "Platform")),
    deviceName: text(pick(reply, "DeviceName", "ProductName")),
    userCount: count(pick(reply, "UserCount")) ?? status.infoParam?.users ?? null,
    punchCount:
      count(pick(reply, "TransactionCount", "AttLogCount")) ?? status.infoParam?.attendanceLogs ?? null,
    userCapacity: count(pick(reply, "MaxUserCount")),
    punchCapacity: count(pick(reply, "MaxAttLogCount")),
    // The terminal's clock is not reported by INFO on every firmware; it is set from our HTTP Date header.
    clock: null,
  };
}
