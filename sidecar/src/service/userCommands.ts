import { checkTemplate } from "../domain/biometricTemplate.js";
import { checkUserId, checkUserInput } from "../domain/deviceUser.js";
import type { PunchSink } from "../devices/devicePoller.js";
import { SidecarError, toSidecarError } from "../errors.js";
import { silentLogger, type Logger } from "../logging/logger.js";
import type { CommandResult, SiteApi, SiteCommand } from "../site/siteApi.js";
import { waitUntilConfirmed } from "./confirmWait.js";
import type { DeviceRuntime } from "./deviceSupervisor.js";
import { UserDeleter } from "./userDeleter.js";
import { requireUsers } from "./userSupport.js";

export interface UserCommandsOptions {
  readonly api: Pick<SiteApi, "reportDeviceUsers" | "unconfirmedPunches"> &
    Partial<Pick<SiteApi, "reportTemplates">>;
  readonly withDevice: <T>(device: string, work: () => Promise<T>) => Promise<T>;
  readonly sink: PunchSink;
  readonly onSpooled?: () => void;
  /** user_delete: how long to wait for the site to confirm the user's punches before refusing. */
  readonly confirmTimeoutMs?: number;
  readonly confirmEveryMs?: number;
  readonly logger?: Logger;
}

/**
 * The site's device-user commands (issue 13): users_read reports the whole list, user_set and user_delete change
 * one user and report just that user. The site's Device User rows are written only from these reports.
 */
export class UserCommands {
  private readonly log: Logger;
  private readonly deleter: UserDeleter;

  constructor(private readonly options: UserCommandsOptions) {
    this.log = (options.logger ?? silentLogger).child({ module: "users" });
    this.deleter = new UserDeleter({
      withDevice: options.withDevice,
      sink: options.sink,
      ...(options.onSpooled && { onSpooled: options.onSpooled }),
      ...(options.logger && { logger: options.logger }),
      confirm: (device, uids, signal) =>
        waitUntilConfirmed(device, uids, {
          unconfirmed: (d, u, s) => options.api.unconfirmedPunches(d, u, s),
          timeoutMs: options.confirmTimeoutMs ?? 120_000,
          everyMs: options.confirmEveryMs ?? 2_000,
          code: "USER_PUNCHES_UNCONFIRMED",
          consequence: "the user was not deleted",
          ...(signal && { signal }),
          onWaiting: () => options.onSpooled?.(),
        }),
    });
  }

  async run(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    switch (command.command_type) {
      case "users_read":
        return this.read(command, runtime);
      case "template_set":
        return this.setTemplate(command, runtime);
      case "user_set":
        return this.set(command, runtime);
      case "user_delete":
        return this.delete(command, runtime);
      default:
        throw new SidecarError("DEVICE_COMMAND_FAILED", `"${command.command_type}" is not a user command`);
    }
  }

  /**
   * users_read; with payload `{templates: true}` (the site's "Copy fingerprint and face templates" is on) the
   * terminal's templates too, where the family can (else `templates: "unsupported"` in the result).
   */
  private async read(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const device = runtime.config.name;
    const { readUsers } = requireUsers(runtime.driver, device);
    const driver = runtime.driver;
    const wantTemplates = (payloadOf(command) as { templates?: unknown }).templates === true;
    const canTemplates = Boolean(driver.capabilities.templates) && typeof driver.readTemplates === "function";
    const { users, templates } = await this.options.withDevice(device, async () => {
      try {
        const users = await readUsers();
        const templates = wantTemplates && canTemplates ? await driver.readTemplates!() : null;
        return { users, templates };
      } finally {
        await runtime.driver.disconnect();
      }
    });
    // The whole point of users_read: a report that fails fails the command.
    await this.options.api.reportDeviceUsers(device, users, true);
    if (!wantTemplates) return { users: users.length };
    if (templates === null || !this.options.api.reportTemplates)
      return { users: users.length, templates: "unsupported" };
    const stored = await this.options.api.reportTemplates(device, templates);
    return {
      users: users.length,
      templates: templates.length,
      ...(stored.skipped && { templates_skipped: stored.skipped }),
    };
  }

  /** template_set: one template onto the terminal. The result names the template, never its data. */
  private async setTemplate(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const device = runtime.config.name;
    const template = checkTemplate(command.payload);
    const driver = runtime.driver;
    if (!driver.capabilities.templates || !driver.setTemplate)
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `${device}: this ${driver.kind} driver does not copy fingerprint or face templates`,
      );
    const result = await this.options.withDevice(device, async () => {
      try {
        return await driver.setTemplate!(template);
      } finally {
        await runtime.driver.disconnect();
      }
    });
    return { user_id: result.user_id, kind: result.kind, index: result.index, action: result.action };
  }

  private async set(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const device = runtime.config.name;
    const input = checkUserInput(payloadOf(command));
    const { setUser } = requireUsers(runtime.driver, device);
    const result = await this.options.withDevice(device, async () => {
      try {
        return await setUser(input);
      } finally {
        await runtime.driver.disconnect();
      }
    });
    const reported = await this.report(device, [result.record], []);
    return { user_id: result.user_id, action: result.action, ...reported };
  }

  private async delete(command: SiteCommand, runtime: DeviceRuntime): Promise<CommandResult> {
    const device = runtime.config.name;
    const payload = payloadOf(command);
    const userId = checkUserId(payload.user_id);
    const mode = payload.mode ?? "delete";
    if (mode !== "delete" && mode !== "disable")
      throw new SidecarError("DEVICE_COMMAND_FAILED", `user_delete mode must be "delete" or "disable"`);
    const result = await this.deleter.delete({
      device,
      driver: runtime.driver,
      userId,
      mode,
    });
    const reported =
      result.action === "disabled"
        ? await this.report(device, await this.readOne(runtime, userId), [])
        : await this.report(device, [], [userId]);
    return { user_id: userId, action: result.action, punches: result.punches, ...reported };
  }

  private async readOne(runtime: DeviceRuntime, userId: string) {
    const { readUsers } = requireUsers(runtime.driver, runtime.config.name);
    const users = await this.options.withDevice(runtime.config.name, async () => {
      try {
        return await readUsers();
      } finally {
        await runtime.driver.disconnect();
      }
    });
    return users.filter((u) => u.user_id === userId);
  }

  /**
   * The device changed already: a report that fails does not turn the command into a failure (the site would
   * retry a change that is done); the result says so and the next users_read puts the site right.
   */
  private async report(
    device: string,
    users: Parameters<SiteApi["reportDeviceUsers"]>[1],
    removed: readonly string[],
  ): Promise<CommandResult> {
    try {
      await this.options.api.reportDeviceUsers(device, users, false, removed.length ? removed : undefined);
      return {};
    } catch (error) {
      const coded = toSidecarError(error, "SITE_UNAVAILABLE");
      this.log.warn({ device, code: coded.code, err: coded.message }, "could not report the device user");
      return { report_error: `${coded.code}: ${coded.message}` };
    }
  }
}

function payloadOf(command: SiteCommand): {
  user_id?: unknown;
  name?: unknown;
  card?: unknown;
  mode?: unknown;
} {
  const payload = command.payload;
  return typeof payload === "object" && payload !== null ? payload : {};
}
