import { describe, expect, it } from "vitest";
import { describeError, errorCode, parseErrorBody } from "../../frontend/src/utils/errors.js";
import {
  isEmptySearch,
  punchFilters,
  punchSearchArgs,
  searchFromQuery,
} from "../../frontend/src/utils/filters.js";
import {
  PROGRESS_EVENT,
  REFRESH_EVENT,
  socketUrl,
  topic,
  topicsFor,
  touches,
} from "../../frontend/src/utils/realtime.js";
import {
  confidenceLabel,
  confidentPairs,
  filterGroups,
  showUserId,
  unmappedTotals,
  withoutGroup,
  type UnmappedGroup,
} from "../../frontend/src/utils/unmapped.js";

describe("Frappe error bodies", () => {
  it("reads the app's code, the message and the exception type", () => {
    const body = JSON.stringify({
      exc_type: "ConflictError",
      exception: "biometric_sync.api.ui.ConflictError: HR-EMP-00002 already has attendance_device_id = '2'",
      _server_messages: JSON.stringify([
        JSON.stringify({
          message: "Priya Patel already has attendance_device_id = '2'",
          title: "EMPLOYEE_HAS_ID",
        }),
      ]),
      code: "EMPLOYEE_HAS_ID",
    });
    expect(parseErrorBody(409, body)).toEqual({
      status: 409,
      code: "EMPLOYEE_HAS_ID",
      exc_type: "ConflictError",
      messages: ["Priya Patel already has attendance_device_id = '2'"],
    });
  });

  it("falls back to the message title for the code, and to the exception for the message", () => {
    const titled = JSON.stringify({
      _server_messages: JSON.stringify([JSON.stringify({ message: "nope", title: "NOT_PERMITTED" })]),
    });
    expect(parseErrorBody(403, titled).code).toBe("NOT_PERMITTED");
    const plain = JSON.stringify({
      exc_type: "ValidationError",
      exception: "frappe.exceptions.ValidationError: Port!",
    });
    expect(parseErrorBody(417, plain)).toMatchObject({ code: null, messages: ["Port!"] });
    expect(parseErrorBody(502, "<html>Bad Gateway</html>")).toEqual({
      status: 502,
      code: null,
      exc_type: null,
      messages: [],
    });
    expect(parseErrorBody(500, JSON.stringify({ _server_messages: "not json" })).messages).toEqual([]);
  });

  it("tells people what kind of problem it is", () => {
    expect(describeError(new TypeError("Failed to fetch"))).toMatchObject({ kind: "offline", status: null });
    expect(describeError({ response: { status: 503 }, messages: [] })).toMatchObject({ kind: "offline" });
    expect(describeError({ status: 403, messages: ["<b>Not</b> permitted"], code: "NOT_PERMITTED" })).toEqual(
      {
        kind: "permission",
        title: "Not permitted",
        message: "Not permitted",
        status: 403,
        code: "NOT_PERMITTED",
      },
    );
    expect(describeError({ status: 400, exc_type: "CSRFTokenError", messages: [] })).toMatchObject({
      kind: "session",
    });
    expect(describeError({ status: 404, messages: ["Biometric Device X does not exist"] })).toMatchObject({
      kind: "not_found",
      message: "Biometric Device X does not exist",
    });
    expect(describeError({ status: 409, messages: [] })).toMatchObject({
      kind: "conflict",
      message: "HTTP 409",
    });
    expect(describeError(null)).toMatchObject({ kind: "server" });
    expect(errorCode({ code: "ALREADY_MAPPED" })).toBe("ALREADY_MAPPED");
    expect(errorCode(new Error("x"))).toBeNull();
  });
});

describe("punch search → list filters", () => {
  it("matches the employee by id or name, the user id exactly, and the date as a whole site day", () => {
    expect(
      punchFilters({
        employee: " priya ",
        user_id: "0111",
        device: "Main Gate",
        date: "2026-11-21",
        status: "Unmapped",
      }),
    ).toEqual({
      filters: [
        ["device_user_id", "=", "0111"],
        ["device", "=", "Main Gate"],
        ["status", "=", "Unmapped"],
        ["site_time", "between", ["2026-11-21", "2026-11-21"]],
      ],
      or_filters: [
        ["employee", "like", "%priya%"],
        ["employee_name", "like", "%priya%"],
      ],
    });
  });

  it("keeps user ids as strings (no trimming: ' 111' is not '111') and ignores empty or malformed fields", () => {
    expect(punchFilters({ user_id: " 111" }).filters).toEqual([["device_user_id", "=", " 111"]]);
    expect(punchFilters({ employee: "", date: "21/11/2026" })).toEqual({ filters: [], or_filters: [] });
  });

  it("gives the punch list the same search as the count: trimmed name, exact user id, whole-day date", () => {
    expect(
      punchSearchArgs({
        employee: " priya ",
        user_id: " 111",
        device: "Main Gate",
        date: "2026-11-21",
        status: "",
      }),
    ).toEqual({ employee: "priya", user_id: " 111", device: "Main Gate", date: "2026-11-21" });
    expect(punchSearchArgs({ employee: "", date: "21/11/2026" })).toEqual({});
  });

  it("round-trips through the router query", () => {
    expect(searchFromQuery({ user_id: "0042", status: ["Unmapped"], page: "2", device: "" })).toEqual({
      user_id: "0042",
      status: "Unmapped",
    });
    expect(isEmptySearch({ employee: "", device: "" })).toBe(true);
    expect(isEmptySearch({ date: "2026-11-21" })).toBe(false);
  });
});

