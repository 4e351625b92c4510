import { SidecarError } from "../errors.js";

/**
 * A user as a terminal holds it, in the shape the site's report_device_users takes (snake_case on purpose: it
 * travels as is). `user_id` is a string end to end ("0111" is not "111"); null means the family does not say.
 */
export interface UserRecord {
  readonly user_id: string;
  readonly name: string | null;
  readonly card: string | null;
  readonly privilege: "user" | "admin";
  readonly fingerprint: boolean | null;
  readonly face: boolean | null;
}

/** What the site (or the CLI) asks a device to hold. `card` undefined: keep the device's; null or "": no card. */
export interface UserInput {
  readonly user_id: string;
  readonly name: string;
  readonly card?: string | null;
}

export type DeleteMode = "delete" | "disable";

export interface SetUserOptions {
  /** Check and decide (created / updated / unchanged, or a coded refusal) without writing anything. */
  readonly dryRun?: boolean;
}

export interface SetUserResult {
  readonly user_id: string;
  readonly action: "created" | "updated" | "unchanged";
  /** The user as the device holds it afterwards (read back where the family allows). */
  readonly record: UserRecord;
}

export interface DeleteUserResult {
  readonly user_id: string;
  readonly action: "deleted" | "disabled" | "absent";
}

/** Anything outside printable ASCII, plus the separators the push protocols use (tab, newline). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks the family-independent parts of a user input: an id and a name present, no control characters (they
 * break ADMS lines and device screens). Family limits (length, digits only) are the driver's.
 */
export function checkUserInput(input: { user_id?: unknown; name?: unknown; card?: unknown }): UserInput {
  const { user_id: userId, name, card } = input;
  if (typeof userId !== "string" || userId.length === 0 || userId.trim() !== userId || CONTROL.test(userId))
    throw new SidecarError(
      "USER_ID_INVALID",
      `user_id ${JSON.stringify(userId ?? null)} must be a non-empty string without spaces at either end or control characters`,
    );
  if (typeof name !== "string" || name.trim() === "" || CONTROL.test(name))
    throw new SidecarError(
      "USER_NAME_INVALID",
      `name ${JSON.stringify(name ?? null)} for user ${userId} must be a non-empty string without control characters`,
    );
  if (card !== undefined && card !== null && typeof card !== "string")
    throw new SidecarError("USER_CARD_INVALID", `card for user ${userId} must be a string or null`);
  return {
    user_id: userId,
    name: name.trim(),
    ...(card !== undefined && { card: card === null || card.trim() === "" ? null : card.trim() }),
  };
}

/** The user id of a delete, checked the same way. */
export function checkUserId(userId: unknown): string {
  return checkUserInput({ user_id: userId, name: "x" }).user_id;
}
