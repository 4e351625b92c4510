import { ConfigError } from "../../errors.js";
import { isValidTimeZone } from "../../domain/timeZone.js";

/** A ZK device as written on the command line: zk://HOST:PORT?commkey=N&tz=Area/City&transport=udp&id=NAME. */
export interface ZkDeviceAddress {
  readonly host: string;
  readonly port: number;
  readonly transport: "tcp" | "udp";
  readonly commKey: number;
  readonly timeZone: string | null;
  readonly deviceId: string | null;
}

const KNOWN_PARAMS = new Set(["commkey", "tz", "transport", "id"]);

/** Parses a zk:// URL, listing every problem at once. */
export function parseZkUrl(text: string): ZkDeviceAddress {
  const problems: string[] = [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError([`"${text}" is not a URL; expected zk://HOST:PORT[?commkey=N&tz=Area/City]`], "DEVICE_URL_INVALID");
  }
  if (url.protocol !== "zk:") problems.push(`scheme "${url.protocol.replace(/:$/, "")}" is not zk`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!host) problems.push("host is missing");
  const port = url.port === "" ? 4370 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port "${url.port}" is not 1-65535`);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key)) problems.push(`unknown parameter "${key}" (known: ${[...KNOWN_PARAMS].join(", ")})`);
  }
  const commKeyText = url.searchParams.get("commkey");
  const commKey = commKeyText === null || commKeyText === "" ? 0 : Number(commKeyText);
  if (!Number.isInteger(commKey) || commKey < 0 || commKey > 0xffffffff) problems.push(`commkey "${commKeyText}" is not a whole number 0-4294967295`);
  const tz = url.searchParams.get("tz");
  if (tz !== null && !isValidTimeZone(tz)) problems.push(`tz "${tz}" is not an IANA time zone (e.g. Asia/Kolkata)`);
  const transport = url.searchParams.get("transport") ?? "tcp";
  if (transport !== "tcp" && transport !== "udp") problems.push(`transport "${transport}" is not tcp or udp`);
  if (problems.length) throw new ConfigError(problems.map((p) => `${text}: ${p}`), "DEVICE_URL_INVALID");
  return { host, port, transport: transport as "tcp" | "udp", commKey, timeZone: tz, deviceId: url.searchParams.get("id") };
}
