import { isValidTimeZone } from "../../domain/timeZone.js";
import { ConfigError } from "../../errors.js";
import type { AdmsDevice } from "./admsServer.js";

/**
 * An ADMS terminal as written on the command line or in a config file: `adms://SERIAL_NUMBER?id=NAME&tz=Area/City`.
 * There is no host: the terminal connects to us (the push server's own address and port are sidecar settings).
 */
export function parseAdmsUrl(text: string): AdmsDevice {
  const m = /^adms:\/\/([^/?#]+)\/?(?:\?([^#]*))?$/i.exec(text.trim());
  if (!m)
    throw new ConfigError(
      [`"${text}" is not adms://SERIAL_NUMBER[?id=NAME&tz=Area/City]`],
      "DEVICE_URL_INVALID",
    );
  const problems: string[] = [];
  const serialNumber = decodeURIComponent(m[1]!);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(serialNumber))
    problems.push(`serial number "${serialNumber}" has characters terminals do not use`);
  const params = new URLSearchParams(m[2] ?? "");
  for (const key of params.keys())
    if (key !== "id" && key !== "tz") problems.push(`unknown parameter "${key}" (known: id, tz)`);
  const tz = params.get("tz");
  if (tz !== null && !isValidTimeZone(tz))
    problems.push(`tz "${tz}" is not an IANA time zone (e.g. Asia/Kolkata)`);
  if (problems.length)
    throw new ConfigError(
      problems.map((p) => `adms://${serialNumber}: ${p}`),
      "DEVICE_URL_INVALID",
    );
  return { serialNumber, deviceName: params.get("id") ?? serialNumber, timeZone: tz };
}

/** True for an `adms://` URL (well formed or not: parseAdmsUrl says what is wrong with it). */
export function isAdmsUrl(text: string): boolean {
  return /^adms:\/\//i.test(text.trim());
}
