import { DeviceError } from "../../errors.js";
import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from "./digestAuth.js";
import { httpExchange, type HttpExchangeResponse } from "../shared/httpExchange.js";

export interface DigestClientOptions {
  /** http://host:port or https://host:port */
  readonly baseUrl: URL;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly allowSelfSigned?: boolean;
  readonly maxResponseBytes?: number;
}

export interface DigestRequest {
  readonly method: "GET" | "POST" | "PUT";
  /** Path plus query, e.g. /ISAPI/AccessControl/AcsEvent?format=json */
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/**
 * HTTP Digest client for one device (RFC 7616, MD5 or SHA-256, qop=auth). The challenge is cached and reused
 * with an increasing nonce count, so a session of many pages costs one extra round trip, not one per page.
 *
 * Devices lock an account after a few failed logins (Hikvision: 5, for 30 minutes). So a 401 after we
 * answered a fresh challenge is final: the client latches DEVICE_AUTH_FAILED (not retryable) and makes no
 * further request until `resetAuth()` (new credentials). A 401 with `stale=true` is a nonce expiry, retried
 * once with the new nonce.
 */
export class DigestClient {
  private challenge: DigestChallenge | null = null;
  private nonceCount = 0;
  private authFailure: DeviceError | null = null;

  constructor(private readonly options: DigestClientOptions) {}

  /** The latched authentication failure, if any. */
  get authError(): DeviceError | null {
    return this.authFailure;
  }

  /** Forget a latched failure (the credentials were changed). */
  resetAuth(): void {
    this.authFailure = null;
    this.challenge = null;
  }

  async request(req: DigestRequest): Promise<HttpExchangeResponse> {
    if (this.authFailure) throw this.authFailure;
    // A fresh challenge is answered once; `stale` (an expired nonce, the credentials were right) a few times.
    let freshChallenges = 0;
    for (;;) {
      const response = await this.send(req);
      if (response.status !== 401) return response;
      const challenge = parseDigestChallenge(response.headers["www-authenticate"]);
      if (!challenge) throw this.latch(response, "it offers no Digest authentication we can answer");
      // We just answered a fresh challenge and were refused without `stale`: the credentials are wrong.
      if (freshChallenges > 0 && !challenge.stale)
        throw this.latch(response, "the user name or password is wrong");
      if (freshChallenges >= 3) {
        throw new DeviceError(
          "HIK_BAD_RESPONSE",
          `${this.options.baseUrl.host} keeps expiring its nonces (stale) before we can use them`,
        );
      }
      freshChallenges++;
      this.challenge = challenge;
      this.nonceCount = 0;
    }
  }

  private send(req: DigestRequest): Promise<HttpExchangeResponse> {
    const url = new URL(req.path, this.options.baseUrl);
    const headers: Record<string, string> = { Accept: "application/json, application/xml, text/xml, */*" };
    if (req.contentType) headers["Content-Type"] = req.contentType;
    if (this.challenge) {
      this.nonceCount++;
      headers.Authorization = digestAuthorization({
        challenge: this.challenge,
        method: req.method,
        uri: url.pathname + url.search,
        username: this.options.username,
        password: this.options.password,
        nonceCount: this.nonceCount,
      });
    }
    return httpExchange({
      url,
      method: req.method,
      headers,
      body: req.body,
      timeoutMs: this.options.timeoutMs,
      signal: req.signal,
      maxResponseBytes: this.options.maxResponseBytes,
      allowSelfSigned: this.options.allowSelfSigned,
    });
  }

  private latch(response: HttpExchangeResponse, why: string): DeviceError {
    const text = response.body.toString("utf8", 0, Math.min(response.body.length, 4096));
    const locked = /<lockStatus>\s*locked\s*<\/lockStatus>|userNameLocked|"lockStatus"\s*:\s*"locked"/i.test(
      text,
    );
    const unlock = /<unlockTime>\s*(\d+)\s*<\/unlockTime>|"unlockTime"\s*:\s*(\d+)/i.exec(text);
    const unlockSeconds = unlock ? Number(unlock[1] ?? unlock[2]) : null;
    const host = this.options.baseUrl.host;
    this.authFailure = new DeviceError(
      "DEVICE_AUTH_FAILED",
      locked
        ? `${host} has locked user "${this.options.username}" after failed logins${unlockSeconds !== null ? ` (unlocks in ${unlockSeconds} s)` : ""}; no more attempts until the credentials are changed`
        : `${host} rejected user "${this.options.username}": ${why}. Stopped trying so the device does not lock the account; fix the credentials`,
      { details: { host, user: this.options.username, locked, unlockSeconds } },
    );
    return this.authFailure;
  }
}
