import { readFile } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { configSchema, type SidecarConfig } from "./schema.js";

/** "devices.1.url: message" for every issue zod found; all of them, not the first. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.length ? issue.path.join(".") : "(top level)";
    return `${where}: ${issue.message}`;
  });
}

/** Validates a parsed config object once; every problem is listed in the ConfigError. */
export function parseConfig(raw: unknown, baseDir = process.cwd()): SidecarConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error.issues));
  return { ...result.data, spoolDir: path.resolve(baseDir, result.data.spoolDir) };
}

export async function loadConfigFile(file: string): Promise<SidecarConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError([`cannot read ${file}: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${file} is not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(raw, path.dirname(path.resolve(file)));
}
