import { isValidTimeZone } from "../../domain/timeZone.js";
import { ConfigError } from "../../errors.js";
import { type Dialect, dialectFromKey } from "./dateDialect.js";

/**
 * eSSL sources as written on the command line or in a config file (user and password percent-encoded):
 * - `essl://USER:PASSWORD@HOST[:PORT][/path]?serial=SN[&tz=Area/City&id=NAME&dialect=FromDate|dd/MM/yyyy HH:mm:ss]`
 *   for eTimeTrackLite (path default /iclock/WebAPIService.asmx), one device per URL;
 * - `ebioserver://USER:PASSWORD@HOST[:PORT][/path]?location=NAME[&tz=…&id=…]` for an eBioServer location.
 * The password is in the result: never log the URL or the result, log `label`.
 */
export type EsslAddress =
  | {
      readonly kind: "etimetrack";
      readonly url: string;
      readonly userName: string;
      readonly password: string;
      readonly serialNumber: string;
      readonly timeZone: string | null;
      readonly deviceId: string | null;
      readonly dialect: Dialect | null;
      readonly label: string;
    }
  | {
      readonly kind: "ebioserver";
      readonly url: string;
      readonly userName: string;
      readonly password: string;
      readonly location: string;
      readonly timeZone: string | null;
      readonly deviceId: string | null;
      readonly label: string;
    };

const KNOWN: Record<string, ReadonlySet<string>> = {
  "essl:": new Set(["serial", "tz", "id", "dialect", "https"]),
  "ebioserver:": new Set(["location", "tz", "id", "https"]),
};

export function parseEsslUrl(text: string): EsslAddress {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(
      [
        "an eSSL URL is not a URL; expected essl://USER:PASSWORD@HOST[:PORT]?serial=SN or ebioserver://USER:PASSWORD@HOST[:PORT]?location=NAME",
      ],
      "DEVICE_URL_INVALID",
    );
  }
  const problems: string[] = [];
  const known = KNOWN[url.protocol];
  if (!known) problems.push(`scheme "${url.protocol.replace(/:$/, "")}" is not essl or ebioserver`);
  const host = url.hostname;
  if (!host) problems.push("host is missing");
  const userName = safeDecode(url.username);
  const password = safeDecode(url.password);
  if (!userName) problems.push("user name is missing (the eTimeTrackLite / eBioServer Web API user)");
  if (!password) problems.push("password is missing");
  for (const key of url.searchParams.keys()) {
    if (known && !known.has(key))
      problems.push(`unknown parameter "${key}" (known: ${[...known].join(", ")})`);
  }
  const tz = url.searchParams.get("tz");
  if (tz !== null && !isValidTimeZone(tz))
    problems.push(`tz "${tz}" is not an IANA time zone (e.g. Asia/Kolkata)`);
  const https = url.searchParams.get("https") === "1";
  const port = url.port === "" ? (https ? 443 : 80) : Number(url.port);
  const base = `${https ? "https" : "http"}://${host}:${port}${url.pathname === "" ? "/" : url.pathname}`;
  const label = `${url.protocol}//${host}:${port}`;
  const serial = url.searchParams.get("serial");
  const location = url.searchParams.get("location");
  const dialectText = url.searchParams.get("dialect");
  const dialect = dialectText === null ? null : dialectFromKey(dialectText);
  if (dialectText !== null && dialect === null)
    problems.push(
      `dialect "${dialectText}" is not one of FromDateTime|… or FromDate|… with a known date format`,
    );
  if (url.protocol === "essl:" && !serial)
    problems.push("serial=SERIAL_NUMBER (as registered in eTimeTrackLite) is required");
  if (url.protocol === "ebioserver:" && !location)
    problems.push("location=NAME (the eBioServer location) is required");
  if (problems.length)
    throw new ConfigError(
      problems.map((p) => `${label}: ${p}`),
      "DEVICE_URL_INVALID",
    );
  const common = { url: base, userName, password, timeZone: tz, deviceId: url.searchParams.get("id"), label };
  return url.protocol === "essl:"
    ? { kind: "etimetrack", ...common, serialNumber: serial!, dialect }
    : { kind: "ebioserver", ...common, location: location! };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
