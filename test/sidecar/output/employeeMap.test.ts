import { describe, expect, it } from "vitest";
import { parseEmployeeMap } from "../../../sidecar/src/output/employeeMap.js";

describe("parseEmployeeMap", () => {
  it("keeps ids as written (leading zeros matter) and accepts ERPNext's column name", () => {
    const map = parseEmployeeMap(
      "\uFEFFattendance_device_id,Employee\r\n0111,HR-EMP-00001\r\n111,HR-EMP-00002\r\n",
    );
    expect([...map]).toEqual([
      ["0111", "HR-EMP-00001"],
      ["111", "HR-EMP-00002"],
    ]);
  });

  it("lists every bad line", () => {
    expect(() => parseEmployeeMap("user_id,employee\n7,\n8,HR-1\n8,HR-2\n")).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringMatching(/line 2/),
          expect.stringMatching(/line 4: user id "8" is mapped twice/),
        ],
      }),
    );
  });

  it("says which columns are missing", () => {
    expect(() => parseEmployeeMap("name,code\n")).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([expect.stringMatching(/user id column/)]),
      }),
    );
  });
});
