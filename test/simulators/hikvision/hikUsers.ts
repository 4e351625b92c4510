/**
 * The person table of a simulated Hikvision terminal (ISAPI AccessControl/UserInfo): paged Search with a
 * searchID and an optional EmployeeNoList, SetUp (create or modify), Delete by EmployeeNoList. Limits as
 * firmware sets them: employeeNo 1–32 characters, name at most 32 characters.
 */
export interface HikUser {
  readonly employeeNo: string;
  readonly name: string;
  readonly userType?: "normal" | "visitor" | "blackList";
  /** May log in to the terminal's own menu: an administrator. */
  readonly localUIRight?: boolean;
  readonly enabled?: boolean;
  readonly numOfFP?: number;
  readonly numOfFace?: number;
  readonly numOfCard?: number;
}

export interface HikAnswer {
  readonly status: number;
  readonly body: unknown;
}

const OK: HikAnswer = { status: 200, body: { statusCode: 1, statusString: "OK", subStatusCode: "ok" } };
const bad = (subStatusCode: string, errorMsg?: string): HikAnswer => ({
  status: 400,
  body: { statusCode: 6, statusString: "Invalid Content", subStatusCode, ...(errorMsg && { errorMsg }) },
});

export class HikUserTable {
  private users: HikUser[];
  readonly searches: Record<string, unknown>[] = [];

  constructor(
    users: readonly HikUser[],
    private readonly maxResultsCap: number,
  ) {
    this.users = users.map((u) => ({ ...u }));
  }

  get all(): readonly HikUser[] {
    return this.users;
  }

  search(body: string): HikAnswer {
    const cond = parse(body, "UserInfoSearchCond");
    if (!cond) return bad("badJsonContent");
    this.searches.push(cond);
    const position = Number(cond.searchResultPosition);
    const maxResults = Number(cond.maxResults);
    if (typeof cond.searchID !== "string" || !Number.isInteger(position) || !Number.isInteger(maxResults))
      return bad("badParameters");
    const wanted = Array.isArray(cond.EmployeeNoList)
      ? new Set((cond.EmployeeNoList as { employeeNo?: unknown }[]).map((e) => String(e.employeeNo)))
      : null;
    const matches = this.users.filter((u) => !wanted || wanted.has(u.employeeNo));
    const page = matches.slice(position, position + Math.min(maxResults, this.maxResultsCap));
    const status =
      matches.length === 0 ? "NO MATCH" : position + page.length < matches.length ? "MORE" : "OK";
    return {
      status: 200,
      body: {
        UserInfoSearch: {
          searchID: cond.searchID,
          responseStatusStrg: status,
          numOfMatches: page.length,
          totalMatches: matches.length,
          ...(page.length ? { UserInfo: page.map(render) } : {}),
        },
      },
    };
  }

  setUp(body: string): HikAnswer {
    const info = parse(body, "UserInfo");
    if (!info) return bad("badJsonContent");
    const employeeNo = info.employeeNo;
    if (typeof employeeNo !== "string" || employeeNo.length === 0 || employeeNo.length > 32)
      return bad("badParameters", "employeeNo");
    const existing = this.users.find((u) => u.employeeNo === employeeNo);
    const name = typeof info.name === "string" ? info.name : existing?.name;
    if (name === undefined || [...name].length > 32) return bad("badParameters", "name");
    const valid = info.Valid as { enable?: unknown } | undefined;
    if (!existing && (info.userType === undefined || valid === undefined))
      return bad("badParameters", "Valid");
    const next: HikUser = {
      ...existing,
      employeeNo,
      name,
      userType: (info.userType as HikUser["userType"]) ?? existing?.userType ?? "normal",
      enabled: typeof valid?.enable === "boolean" ? valid.enable : (existing?.enabled ?? true),
      ...(typeof info.localUIRight === "boolean" && { localUIRight: info.localUIRight }),
    };
    this.users = existing ? this.users.map((u) => (u === existing ? next : u)) : [...this.users, next];
    return OK;
  }

  delete(body: string): HikAnswer {
    const cond = parse(body, "UserInfoDelCond");
    if (!cond || !Array.isArray(cond.EmployeeNoList)) return bad("badJsonContent");
    const gone = new Set(
      (cond.EmployeeNoList as { employeeNo?: unknown }[]).map((e) => String(e.employeeNo)),
    );
    this.users = this.users.filter((u) => !gone.has(u.employeeNo));
    return OK;
  }
}

function parse(body: string, root: string): Record<string, unknown> | null {
  try {
    const value = (JSON.parse(body) as Record<string, unknown>)[root];
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function render(u: HikUser): Record<string, unknown> {
  return {
    employeeNo: u.employeeNo,
    name: u.name,
    userType: u.userType ?? "normal",
    closeDelayEnabled: false,
    Valid: {
      enable: u.enabled ?? true,
      beginTime: "2020-01-01T00:00:00",
      endTime: "2037-12-31T23:59:59",
      timeType: "local",
    },
    doorRight: "1",
    RightPlan: [{ doorNo: 1, planTemplateNo: "1" }],
    localUIRight: u.localUIRight ?? false,
    userVerifyMode: "",
    numOfCard: u.numOfCard ?? 0,
    numOfFP: u.numOfFP ?? 0,
    numOfFace: u.numOfFace ?? 0,
  };
}
