import type { NaiveDateTime } from "../../domain/naiveTime.js";
import { type Dialect, formatForDialect } from "./dateDialect.js";
import { escapeXml } from "../shared/xmlReader.js";

/** A SOAP 1.1 call: the body and the SOAPAction header (quoted, as ASMX expects). */
export interface SoapCall {
  readonly body: string;
  readonly soapAction: string;
}

function envelope(operation: string, fields: readonly (readonly [string, string])[]): string {
  const inner = fields.map(([name, value]) => `      <${name}>${escapeXml(value)}</${name}>`).join("\n");
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n' +
    "  <soap:Body>\n" +
    `    <${operation} xmlns="http://tempuri.org/">\n${inner}\n    </${operation}>\n` +
    "  </soap:Body>\n" +
    "</soap:Envelope>\n"
  );
}

/** eTimeTrackLite `GetTransactionsLog` for one device and window, in the given dialect. */
export function getTransactionsLogCall(input: {
  readonly from: NaiveDateTime;
  readonly to: NaiveDateTime;
  readonly serialNumber: string;
  readonly userName: string;
  readonly password: string;
  readonly dialect: Dialect;
}): SoapCall {
  const { dialect } = input;
  return {
    soapAction: '"http://tempuri.org/GetTransactionsLog"',
    body: envelope("GetTransactionsLog", [
      [dialect.fromName, formatForDialect(input.from, dialect.format)],
      [dialect.toName, formatForDialect(input.to, dialect.format)],
      ["SerialNumber", input.serialNumber],
      ["UserName", input.userName],
      ["UserPassword", input.password],
      ["strDataList", ""],
    ]),
  };
}

/** eBioServer `GetDeviceLogs` for one location and day (LogDate = YYYY/MM/DD). */
export function getDeviceLogsCall(input: {
  readonly userName: string;
  readonly password: string;
  readonly location: string;
  /** YYYY-MM-DD */
  readonly date: string;
}): SoapCall {
  return {
    soapAction: '"http://tempuri.org/GetDeviceLogs"',
    body: envelope("GetDeviceLogs", [
      ["UserName", input.userName],
      ["Password", input.password],
      ["Location", input.location],
      ["LogDate", input.date.replace(/-/g, "/")],
    ]),
  };
}
