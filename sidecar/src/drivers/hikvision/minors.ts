/** Major type of access-control events (MAJOR_EVENT). */
export const MAJOR_EVENT = 5;

/**
 * Minors of major 5 that mean "a person authenticated successfully" (device-protocols.md §4.5, from
 * Hikvision's own EventType constants). Failures (6, 9, 39, 76, 80, 152…), door and exit-button events are
 * not attendance and are left out. Note 101 is employeeNo + password (the constant is mis-named).
 */
export const SUCCESS_MINORS: ReadonlySet<number> = new Set([
  1, // valid card
  2, // card + password
  16, // multi-authentication success
  38, // fingerprint
  40, // card + fingerprint
  43, // card + fingerprint + password
  46, // fingerprint + password
  54, // face + fingerprint
  57, // face + password
  60, // face + card
  63, // face + password + fingerprint
  66, // face + card + fingerprint
  69, // employeeNo + fingerprint
  72, // employeeNo + fingerprint + password
  75, // face
  77, // employeeNo + face
  101, // employeeNo + password
  105, // person and ID card match
  153, // combined authentication passed
  156, // QR code
  159, // Bluetooth
  181, // password
]);

/** `attendanceStatus` → punch state (ZK numbering: 0 in, 1 out, 2 break-out, 3 break-in, 4 OT-in, 5 OT-out). */
export function attendanceState(status: unknown): number | null {
  switch (typeof status === "string" ? status.toLowerCase() : "") {
    case "checkin":
      return 0;
    case "checkout":
      return 1;
    case "breakout":
      return 2;
    case "breakin":
      return 3;
    case "overtimein":
      return 4;
    case "overtimeout":
      return 5;
    default:
      // "undefined" (attendance mode off) or absent: no direction; ERPNext's shift logic decides.
      return null;
  }
}