describe("unmapped groups", () => {
  const groups = [
    {
      device_user_id: "0042",
      punches: 9,
      first_seen: null,
      last_seen: null,
      devices: ["Canteen", "Main Gate"],
    },
    { device_user_id: "118", punches: 4, first_seen: null, last_seen: null, devices: ["Main Gate"] },
    { device_user_id: "A-17", punches: 1, first_seen: null, last_seen: null, devices: ["Reception"] },
  ];

  it("filters by user id or device, keeping the busiest first", () => {
    expect(filterGroups(groups, "main").map((g) => g.device_user_id)).toEqual(["0042", "118"]);
    expect(filterGroups(groups, "a-1").map((g) => g.device_user_id)).toEqual(["A-17"]);
    expect(filterGroups(groups, "  ")).toHaveLength(3);
  });

  it("counts, and drops a group once its id is mapped", () => {
    expect(unmappedTotals(groups)).toEqual({ ids: 3, punches: 14 });
    expect(unmappedTotals(withoutGroup(groups, "0042"))).toEqual({ ids: 2, punches: 5 });
    expect(withoutGroup(groups, "42")).toHaveLength(3); // "42" is not "0042"
  });

  it("shows ids so that whitespace and empty ones are visible", () => {
    expect(showUserId("0042")).toBe("0042");
    expect(showUserId(" 42")).toBe('" 42"');
    expect(showUserId("42 ")).toBe('"42 "');
    expect(showUserId("")).toBe("(empty)");
  });
});

describe("realtime: id-only events become topics", () => {
  it("maps progress and refresh events to what they change", () => {
    expect(topicsFor(PROGRESS_EVENT, { command: "CMD-1", device: "Main Gate" })).toEqual([
      "command:CMD-1",
      "device:Main Gate",
      "devices",
      "overview",
      "logs",
    ]);
    expect(topicsFor(PROGRESS_EVENT, { command: "CMD-2", device: null })).toEqual([
      "command:CMD-2",
      "devices",
      "overview",
      "logs",
    ]);
    expect(topicsFor(REFRESH_EVENT, { device: "Canteen" })).toEqual([
      "device:Canteen",
      "devices",
      "overview",
      "punches",
      "unmapped",
      "logs",
    ]);
  });

  it("ignores unknown events and payloads without ids", () => {
    expect(topicsFor("list_update", { doctype: "Biometric Punch" })).toEqual([]);
    expect(topicsFor(REFRESH_EVENT, {})).toEqual([]);
    expect(topicsFor(PROGRESS_EVENT, null)).toEqual([]);
    expect(topicsFor(REFRESH_EVENT, "Main Gate")).toEqual([]);
  });

  it("reloads a view when one of its topics is hit, and every view after a reconnect", () => {
    expect(touches([topic.unmapped], topicsFor(REFRESH_EVENT, { device: "X" }))).toBe(true);
    expect(touches([topic.unmapped], topicsFor(PROGRESS_EVENT, { command: "C", device: "X" }))).toBe(false);
    expect(touches([topic.command("C")], topicsFor(PROGRESS_EVENT, { command: "C" }))).toBe(true);
    expect(touches([topic.device("Y")], [topic.all])).toBe(true);
    expect(touches([], [topic.devices])).toBe(false);
  });

  it("finds Frappe's socket.io: socketio_port in development, the page's origin behind nginx", () => {
    const dev = {
      protocol: "http:",
      hostname: "bsync.localhost",
      port: "8000",
      origin: "http://bsync.localhost:8000",
    };
    expect(socketUrl(dev, 9000, "bsync.localhost")).toBe("http://bsync.localhost:9000/bsync.localhost");
    expect(socketUrl(dev, null, "s")).toBe("http://bsync.localhost:9000/s");
    const prod = {
      protocol: "https:",
      hostname: "hr.example.com",
      port: "",
      origin: "https://hr.example.com",
    };
    expect(socketUrl(prod, 9000, "hr.example.com")).toBe("https://hr.example.com/hr.example.com");
  });
});

describe("suggestions on unmapped groups", () => {
  const group = (
    id: string,
    suggestions: UnmappedGroup["suggestions"],
    device_name: string | null = null,
  ) => ({
    device_user_id: id,
    punches: 1,
    first_seen: null,
    last_seen: null,
    devices: ["Gate"],
    device_name,
    suggestions,
  });
  const anil = { employee: "E1", employee_name: "Anil Kumar", score: 1, confident: true };

  it("accepts only confident best suggestions, each employee once", () => {
    const groups = [
      group("1", [anil]),
      group("2", [{ ...anil, score: 0.8, confident: false }]),
      group("3", [anil]),
      group("4", []),
      group("5", undefined),
    ];
    expect(confidentPairs(groups)).toEqual([
      { device_user_id: "1", employee: "E1", employee_name: "Anil Kumar" },
    ]);
  });

  it("labels the score and filters by the name on the device", () => {
    expect(confidenceLabel(anil)).toBe("100% · confident");
    expect(confidenceLabel({ ...anil, score: 0.8, confident: false })).toBe("80%");
    expect(
      filterGroups([group("7", [], "ANIL K"), group("8", [])], "anil k").map((g) => g.device_user_id),
    ).toEqual(["7"]);
  });
});
