import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import { parseCsv } from "./csv.js";

/**
 * Device user id → ERPNext Employee ID, from a CSV with a header naming a user-id column (user_id,
 * attendance_device_id or device_user_id) and an employee column (employee). Ids are kept as written:
 * "0111" and "111" are different people.
 */
export type EmployeeMap = ReadonlyMap<string, string>;

const USER_COLUMNS = ["user_id", "attendance_device_id", "device_user_id"];

export function parseEmployeeMap(text: string, source = "employee map"): EmployeeMap {
  const rows = parseCsv(text.replace(/^\uFEFF/, "")).filter((r) => r.some((f) => f.trim() !== ""));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const userCol = header.findIndex((h) => USER_COLUMNS.includes(h));
  const employeeCol = header.indexOf("employee");
  const problems: string[] = [];
  if (userCol === -1) problems.push(`${source}: no user id column (one of ${USER_COLUMNS.join(", ")})`);
  if (employeeCol === -1) problems.push(`${source}: no "employee" column`);
  if (problems.length) throw new ConfigError(problems);
  const map = new Map<string, string>();
  rows.forEach((row, index) => {
    const userId = row[userCol] ?? "";
    const employee = (row[employeeCol] ?? "").trim();
    const line = index + 2;
    if (userId === "" || employee === "") problems.push(`${source} line ${line}: empty user id or employee`);
    else if (map.has(userId) && map.get(userId) !== employee)
      problems.push(`${source} line ${line}: user id "${userId}" is mapped twice`);
    else map.set(userId, employee);
  });
  if (problems.length) throw new ConfigError(problems);
  return map;
}

export async function loadEmployeeMap(file: string): Promise<EmployeeMap> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError([`cannot read employee map ${file}: ${(error as Error).message}`]);
  }
  return parseEmployeeMap(text, file);
}
