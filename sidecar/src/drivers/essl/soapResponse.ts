import { DeviceError, ProtocolError } from "../../errors.js";
import { elementText, findElement, parseXml, type XmlElement } from "../shared/xmlReader.js";

/** What an eSSL web-service answer says, once read. */
export type SoapOutcome =
  /** Records (possibly none). `declaredCount` is the N of "Logs Count:N" when the server gave one. */
  | { readonly kind: "data"; readonly dataText: string; readonly declaredCount: number | null }
  /** Credentials refused: eTimeTrackLite answers HTTP 200 "Unathorised User" (sic). */
  | { readonly kind: "auth"; readonly text: string }
  /** Any other error text in the result, with HTTP 200 ("Invalid Serial Number", "Invalid From Date"…). */
  | { readonly kind: "error"; readonly text: string }
  /** A SOAP fault (HTTP 500 with faultstring): the server could not run the call. */
  | { readonly kind: "fault"; readonly text: string; readonly status: number };

const AUTH_TEXT =
  /unath?ori[sz]ed|unauthori[sz]ed|invalid\s+(user|login|credential|password)|access\s+denied|login\s+failed/i;
const COUNT_LINE = /^\s*Logs?\s*Count\s*:?\s*(\d{1,9})\s*(?:\r?\n|$)/i;

/**
 * Reads a GetTransactionsLog / GetDeviceLogs answer (device-protocols.md §5.1): errors come back as HTTP 200
 * with text in the result element, faults as HTTP 500 with faultstring; the records are in `dataElement`
 * (strDataList) or, on some builds, in the result element itself. Throws ESSL_BAD_RESPONSE (retryable) when
 * the body is not such an answer, ESSL_REJECTED for a missing web service (404).
 */
export function readSoapAnswer(
  status: number,
  body: string,
  resultElement: string,
  dataElement: string | null,
): SoapOutcome {
  let xml: XmlElement;
  try {
    xml = parseXml(body, "ESSL_BAD_RESPONSE");
  } catch (error) {
    if (status === 404)
      throw new DeviceError(
        "ESSL_REJECTED",
        "there is no eSSL web service at this address (HTTP 404); check the URL and port",
      );
    if (status === 401 || status === 403)
      throw new DeviceError("DEVICE_AUTH_FAILED", `the eSSL server refused access (HTTP ${status})`);
    if (status !== 200)
      throw new ProtocolError(
        "ESSL_BAD_RESPONSE",
        `the eSSL server answered HTTP ${status} with no SOAP body`,
      );
    throw error;
  }
  const fault = findElement(xml, "Fault");
  if (fault) {
    const text = (elementText(fault, "faultstring") ?? elementText(fault, "Text") ?? "SOAP fault").trim();
    return { kind: "fault", text: text.slice(0, 500), status };
  }
  if (status === 404)
    throw new DeviceError(
      "ESSL_REJECTED",
      "there is no eSSL web service at this address (HTTP 404); check the URL and port",
    );
  const resultText = elementText(xml, resultElement);
  if (resultText === null) {
    throw new ProtocolError(
      "ESSL_BAD_RESPONSE",
      `the eSSL answer (HTTP ${status}) has no ${resultElement} element`,
    );
  }
  const dataText = dataElement === null ? "" : (elementText(xml, dataElement) ?? "");
  const count = COUNT_LINE.exec(resultText);
  if (count) {
    const rest = resultText.slice(count[0].length);
    return {
      kind: "data",
      dataText: dataText.trim() !== "" ? dataText : rest,
      declaredCount: Number(count[1]),
    };
  }
  if (resultText.trim() === "" || resultText.includes("\t")) {
    return { kind: "data", dataText: dataText.trim() !== "" ? dataText : resultText, declaredCount: null };
  }
  if (AUTH_TEXT.test(resultText)) return { kind: "auth", text: resultText.trim().slice(0, 200) };
  // GetDeviceLogs has no separate data element: comma-separated records with dates are data too.
  if (dataElement === null && /\d{1,4}[-/]\d{1,2}[-/]\d{1,4}[ T]\d{1,2}:\d{2}/.test(resultText))
    return { kind: "data", dataText: resultText, declaredCount: null };
  return { kind: "error", text: resultText.trim().slice(0, 500) };
}
