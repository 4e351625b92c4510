import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import type { BiometricTemplate, SetTemplateResult } from "../../domain/biometricTemplate.js";
import { DeviceError, SidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import {
  type DecodedUsers,
  encodeUserRecord,
  patchUserRecord,
  type UserRecordSize,
  type ZkUser,
} from "./protocol/userRecords.js";
import { MAX_TEMPLATE_BYTES } from "./protocol/templates.js";
import type { ZkClient } from "./zkClient.js";
import {
  checkZkName,
  checkZkUserId,
  DEFAULT_PIN_WIDTH,
  freeUid,
  isPrivileged,
  zkCardNumber,
  zkUserToRecord,
} from "./zkUserRules.js";

interface UserTable extends DecodedUsers {
  readonly pinWidth: number;
  /** Users the device can hold (0: it does not say). */
  readonly capacity: number;
}

/**
 * Device users on a ZK terminal over the binary protocol: the user table (CMD_USERTEMP_RRQ), one record written
 * with CMD_USER_WRQ in the device's own format (28 or 72 bytes) and CMD_DELETE_USER by internal uid, each
 * followed by CMD_REFRESHDATA and checked by reading the table again (firmware that acknowledges and ignores
 * is caught). The caller holds the connection (ZkDriver connects first).
 */
export class ZkUsers {
  constructor(
    private readonly client: ZkClient,
    private readonly log: Logger,
  ) {}

  async read(signal?: AbortSignal): Promise<UserRecord[]> {
    return (await this.table(signal)).users.map(zkUserToRecord);
  }

  async set(input: UserInput, signal?: AbortSignal, options: SetUserOptions = {}): Promise<SetUserResult> {
    const table = await this.table(signal);
    const size = table.recordSize;
    checkZkUserId(input.user_id, size, table.pinWidth);
    checkZkName(input.name, size, input.user_id);
    const index = table.users.findIndex((u) => u.userId === input.user_id);
    const existing = index === -1 ? undefined : table.users[index]!;
    const card = input.card === undefined ? (existing?.card ?? 0) : zkCardNumber(input.card, input.user_id);
    if (existing) {
      refuseAdmin(existing);
      if (existing.name === input.name && existing.card === card)
        return { user_id: input.user_id, action: "unchanged", record: zkUserToRecord(existing) };
    }
    if (options.dryRun) {
      const uid = existing?.uid ?? freeUid(table.users);
      const record = zkUserToRecord({ uid, userId: input.user_id, name: input.name, privilege: 0, card });
      return { user_id: input.user_id, action: existing ? "updated" : "created", record };
    }
    if (existing) {
      await this.client.writeUser(patchUserRecord(table.records[index]!, size, input.name, card), signal);
    } else {
      if (table.capacity > 0 && table.users.length >= table.capacity)
        throw new DeviceError(
          "DEVICE_COMMAND_FAILED",
          `the device's user memory is full (${table.users.length} of ${table.capacity}); user ${input.user_id} was not added`,
          { details: { users: table.users.length, capacity: table.capacity } },
        );
      const uid = freeUid(table.users);
      // New users get normal privilege (0), never more.
      const user: ZkUser = { uid, userId: input.user_id, name: input.name, privilege: 0, card };
      await this.client.writeUser(encodeUserRecord(user, size), signal);
    }
    const written = (await this.table(signal)).users.find((u) => u.userId === input.user_id);
    if (!written || written.name !== input.name || written.card !== card) {
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `the device acknowledged user ${input.user_id} but does not hold it as written`,
        { details: { userId: input.user_id } },
      );
    }
    const action = existing ? "updated" : "created";
    this.log.info({ userId: input.user_id, uid: written.uid, action }, "device user written");
    return { user_id: input.user_id, action, record: zkUserToRecord(written) };
  }

  async delete(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult> {
    if (mode !== "delete") {
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `a ZK terminal cannot disable user ${userId} over its protocol; only delete it (mode "delete")`,
      );
    }
    const table = await this.table(signal);
    checkZkUserId(userId, table.recordSize, Math.max(table.pinWidth, userId.length));
    const existing = table.users.find((u) => u.userId === userId);
    if (!existing) return { user_id: userId, action: "absent" };
    refuseAdmin(existing);
    await this.client.deleteUser(existing.uid, signal);
    if ((await this.table(signal)).users.some((u) => u.userId === userId)) {
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `the device acknowledged deleting user ${userId} but still holds it`,
        { details: { userId } },
      );
    }
    this.log.info({ userId, uid: existing.uid }, "device user deleted");
    return { user_id: userId, action: "deleted" };
  }

  /**
   * Fingerprint templates (issue 13, opt-in), each named by the user id it belongs to; templates of a uid the
   * user table does not hold are left out. Format: "zkfp" + the device's ~ZKFPVersion (10 when it does not say).
   */
  async readTemplates(signal?: AbortSignal): Promise<BiometricTemplate[]> {
    const table = await this.table(signal);
    const ids = new Map(table.users.map((u) => [u.uid, u.userId]));
    const format = await this.templateFormat(signal);
    const templates = await this.client.readTemplates(signal);
    const out: BiometricTemplate[] = [];
    for (const t of templates) {
      const userId = ids.get(t.uid);
      if (userId === undefined || t.valid === 0 || t.template.length === 0) continue;
      out.push({
        user_id: userId,
        kind: "fingerprint",
        index: t.fid,
        format,
        data_b64: t.template.toString("base64"),
      });
    }
    this.log.info({ templates: out.length }, "fingerprint templates read");
    return out;
  }

  /** One fingerprint template onto an existing, non-privileged user; read back and compared byte for byte. */
  async setTemplate(input: BiometricTemplate, signal?: AbortSignal): Promise<SetTemplateResult> {
    const where = { user_id: input.user_id, kind: input.kind, index: input.index };
    if (input.kind !== "fingerprint")
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `this ZK driver copies fingerprint templates only; face template ${input.index} of user ${input.user_id} was not written`,
      );
    if (input.index > 9)
      throw new SidecarError(
        "TEMPLATE_INVALID",
        `finger number ${input.index} is not 0-9 (user ${input.user_id})`,
      );
    const format = await this.templateFormat(signal);
    if (input.format !== format)
      throw new SidecarError(
        "TEMPLATE_REFUSED",
        `the template is ${input.format}; this terminal uses ${format} (user ${input.user_id}, finger ${input.index})`,
      );
    const bytes = Buffer.from(input.data_b64, "base64");
    if (bytes.length === 0 || bytes.length > MAX_TEMPLATE_BYTES)
      throw new SidecarError(
        "TEMPLATE_INVALID",
        `template of user ${input.user_id} has ${bytes.length} bytes`,
      );
    const table = await this.table(signal);
    const user = table.users.find((u) => u.userId === input.user_id);
    if (!user)
      throw new SidecarError(
        "TEMPLATE_REFUSED",
        `the terminal does not hold user ${input.user_id}; put the user on it first (user_set)`,
      );
    refuseAdmin(user);
    const held = (await this.client.readTemplates(signal)).find(
      (t) => t.uid === user.uid && t.fid === input.index,
    );
    if (held && held.template.equals(bytes)) return { ...where, action: "unchanged" };
    await this.client.writeTemplate({ uid: user.uid, fid: input.index, valid: 1, template: bytes }, signal);
    const written = (await this.client.readTemplates(signal)).find(
      (t) => t.uid === user.uid && t.fid === input.index,
    );
    if (!written || !written.template.equals(bytes))
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `the device acknowledged the template of user ${input.user_id}, finger ${input.index}, but does not hold it as written`,
        { details: { userId: input.user_id, finger: input.index } },
      );
    this.log.info(
      { userId: input.user_id, finger: input.index, bytes: bytes.length },
      "fingerprint template written",
    );
    return { ...where, action: "written" };
  }

  private async templateFormat(signal?: AbortSignal): Promise<string> {
    const version = (await this.client.readOption("~ZKFPVersion", signal))?.trim();
    return `zkfp${version && /^\d+$/.test(version) ? version : "10"}`;
  }

  private async table(signal?: AbortSignal): Promise<UserTable> {
    const sizes = await this.client.readFreeSizes(signal);
    const decoded = await this.client.readUserTable(sizes.users, signal);
    const recordSize = sizes.users === 0 ? await this.emptyTableFormat(signal) : decoded.recordSize;
    const width = Number(await this.client.readOption("~PIN2Width", signal));
    const pinWidth = Number.isInteger(width) && width >= 1 && width <= 24 ? width : DEFAULT_PIN_WIDTH;
    return { ...decoded, recordSize, pinWidth, capacity: sizes.userCapacity };
  }

  /** An empty table shows no record size; the device's ~UserExtFmt says which one it writes. */
  private async emptyTableFormat(signal?: AbortSignal): Promise<UserRecordSize> {
    const extended = await this.client.readOption("~UserExtFmt", signal);
    if (extended === "1") return 72;
    if (extended === "0") return 28;
    throw new DeviceError(
      "DEVICE_UNSUPPORTED",
      "the device holds no users and does not say its user record format (~UserExtFmt); add one user on the device first",
    );
  }
}

function refuseAdmin(user: ZkUser): void {
  if (isPrivileged(user.privilege)) {
    throw new SidecarError(
      "USER_IS_ADMIN",
      `device user ${user.userId} is privileged (privilege ${user.privilege}); it is never changed or deleted from here`,
      { details: { userId: user.userId, privilege: user.privilege } },
    );
  }
}
