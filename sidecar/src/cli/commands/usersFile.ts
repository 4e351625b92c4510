import { readFile } from "node:fs/promises";
import type { UserRecord } from "../../domain/deviceUser.js";
import { ConfigError } from "../../errors.js";
import { csvLine, parseCsv } from "../../output/csv.js";

/** One row of a `users push` file, as written (checked later, per user, with a coded reason). */
export interface UserRow {
  readonly line: number;
  readonly user_id: string;
  readonly name: string;
  /** undefined: the file has no card column (the device's card is kept). */
  readonly card: string | undefined;
}

/**
 * Reads employees.csv: a header with user_id and name, optionally card. Ids are kept exactly as written ("0111"
 * stays "0111"); a file without those columns, or naming a user twice, is a ConfigError listing every problem.
 */
export async function loadUserRows(file: string): Promise<UserRow[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError([`cannot read ${file}: ${(error as Error).message}`]);
  }
  const rows = parseCsv(text.replace(/^\uFEFF/, "")).filter((r) => r.some((f) => f.trim() !== ""));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const col = (name: string): number => header.indexOf(name);
  const problems: string[] = [];
  if (col("user_id") === -1) problems.push(`${file}: no "user_id" column`);
  if (col("name") === -1) problems.push(`${file}: no "name" column`);
  if (problems.length) throw new ConfigError(problems);
  const seen = new Map<string, number>();
  const out: UserRow[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    const userId = row[col("user_id")] ?? "";
    const first = seen.get(userId);
    if (first !== undefined)
      problems.push(`${file} line ${line}: user_id "${userId}" is already on line ${first}`);
    seen.set(userId, line);
    out.push({
      line,
      user_id: userId,
      name: row[col("name")] ?? "",
      card: col("card") === -1 ? undefined : (row[col("card")] ?? ""),
    });
  });
  if (problems.length) throw new ConfigError(problems);
  return out;
}

export const USER_COLUMNS = ["user_id", "name", "card", "privilege", "fingerprint", "face"] as const;

/** `users list --out`: CSV with USER_COLUMNS (empty = the device does not say), or a JSON array. */
export function renderUsers(users: readonly UserRecord[], format: "csv" | "json"): string {
  if (format === "json") return `${JSON.stringify(users, null, 2)}\n`;
  const cell = (v: string | boolean | null): string => (v === null ? "" : String(v));
  return csvLine(USER_COLUMNS) + users.map((u) => csvLine(USER_COLUMNS.map((c) => cell(u[c])))).join("");
}
