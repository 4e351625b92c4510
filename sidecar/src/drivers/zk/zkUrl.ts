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

const URL_SHAPE = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?\/?(?:\?([^#]*))?$/i;

/** Parses a zk:// URL, listing every problem at once (hand-parsed: WHATWG URL stops at the first bad part). */
export function parseZkUrl(text: string): ZkDeviceAddress {
  const shape = URL_SHAPE.exec(text.trim());
  if (!shape) {
    throw new ConfigError(
      [`"${text}" is not a URL; expected zk://HOST:PORT[?commkey=N&tz=Area/City]`],
      "DEVICE_URL_INVALID",
    );
  }
  const [, scheme = "", rawHost = "", rawPort, query = ""] = shape;
  const problems: string[] = [];
  if (scheme.toLowerCase() !== "zk") problems.push(`scheme "${scheme}" is not zk`);
  const host = rawHost.replace(/^\[|\]$/g, "");
  if (!host) problems.push("host is missing");
  const port = rawPort === undefined || rawPort === "" ? 4370 : Number(rawPort);
  if (!/^\d*$/.test(rawPort ?? "") || !Number.isInteger(port) || port < 1 || port > 65535)
    problems.push(`port "${rawPort}" is not 1-65535`);
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key))
      problems.push(`unknown parameter "${key}" (known: ${[...KNOWN_PARAMS].join(", ")})`);
  }
  const commKeyText = params.get("commkey");
  const commKey = commKeyText === null || commKeyText === "" ? 0 : Number(commKeyText);
  if (!/^\d*$/.test(commKeyText ?? "") || commKey > 0xffffffff)
    problems.push(`commkey "${commKeyText}" is not a whole number 0-4294967295`);
  const tz = params.get("tz");
  if (tz !== null && !isValidTimeZone(tz))
    problems.push(`tz "${tz}" is not an IANA time zone (e.g. Asia/Kolkata)`);
  const transport = params.get("transport") ?? "tcp";
  if (transport !== "tcp" && transport !== "udp") problems.push(`transport "${transport}" is not tcp or udp`);
  if (problems.length)
    throw new ConfigError(
      problems.map((p) => `${text}: ${p}`),
      "DEVICE_URL_INVALID",
    );
  return {
    host,
    port,
    transport: transport as "tcp" | "udp",
    commKey,
    timeZone: tz,
    deviceId: params.get("id"),
  };
}
