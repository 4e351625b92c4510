import { type SidecarError, toSidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { sleep } from "../../util/abort.js";
import { httpExchange } from "../shared/httpExchange.js";
import type { SoapCall } from "./soapRequest.js";

export interface SoapTransportOptions {
  readonly url: URL;
  readonly timeoutMs: number;
  /** Attempts for retryable failures (timeouts, resets). */
  readonly attempts: number;
  readonly retryDelayMs: number;
  readonly log: Logger;
}

/** POSTs SOAP 1.1 calls to one ASMX endpoint, retrying transport failures (never a refused login). */
export class SoapTransport {
  constructor(private readonly options: SoapTransportOptions) {}

  async post(call: SoapCall, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const { attempts, retryDelayMs, log } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await httpExchange({
          url: this.options.url,
          method: "POST",
          headers: { "Content-Type": "text/xml; charset=utf-8", SOAPAction: call.soapAction },
          body: call.body,
          timeoutMs: this.options.timeoutMs,
          signal,
        });
        return { status: response.status, body: response.body.toString("utf8") };
      } catch (error) {
        const coded: SidecarError = toSidecarError(error);
        if (!coded.retryable || attempt >= attempts || signal?.aborted) throw coded;
        // The call names the operation, never the credentials it carries.
        log.warn(
          { attempt, attempts, code: coded.code, err: coded.message, action: call.soapAction },
          "eSSL call failed; retrying",
        );
        await sleep(retryDelayMs * attempt, signal);
      }
    }
  }
}

/** The service URL: a bare http://host:port gets the default path. */
export function serviceUrl(base: string, defaultPath: string): URL {
  const url = new URL(base);
  if (url.pathname === "" || url.pathname === "/") url.pathname = defaultPath;
  return url;
}
