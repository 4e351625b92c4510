import { zoneOffsetMs } from "../../domain/timeZone.js";

/** Server-side settings sent to every terminal in the handshake (device-protocols.md §3.3). */
export interface HandshakeSettings {
  /** Seconds between getrequest polls (2–60). */
  readonly delaySeconds: number;
  /** Seconds the terminal waits after a failed request (30–300 on real firmware). */
  readonly errorDelaySeconds: number;
  /** Push each punch as it happens. */
  readonly realtime: boolean;
  /** Minutes between checks for new data when realtime is off (0 = off). */
  readonly transIntervalMinutes: number;
  readonly serverVersion: string;
}

export const DEFAULT_HANDSHAKE: HandshakeSettings = {
  delaySeconds: 10,
  errorDelaySeconds: 30,
  realtime: true,
  transIntervalMinutes: 1,
  serverVersion: "2.4.1",
};

export interface TableStamps {
  readonly ATTLOG: string | null;
  readonly OPERLOG: string | null;
}

/**
 * `TimeZone=` as firmware reads it: whole hours ("8", "-5"), or minutes for half and quarter hours
 * ("330" = UTC+5:30). A wrong value moves the device clock, and with it every later punch.
 */
export function admsTimeZoneValue(offsetMinutes: number): string {
  return offsetMinutes % 60 === 0 ? String(offsetMinutes / 60) : String(offsetMinutes);
}

/** The zone's offset from UTC now, in minutes (DST-aware: re-sent on every handshake). */
export function zoneOffsetMinutes(timeZone: string, nowMs: number): number {
  return Math.round(zoneOffsetMs(timeZone, nowMs) / 60_000);
}

/**
 * The body answering `GET /iclock/cdata?SN=…&options=all`. The terminal resumes uploads after the stamps
 * (None = upload everything again); OPERLOG defaults to 9999 so a new terminal does not flood us with old
 * user and fingerprint records we do not use. Only attendance and operation logs are asked for.
 */
export function handshakeReply(
  serialNumber: string,
  stamps: TableStamps,
  timeZoneOffsetMinutes: number,
  settings: HandshakeSettings,
): string {
  return [
    `GET OPTION FROM: ${serialNumber}`,
    `ATTLOGStamp=${stamps.ATTLOG ?? "None"}`,
    `OPERLOGStamp=${stamps.OPERLOG ?? "9999"}`,
    "ATTPHOTOStamp=None",
    `ErrorDelay=${settings.errorDelaySeconds}`,
    `Delay=${settings.delaySeconds}`,
    "TransTimes=00:00;14:05",
    `TransInterval=${settings.transIntervalMinutes}`,
    "TransFlag=TransData AttLog\tOpLog",
    `TimeZone=${admsTimeZoneValue(timeZoneOffsetMinutes)}`,
    `Realtime=${settings.realtime ? 1 : 0}`,
    "Encrypt=None",
    `ServerVer=${settings.serverVersion}`,
    `PushProtVer=${settings.serverVersion}`,
    "",
  ].join("\n");
}
