import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../domain/deviceUser.js";
import type { DeviceDriver } from "../drivers/driver.js";
import { SidecarError } from "../errors.js";

/** The driver's user methods, bound to it (safe to pass around). */
export interface UserMethods {
  readonly readUsers: (signal?: AbortSignal) => Promise<UserRecord[]>;
  readonly setUser: (
    user: UserInput,
    signal?: AbortSignal,
    options?: SetUserOptions,
  ) => Promise<SetUserResult>;
  readonly deleteUser: (userId: string, mode: DeleteMode, signal?: AbortSignal) => Promise<DeleteUserResult>;
}

/** Why a family cannot manage users, in words a person acts on. */
function whyNot(driver: DeviceDriver): string {
  if (driver.kind === "essl")
    return "eSSL eTimeTrackLite / eBioServer web services only hand out attendance logs; they do not manage device users (enrol and edit users in eTimeTrackLite itself, or point the terminal at the sidecar as an ADMS server)";
  return `this ${driver.kind} driver does not manage device users`;
}

/** The driver's user methods, bound, or DEVICE_UNSUPPORTED saying why the family cannot. */
export function requireUsers(driver: DeviceDriver, device: string): UserMethods {
  if (!driver.capabilities.users || !driver.readUsers || !driver.setUser || !driver.deleteUser)
    throw new SidecarError("DEVICE_UNSUPPORTED", `${device}: ${whyNot(driver)}`);
  return {
    readUsers: (signal) => driver.readUsers!(signal),
    setUser: (user, signal, options) => driver.setUser!(user, signal, options),
    deleteUser: (userId, mode, signal) => driver.deleteUser!(userId, mode, signal),
  };
}
