import type { UserRecord } from "../../domain/deviceUser.js";
import { SidecarError } from "../../errors.js";
import { nameFieldBytes, type UserRecordSize, type ZkUser } from "./protocol/userRecords.js";

/**
 * What a ZK terminal can hold, by user record format (device-protocols.md §1.9): 28-byte records carry the user
 * id as a uint32 (digits only, no leading zeros: "0111" would come back as "111") and an 8-byte name; 72-byte
 * records a 24-byte id and name, of which firmware uses up to its PIN width (`~PIN2Width`, 9 when the device
 * does not say). Anything else is refused with a code; nothing is ever cut to fit.
 */
export const DEFAULT_PIN_WIDTH = 9;
const UINT32_MAX = 0xffffffff;

export function checkZkUserId(userId: string, size: UserRecordSize, pinWidth: number): void {
  if (size === 28) {
    if (!/^[1-9]\d*$/.test(userId) || userId.length > 10 || Number(userId) > UINT32_MAX) {
      throw new SidecarError(
        "USER_ID_INVALID",
        `user id "${userId}" cannot be stored on this device: its 28-byte user records hold the id as a number (1 to ${UINT32_MAX}, no leading zeros)`,
        { details: { userId, recordSize: size } },
      );
    }
  } else if (!/^[A-Za-z0-9]+$/.test(userId)) {
    throw new SidecarError(
      "USER_ID_INVALID",
      `user id "${userId}" cannot be stored on this device: ZK user ids are letters and digits only`,
      { details: { userId, recordSize: size } },
    );
  }
  if (userId.length > pinWidth) {
    throw new SidecarError(
      "USER_ID_INVALID",
      `user id "${userId}" has ${userId.length} characters; this device takes at most ${pinWidth} (its PIN width)`,
      { details: { userId, recordSize: size, pinWidth } },
    );
  }
}

/** Printable ASCII only: ZK firmware does not say its text encoding, and a wrong guess shows garbage on screen. */
export function checkZkName(name: string, size: UserRecordSize, userId: string): void {
  if (!/^[\x20-\x7e]+$/.test(name)) {
    throw new SidecarError(
      "USER_NAME_INVALID",
      `name "${name}" of user ${userId} has characters a ZK terminal cannot be trusted to store (printable ASCII only)`,
      { details: { userId } },
    );
  }
  const field = nameFieldBytes(size);
  if (name.length > field) {
    throw new SidecarError(
      "USER_NAME_INVALID",
      `name "${name}" of user ${userId} has ${name.length} characters; this device's ${size}-byte user records hold ${field}`,
      { details: { userId, length: name.length, max: field } },
    );
  }
}

/** A card number as the record holds it (uint32; 0 = no card). */
export function zkCardNumber(card: string | null, userId: string): number {
  if (card === null) return 0;
  if (!/^\d{1,10}$/.test(card) || Number(card) > UINT32_MAX) {
    throw new SidecarError(
      "USER_CARD_INVALID",
      `card "${card}" of user ${userId} is not a number a ZK terminal can store (0 to ${UINT32_MAX})`,
      { details: { userId } },
    );
  }
  return Number(card);
}

/** Privilege bits 1–3 are the level (2 enroller, 6 manager, 14 super admin); bit 0 marks a disabled user. */
export function isPrivileged(privilege: number): boolean {
  return (privilege & 0b1110) !== 0;
}

export function zkUserToRecord(user: ZkUser): UserRecord {
  return {
    user_id: user.userId,
    name: user.name.trim() || null,
    card: user.card === 0 ? null : String(user.card),
    privilege: isPrivileged(user.privilege) ? "admin" : "user",
    // Templates are a separate table on ZK; the user record does not say.
    fingerprint: null,
    face: null,
  };
}

/** The internal uid for a new user: after the highest in use (as pyzk does), else the lowest free one. */
export function freeUid(users: readonly ZkUser[]): number {
  const used = new Set(users.map((u) => u.uid));
  const highest = users.reduce((max, u) => Math.max(max, u.uid), 0);
  if (highest < 0xffff) return highest + 1;
  for (let uid = 1; uid < 0xffff; uid++) if (!used.has(uid)) return uid;
  throw new SidecarError("DEVICE_COMMAND_FAILED", "the device has no free internal user number");
}
