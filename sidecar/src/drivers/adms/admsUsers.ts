import type {
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import type { BiometricTemplate, SetTemplateResult } from "../../domain/biometricTemplate.js";
import { DeviceError, SidecarError, toSidecarError } from "../../errors.js";
import { sleep } from "../../util/abort.js";
import { checkZkName, checkZkUserId, DEFAULT_PIN_WIDTH, zkCardNumber } from "../zk/zkUserRules.js";
import type { AdmsServer } from "./admsServer.js";
import type { TerminalUser } from "./operlogUsers.js";
import { templateCommand } from "./templateCommands.js";

export interface AdmsUsersOptions {
  readonly server: AdmsServer;
  readonly serialNumber: string;
  /** How long a command may wait for the terminal to poll and answer. */
  readonly commandTimeoutMs: () => number;
  /** After the terminal answered DATA QUERY USERINFO, its upload counts as finished once quiet this long. */
  readonly settleMs: () => number;
}

/** V5.8 appendix: Return=-10 "no such user". */
const NO_SUCH_USER = -10;

/**
 * Device users on an ADMS terminal, through the getrequest command queue (device-protocols.md §3.6): `DATA QUERY
 * USERINFO` (the terminal uploads USER lines as an OPERLOG and answers), `DATA UPDATE USERINFO` with every field
 * it had (only the name and card changed; new users Pri=0), `DATA DELETE USERINFO`. ADMS terminals run ZK
 * firmware, so the ZK limits apply (letters and digits up to a 9-character PIN, a 24-character ASCII name).
 * Each call waits for the terminal's next poll.
 */
export class AdmsUsers {
  constructor(private readonly options: AdmsUsersOptions) {}

  async read(signal?: AbortSignal): Promise<UserRecord[]> {
    return [...(await this.query(null, signal)).values()].map((u) => u.record);
  }

  async set(input: UserInput, signal?: AbortSignal, options: SetUserOptions = {}): Promise<SetUserResult> {
    checkZkUserId(input.user_id, 72, DEFAULT_PIN_WIDTH);
    checkZkName(input.name, 72, input.user_id);
    const newCard =
      input.card === undefined
        ? undefined
        : input.card === null
          ? null
          : String(zkCardNumber(input.card, input.user_id));
    const existing = (await this.query(input.user_id, signal)).get(input.user_id);
    if (existing?.record.privilege === "admin") refuseAdmin(input.user_id);
    const card = newCard === undefined ? (existing?.record.card ?? null) : newCard;
    if (existing && existing.record.name === input.name && existing.record.card === card)
      return { user_id: input.user_id, action: "unchanged", record: existing.record };
    const record: UserRecord = {
      user_id: input.user_id,
      name: input.name,
      card,
      privilege: "user",
      // A new user has no templates yet; an existing one keeps what the terminal said.
      fingerprint: existing ? existing.record.fingerprint : false,
      face: existing ? existing.record.face : false,
    };
    const action = existing ? "updated" : "created";
    if (options.dryRun) return { user_id: input.user_id, action, record };
    const fields: Record<string, string> = existing
      ? { ...existing.fields, Name: input.name }
      : {
          PIN: input.user_id,
          Name: input.name,
          Pri: "0",
          Passwd: "",
          Grp: "1",
          TZ: "0000000000000000",
          Verify: "0",
        };
    // Card as the terminal wrote it, unless the input names one.
    if (newCard !== undefined || !existing) fields.Card = card ?? "";
    const line = Object.entries({ PIN: input.user_id, ...fields })
      .map(([k, v]) => `${k}=${v}`)
      .join("\t");
    await this.options.server.sendCommand(this.options.serialNumber, `DATA UPDATE USERINFO ${line}`, {
      timeoutMs: this.options.commandTimeoutMs(),
      ...(signal && { signal }),
    });
    return { user_id: input.user_id, action, record };
  }

  /**
   * Templates (issue 13, opt-in): the terminal is asked for its users (DATA QUERY USERINFO, whose upload carries
   * FP / FACE lines), and what it uploaded is returned: the users' templates as the server last saw them.
   */
  async readTemplates(signal?: AbortSignal): Promise<BiometricTemplate[]> {
    await this.query(null, signal);
    return this.options.server.templatesOf(this.options.serialNumber);
  }

  /**
   * One template, written with the command for its format (templateCommand.ts: FINGERTMP, FACE or BIODATA) for a
   * user the terminal holds. The terminal's answer is the check (a refusal is TEMPLATE_REFUSED with its Return
   * code); the next users_read brings the template back with the user's lines.
   */
  async setTemplate(input: BiometricTemplate, signal?: AbortSignal): Promise<SetTemplateResult> {
    const where = { user_id: input.user_id, kind: input.kind, index: input.index };
    const command = templateCommand(input);
    const existing = (await this.query(input.user_id, signal)).get(input.user_id);
    if (!existing)
      throw new SidecarError(
        "TEMPLATE_REFUSED",
        `the terminal does not hold user ${input.user_id}; put the user on it first (user_set)`,
      );
    if (existing.record.privilege === "admin") refuseAdmin(input.user_id);
    const held = this.options.server
      .templatesOf(this.options.serialNumber)
      .find((t) => t.user_id === input.user_id && t.kind === input.kind && t.index === input.index);
    if (held?.data_b64 === input.data_b64 && held.format === input.format)
      return { ...where, action: "unchanged" };
    try {
      await this.options.server.sendCommand(this.options.serialNumber, command, {
        timeoutMs: this.options.commandTimeoutMs(),
        ...(signal && { signal }),
      });
    } catch (error) {
      const coded = toSidecarError(error);
      if (coded.code !== "ADMS_COMMAND_REJECTED") throw error;
      throw new SidecarError(
        "TEMPLATE_REFUSED",
        `the terminal refused ${input.kind} template ${input.index} of user ${input.user_id} (Return=${String(coded.details.returnCode)})`,
        { details: { returnCode: coded.details.returnCode } },
      );
    }
    return { ...where, action: "written" };
  }

  async delete(userId: string, signal?: AbortSignal): Promise<DeleteUserResult> {
    checkZkUserId(userId, 72, Math.max(DEFAULT_PIN_WIDTH, userId.length));
    const existing = (await this.query(userId, signal)).get(userId);
    if (!existing) return { user_id: userId, action: "absent" };
    if (existing.record.privilege === "admin") refuseAdmin(userId);
    try {
      await this.options.server.sendCommand(this.options.serialNumber, `DATA DELETE USERINFO PIN=${userId}`, {
        timeoutMs: this.options.commandTimeoutMs(),
        ...(signal && { signal }),
      });
    } catch (error) {
      if (!isNoSuchUser(error)) throw error;
      return { user_id: userId, action: "absent" };
    }
    this.options.server.forgetUser(this.options.serialNumber, userId);
    return { user_id: userId, action: "deleted" };
  }

  /**
   * DATA QUERY USERINFO (all users, or one PIN) and the USER lines the terminal uploads for it, before or after
   * it answers: done when the PIN asked for arrived, or when uploads were quiet for settleMs after the answer.
   */
  private async query(pin: string | null, signal?: AbortSignal): Promise<Map<string, TerminalUser>> {
    const { server, serialNumber } = this.options;
    const collected = new Map<string, TerminalUser>();
    let lastUploadMs = 0;
    const unsubscribe = server.observeUsers(serialNumber, (users) => {
      lastUploadMs = Date.now();
      for (const user of users)
        if (pin === null || user.record.user_id === pin) collected.set(user.record.user_id, user);
    });
    const started = Date.now();
    const timeoutMs = this.options.commandTimeoutMs();
    try {
      try {
        await server.sendCommand(
          serialNumber,
          pin === null ? "DATA QUERY USERINFO" : `DATA QUERY USERINFO PIN=${pin}`,
          {
            timeoutMs,
            ...(signal && { signal }),
          },
        );
      } catch (error) {
        if (pin !== null && isNoSuchUser(error)) return collected;
        throw error;
      }
      const repliedAt = Date.now();
      const settleMs = this.options.settleMs();
      while (
        !(pin !== null && collected.has(pin)) &&
        Date.now() - Math.max(repliedAt, lastUploadMs) < settleMs
      ) {
        if (Date.now() - started > timeoutMs)
          throw new DeviceError(
            "ADMS_COMMAND_TIMEOUT",
            `terminal ${serialNumber} was still uploading users after ${timeoutMs} ms`,
            { details: { received: collected.size } },
          );
        await sleep(Math.min(50, settleMs), signal);
      }
      return collected;
    } finally {
      unsubscribe();
    }
  }
}

function isNoSuchUser(error: unknown): boolean {
  const coded = toSidecarError(error);
  return coded.code === "ADMS_COMMAND_REJECTED" && coded.details.returnCode === NO_SUCH_USER;
}

function refuseAdmin(userId: string): never {
  throw new SidecarError(
    "USER_IS_ADMIN",
    `user ${userId} is privileged on the terminal (Pri not 0); it is never changed or deleted from here`,
    { details: { userId } },
  );
}
