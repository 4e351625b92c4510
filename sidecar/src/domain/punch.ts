import { createHash } from "node:crypto";
import { type Direction, type DirectionRules, directionFor } from "./direction.js";
import type { NaiveDateTime } from "./naiveTime.js";

/**
 * One attendance punch, as the sidecar hands it to the site (design.md "Contracts → Punch").
 * `user_id` is the device's string exactly ("0111" ≠ "111"); `time` is the device's wall clock.
 */
export interface Punch {
  readonly uid: string;
  readonly device: string;
  readonly user_id: string;
  readonly time: NaiveDateTime;
  readonly direction: Direction | null;
  readonly state: number | null;
  readonly verify: number | null;
  readonly raw: string;
}

/** What the site finds a staged punch by: its uid and its device-local time (the two make its name there). */
export interface PunchKey {
  readonly uid: string;
  readonly time: NaiveDateTime;
}

/** Punches read from a device, uid → time: what a clear or a user delete waits for the site to confirm. */
export type PunchesRead = ReadonlyMap<string, NaiveDateTime>;

/**
 * The idempotency key: the same punch read twice (pull and push, or after a restart) gets the same uid,
 * so the site's unique index turns a re-read into a "duplicate" answer instead of a second checkin.
 * The Python side computes the same value (biometric_sync/ingest/uid.py); test/fixtures/punch-uids.json
 * pins both.
 */
export function punchUid(device: string, userId: string, time: NaiveDateTime): string {
  return createHash("sha256").update(`${device}|${userId}|${time}`, "utf8").digest("hex");
}

export interface PunchFields {
  device: string;
  userId: string;
  time: NaiveDateTime;
  state: number | null;
  verify: number | null;
  raw: string;
}

export function makePunch(fields: PunchFields, rules?: DirectionRules): Punch {
  return {
    uid: punchUid(fields.device, fields.userId, fields.time),
    device: fields.device,
    user_id: fields.userId,
    time: fields.time,
    direction: directionFor(fields.state, rules),
    state: fields.state,
    verify: fields.verify,
    raw: fields.raw,
  };
}
