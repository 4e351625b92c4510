import { DeviceError } from "../../errors.js";

/** Maps an OS socket error to a coded DeviceError that says what the user can check. */
export function socketError(error: NodeJS.ErrnoException, host: string, port: number): DeviceError {
  const where = `${host}:${port}`;
  switch (error.code) {
    case "ECONNREFUSED":
      return new DeviceError(
        "DEVICE_REFUSED",
        `${where} refused the connection (is the port right and the device's TCP service on?)`,
        { cause: error },
      );
    case "ECONNRESET":
    case "EPIPE":
      return new DeviceError(
        "DEVICE_BUSY",
        `${where} reset the connection (another program may be connected to the device)`,
        { cause: error },
      );
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new DeviceError("DEVICE_UNREACHABLE", `${where} is unreachable (${error.code})`, {
        cause: error,
      });
    default:
      return new DeviceError("DEVICE_UNREACHABLE", `${where}: ${error.message}`, { cause: error });
  }
}
