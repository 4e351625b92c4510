import { randomUUID } from "node:crypto";
import type {
  DeleteMode,
  DeleteUserResult,
  SetUserOptions,
  SetUserResult,
  UserInput,
  UserRecord,
} from "../../domain/deviceUser.js";
import { DeviceError, ProtocolError, SidecarError } from "../../errors.js";
import { isapiHttpError } from "./acsEvent.js";

/** One ISAPI request and its answer, retried by the driver as its other requests are. */
export type IsapiCall = (req: {
  method: "POST" | "PUT";
  path: string;
  body: string;
  signal?: AbortSignal;
}) => Promise<{ status: number; body: string }>;

/** A person as `UserInfo/Search` lists it (the fields we use). */
interface HikPerson {
  readonly employeeNo: string;
  readonly name: string | null;
  readonly admin: boolean;
  readonly enabled: boolean;
  readonly fingerprint: boolean | null;
  readonly face: boolean | null;
  readonly raw: Record<string, unknown>;
}

/** ISAPI limits: employeeNo is a string of at most 32 characters, the name at most 32 characters. */
const MAX_EMPLOYEE_NO = 32;
const MAX_NAME = 32;
const MAX_PAGES = 10_000;

/**
 * Device users on a Hikvision terminal over ISAPI (AccessControl/UserInfo): Search paged on what each page
 * held with one searchID, SetUp (create or modify), Delete by employee number; a user is disabled by turning
 * its Valid.enable off. Fingerprint and face presence come from numOfFP / numOfFace. Cards are separate
 * records on these terminals (CardInfo) and are not managed here: a card in the input is refused, and the
 * listed card is null (not read).
 */
export class HikUsers {
  constructor(
    private readonly call: IsapiCall,
    private readonly pageSize: number,
  ) {}

  async read(signal?: AbortSignal): Promise<UserRecord[]> {
    return (await this.search(null, signal)).map(toRecord);
  }

  async set(input: UserInput, signal?: AbortSignal, options: SetUserOptions = {}): Promise<SetUserResult> {
    checkEmployeeNo(input.user_id);
    if ([...input.name].length > MAX_NAME)
      throw new SidecarError(
        "USER_NAME_INVALID",
        `name "${input.name}" of user ${input.user_id} has ${[...input.name].length} characters; a Hikvision terminal holds ${MAX_NAME}`,
        { details: { userId: input.user_id } },
      );
    if (input.card !== undefined && input.card !== null)
      throw new SidecarError(
        "DEVICE_UNSUPPORTED",
        `cards are separate records on a Hikvision terminal (CardInfo) and are not set from here; send user ${input.user_id} without a card`,
      );
    const [existing] = await this.search(input.user_id, signal);
    if (existing?.admin) refuseAdmin(input.user_id);
    if (existing && existing.name === input.name && existing.enabled)
      return { user_id: input.user_id, action: "unchanged", record: toRecord(existing) };
    const action = existing ? "updated" : "created";
    if (options.dryRun) {
      const record: UserRecord = existing
        ? { ...toRecord(existing), name: input.name }
        : {
            user_id: input.user_id,
            name: input.name,
            card: null,
            privilege: "user",
            fingerprint: false,
            face: false,
          };
      return { user_id: input.user_id, action, record };
    }
    await this.setUp(
      existing
        ? { employeeNo: input.user_id, name: input.name, Valid: { ...validOf(existing), enable: true } }
        : {
            employeeNo: input.user_id,
            name: input.name,
            userType: "normal",
            // Valid and door rights as the terminal's own web page makes a new person.
            Valid: {
              enable: true,
              beginTime: "2020-01-01T00:00:00",
              endTime: "2037-12-31T23:59:59",
              timeType: "local",
            },
            doorRight: "1",
            RightPlan: [{ doorNo: 1, planTemplateNo: "1" }],
            localUIRight: false,
          },
      signal,
    );
    const [written] = await this.search(input.user_id, signal);
    if (written?.name !== input.name)
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `the terminal accepted user ${input.user_id} but does not hold it as written`,
      );
    return { user_id: input.user_id, action, record: toRecord(written) };
  }

  async delete(userId: string, mode: DeleteMode, signal?: AbortSignal): Promise<DeleteUserResult> {
    checkEmployeeNo(userId);
    const [existing] = await this.search(userId, signal);
    if (!existing) return { user_id: userId, action: "absent" };
    if (existing.admin) refuseAdmin(userId);
    if (mode === "disable") {
      await this.setUp({ employeeNo: userId, Valid: { ...validOf(existing), enable: false } }, signal);
      return { user_id: userId, action: "disabled" };
    }
    const response = await this.call({
      method: "PUT",
      path: "/ISAPI/AccessControl/UserInfo/Delete?format=json",
      body: JSON.stringify({ UserInfoDelCond: { EmployeeNoList: [{ employeeNo: userId }] } }),
      ...(signal && { signal }),
    });
    if (response.status < 200 || response.status >= 300)
      throw isapiHttpError(`deleting user ${userId}`, response.status, response.body);
    if ((await this.search(userId, signal)).length)
      throw new DeviceError(
        "DEVICE_COMMAND_FAILED",
        `the terminal accepted deleting user ${userId} but still holds it`,
      );
    return { user_id: userId, action: "deleted" };
  }

  private async setUp(userInfo: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    const response = await this.call({
      method: "PUT",
      path: "/ISAPI/AccessControl/UserInfo/SetUp?format=json",
      body: JSON.stringify({ UserInfo: userInfo }),
      ...(signal && { signal }),
    });
    if (response.status < 200 || response.status >= 300)
      throw isapiHttpError(`setting user ${String(userInfo.employeeNo)}`, response.status, response.body);
  }

  /** Every person (or the one with this employee number), all pages, one searchID. */
  private async search(employeeNo: string | null, signal?: AbortSignal): Promise<HikPerson[]> {
    const searchID = randomUUID();
    const people: HikPerson[] = [];
    for (let position = 0, pages = 0; pages < MAX_PAGES; pages++) {
      const response = await this.call({
        method: "POST",
        path: "/ISAPI/AccessControl/UserInfo/Search?format=json",
        body: JSON.stringify({
          UserInfoSearchCond: {
            searchID,
            searchResultPosition: position,
            maxResults: this.pageSize,
            ...(employeeNo !== null && { EmployeeNoList: [{ employeeNo }] }),
          },
        }),
        ...(signal && { signal }),
      });
      if (response.status < 200 || response.status >= 300)
        throw isapiHttpError("the user search", response.status, response.body);
      const page = parsePage(response.body);
      people.push(...page.people);
      // Advance by what the page held (the device caps the page size); MORE with nothing in it ends the search.
      if (page.status !== "MORE" || page.people.length === 0)
        return employeeNo === null ? people : people.filter((p) => p.employeeNo === employeeNo);
      position += page.people.length;
    }
    throw new DeviceError("HIK_PAGING_STUCK", `the user search did not end after ${MAX_PAGES} pages`);
  }
}

