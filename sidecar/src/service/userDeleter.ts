import type { DeleteMode, DeleteUserResult } from "../domain/deviceUser.js";
import type { NaiveDateTime } from "../domain/naiveTime.js";
import type { Punch, PunchesRead } from "../domain/punch.js";
import type { PunchSink } from "../devices/devicePoller.js";
import type { DeviceDriver } from "../drivers/driver.js";
import { SidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import { requireUsers } from "./userSupport.js";

const APPEND_BATCH = 1000;

export interface UserDeleterOptions {
  /** Exclusive use of a device (the poller and commands share it). */
  readonly withDevice: <T>(device: string, work: () => Promise<T>) => Promise<T>;
  /** Where the user's punches go before anything is deleted (the spool): resolves once they are on disk. */
  readonly sink: PunchSink;
  /**
   * Resolves once the site has these punches, or throws USER_PUNCHES_UNCONFIRMED: the service waits for
   * confirm_punches (service/confirmWait.ts); the CLI, which has no site, decides by its own rule.
   */
  readonly confirm: (device: string, punches: PunchesRead, signal?: AbortSignal) => Promise<void>;
  readonly onSpooled?: () => void;
  readonly logger?: Logger;
}

export interface DeleteRequest {
  readonly device: string;
  readonly driver: DeviceDriver;
  readonly userId: string;
  readonly mode: DeleteMode;
  readonly signal?: AbortSignal;
}

/**
 * Deletes (or disables) a device user without ever losing a punch (design.md "Device users"):
 *
 * 1. the user must exist (else "absent", nothing read) and not be privileged (USER_IS_ADMIN);
 * 2. the device's punches of that user are read (ZK: a full read filtered by user id; Hikvision filters on the
 *    device) and put in the spool, as a pull does;
 * 3. the site must confirm every one of them (else USER_PUNCHES_UNCONFIRMED, nothing deleted);
 * 4. then the driver deletes, re-checking the privilege under the same device lock.
 *
 * A punch the user makes between 2 and 4 stays in the device's log (deleting a user does not clear the log on
 * ZK, ADMS or Hikvision terminals), so the next pull still brings it.
 */
export class UserDeleter {
  private readonly log: Logger;

  constructor(private readonly options: UserDeleterOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "user-delete" });
  }

  async delete(request: DeleteRequest): Promise<DeleteUserResult & { punches: number }> {
    const { device, driver, userId, mode, signal } = request;
    const { deleteUser } = requireUsers(driver, device);
    if (mode === "disable" && !driver.capabilities.disableUser) {
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `${device}: a ${driver.kind} device cannot disable a user, only delete it (mode "delete")`,
      );
    }
    const read = await this.options.withDevice(device, async () => {
      try {
        const users = await requireUsers(driver, device).readUsers(signal);
        const user = users.find((u) => u.user_id === userId);
        if (!user) return null;
        if (user.privilege === "admin") {
          throw new SidecarError(
            "USER_IS_ADMIN",
            `${device}: user ${userId} is privileged on the device; it is never deleted from here`,
            { details: { userId } },
          );
        }
        return await this.spoolUserPunches(driver, userId, signal);
      } finally {
        await driver.disconnect();
      }
    });
    if (read === null) return { user_id: userId, action: "absent", punches: 0 };
    if (read.size) this.options.onSpooled?.();
    this.log.info({ device, userId, punches: read.size }, "user's punches read before deleting");
    await this.options.confirm(device, read, signal);
    const result = await this.options.withDevice(device, async () => {
      try {
        return await deleteUser(userId, mode, signal);
      } finally {
        await driver.disconnect();
      }
    });
    this.log.info({ device, userId, action: result.action }, "device user removed");
    return { ...result, punches: read.size };
  }

  private async spoolUserPunches(
    driver: DeviceDriver,
    userId: string,
    signal?: AbortSignal,
  ): Promise<PunchesRead> {
    // A window (even an open one) makes cursor-keeping drivers read everything instead of what is new.
    const result = await driver.readPunches({ window: {}, userId, ...(signal && { signal }) });
    const punchesRead = new Map<string, NaiveDateTime>();
    let batch: Punch[] = [];
    for (const punch of result.punches()) {
      if (punch.user_id !== userId) continue;
      punchesRead.set(punch.uid, punch.time);
      batch.push(punch);
      if (batch.length === APPEND_BATCH) {
        await this.options.sink.append(batch);
        batch = [];
      }
    }
    if (batch.length) await this.options.sink.append(batch);
    return punchesRead;
  }
}
