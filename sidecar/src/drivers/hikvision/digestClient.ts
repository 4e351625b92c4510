import { DeviceError } from "../../errors.js";
import { type DigestChallenge, digestAuthorization, parseDigestChallenge } from "./digestAuth.js";
import { httpExchange, type HttpExchangeResponse } from "../shared/httpExchange.js";
import { type HttpStream, openHttpStream } from "../shared/httpStream.js";

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
      this.answer401(response, freshChallenges++);
    }
  }

  /**
   * A GET whose answer is a long-lived stream (alertStream), authenticated the same way; only the headers are
   * awaited (within the timeout). A 401 body is read and closed before the next attempt.
   */
  async stream(req: Omit<DigestRequest, "method" | "body" | "contentType">): Promise<HttpStream> {
    if (this.authFailure) throw this.authFailure;
    let freshChallenges = 0;
    for (;;) {
      const url = new URL(req.path, this.options.baseUrl);
      const response = await openHttpStream({
        url,
        method: "GET",
        headers: this.headersFor("GET", url),
        timeoutMs: this.options.timeoutMs,
        signal: req.signal,
        allowSelfSigned: this.options.allowSelfSigned,
      });
      if (response.status !== 401) return response;
      const body = await response.readAll(64 * 1024);
      this.answer401({ status: 401, headers: response.headers, body }, freshChallenges++);
    }
  }

  /** Takes the new challenge from a 401, or throws (latching a credentials failure). */
  private answer401(response: HttpExchangeResponse, freshChallenges: number): void {
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
    this.challenge = challenge;
    this.nonceCount = 0;
  }

  private headersFor(method: string, url: URL, contentType?: string): Record<string, string> {
    const headers: Record<string, string> = { Accept: "application/json, application/xml, text/xml, */*" };
    if (contentType) headers["Content-Type"] = contentType;
    if (this.challenge) {
      this.nonceCount++;
      headers.Authorization = digestAuthorization({
        challenge: this.challenge,
        method,
        uri: url.pathname + url.search,
        username: this.options.username,
        password: this.options.password,
        nonceCount: this.nonceCount,
      });
    }
    return headers;
  }

  private send(req: DigestRequest): Promise<HttpExchangeResponse> {
    const url = new URL(req.path, this.options.baseUrl);
    const headers = this.headersFor(req.method, url, req.contentType);
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