function parsePage(text: string): { status: string; people: HikPerson[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProtocolError("HIK_BAD_RESPONSE", "the user search answer is not JSON");
  }
  const search = (json as { UserInfoSearch?: Record<string, unknown> } | null)?.UserInfoSearch;
  if (typeof search !== "object" || search === null)
    throw new ProtocolError("HIK_BAD_RESPONSE", "the user search answer has no UserInfoSearch");
  const list = Array.isArray(search.UserInfo) ? (search.UserInfo as unknown[]) : [];
  const people: HikPerson[] = [];
  for (const entry of list) {
    if (typeof entry !== "object" || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const employeeNo =
      typeof e.employeeNo === "string" || typeof e.employeeNo === "number" ? String(e.employeeNo) : "";
    if (!employeeNo) continue;
    const valid = e.Valid as { enable?: unknown } | undefined;
    people.push({
      employeeNo,
      name: typeof e.name === "string" && e.name.trim() ? e.name : null,
      // localUIRight: may open the terminal's own menu; userLevel on some firmware.
      admin: e.localUIRight === true || (typeof e.userLevel === "string" && /admin/i.test(e.userLevel)),
      enabled: valid?.enable !== false,
      fingerprint: typeof e.numOfFP === "number" ? e.numOfFP > 0 : null,
      face: typeof e.numOfFace === "number" ? e.numOfFace > 0 : null,
      raw: e,
    });
  }
  return { status: typeof search.responseStatusStrg === "string" ? search.responseStatusStrg : "OK", people };
}

function toRecord(p: HikPerson): UserRecord {
  return {
    user_id: p.employeeNo,
    name: p.name,
    card: null,
    privilege: p.admin ? "admin" : "user",
    fingerprint: p.fingerprint,
    face: p.face,
  };
}

function validOf(p: HikPerson): Record<string, unknown> {
  const valid = p.raw.Valid;
  return typeof valid === "object" && valid !== null ? (valid as Record<string, unknown>) : {};
}

function checkEmployeeNo(userId: string): void {
  if (userId.length > MAX_EMPLOYEE_NO || !/^[\x21-\x7e]+$/.test(userId))
    throw new SidecarError(
      "USER_ID_INVALID",
      `user id "${userId}" cannot be a Hikvision employee number (1 to ${MAX_EMPLOYEE_NO} printable ASCII characters)`,
      { details: { userId } },
    );
}

function refuseAdmin(userId: string): never {
  throw new SidecarError(
    "USER_IS_ADMIN",
    `user ${userId} may administer the terminal (localUIRight); it is never changed or deleted from here`,
    { details: { userId } },
  );
}
