import { isValidTimeZone } from "../../domain/timeZone.js";
import { ConfigError } from "../../errors.js";

/**
 * A Hikvision device as written on the command line or in a config file:
 * `hikvision://USER:PASSWORD@HOST[:PORT]?tz=Area/City&id=NAME&https=1&insecure=1` (user and password
 * percent-encoded). The password is in the result: never log the URL or the result, log `label`.
 */
export interface HikvisionAddress {
  readonly host: string;
  readonly port: number;
  readonly protocol: "http" | "https";
  readonly allowSelfSigned: boolean;
  readonly username: string;
  readonly password: string;
  readonly timeZone: string | null;
  readonly deviceId: string | null;
  /** host:port, safe to show. */
  readonly label: string;
}

const KNOWN = new Set(["tz", "id", "https", "insecure"]);

export function parseHikvisionUrl(text: string): HikvisionAddress {
  const problems: string[] = [];
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(
      [
        "a Hikvision device URL is not a URL; expected hikvision://USER:PASSWORD@HOST[:PORT][?tz=Area/City&id=NAME]",
      ],
      "DEVICE_URL_INVALID",
    );
  }
  if (url.protocol !== "hikvision:")
    problems.push(`scheme "${url.protocol.replace(/:$/, "")}" is not hikvision`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) problems.push("host is missing");
  const username = safeDecode(url.username);
  const password = safeDecode(url.password);
  if (!username) problems.push("user name is missing (hikvision://USER:PASSWORD@HOST)");
  if (!password) problems.push("password is missing (hikvision://USER:PASSWORD@HOST)");
  for (const key of url.searchParams.keys()) {
    if (!KNOWN.has(key)) problems.push(`unknown parameter "${key}" (known: ${[...KNOWN].join(", ")})`);
  }
  const tz = url.searchParams.get("tz");
  if (tz !== null && !isValidTimeZone(tz))
    problems.push(`tz "${tz}" is not an IANA time zone (e.g. Asia/Kolkata)`);
  const https = flag(url.searchParams.get("https"), "https", problems);
  const insecure = flag(url.searchParams.get("insecure"), "insecure", problems);
  const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
  // Show where the problem is without the password.
  const label = `${host}:${port}`;
  if (problems.length)
    throw new ConfigError(
      problems.map((p) => `hikvision://${label}: ${p}`),
      "DEVICE_URL_INVALID",
    );
  return {
    host,
    port,
    protocol: https ? "https" : "http",
    allowSelfSigned: insecure,
    username,
    password,
    timeZone: tz,
    deviceId: url.searchParams.get("id"),
    label,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function flag(value: string | null, name: string, problems: string[]): boolean {
  if (value === null || value === "0" || value === "false") return false;
  if (value === "" || value === "1" || value === "true") return true;
  problems.push(`${name} "${value}" is not 1 or 0`);
  return false;
}
