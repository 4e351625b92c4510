import type { AttendanceFormat, UserFormat } from "./formats.js";
import type { DeviceIdentity } from "./scenario.js";

/**
 * CMD_OPTIONS_RRQ values, as pyzk asks for them. Unknown names get ACK_ERROR (pyzk then sends its
 * _clear_error sequence). ~ExtendFmt / ~UserExtFmt follow the record formats served (1 = extended/string ids).
 */
export function optionValue(
  identity: DeviceIdentity,
  name: string,
  attendanceFormat: AttendanceFormat,
  userFormat: UserFormat,
): string | undefined {
  const defaults = new Map<string, string>(
    Object.entries({
      "~SerialNumber": identity.serialNumber,
      "~Platform": identity.platform,
      "~DeviceName": identity.deviceName,
      "~ZKFPVersion": identity.fpVersion,
      "~ExtendFmt": attendanceFormat === 40 || attendanceFormat === 49 ? "1" : "0",
      "~UserExtFmt": userFormat === 72 ? "1" : "0",
      FaceFunOn: "0",
      CompatOldFirmware: "0",
      MAC: identity.mac,
      IPAddress: identity.ipAddress,
      NetMask: identity.netMask,
      GATEIPAddress: identity.gateway,
    }),
  );
  // Own properties only: "constructor" or "toString" are not device options.
  return Object.hasOwn(identity.extraOptions, name) ? identity.extraOptions[name] : defaults.get(name);
}
