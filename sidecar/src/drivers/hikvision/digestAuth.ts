import { createHash, randomBytes } from "node:crypto";

/** One `Digest` challenge from a `WWW-Authenticate` header (RFC 7616 §3.3). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | null;
  /** Upper-cased: MD5 (the default), MD5-SESS, SHA-256, SHA-256-SESS. */
  readonly algorithm: string;
  /** True when the server offers qop=auth; false for an RFC 2069 challenge with no qop. */
  readonly qopAuth: boolean;
  /** The nonce expired but the credentials were right: retry with the new nonce, this is not a failure. */
  readonly stale: boolean;
}

const SUPPORTED = new Set(["MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS"]);
const MAX_HEADER = 8192;

/**
 * Finds a usable Digest challenge in a WWW-Authenticate value (several challenges may share one value, comma
 * separated, e.g. `Digest …, Basic realm="x"`). Returns null when there is none we can answer. Never throws.
 */
export function parseDigestChallenge(header: string | readonly string[] | undefined): DigestChallenge | null {
  const values = header === undefined ? [] : typeof header === "string" ? [header] : header;
  for (const value of values) {
    for (const challenge of splitChallenges(value.slice(0, MAX_HEADER))) {
      if (challenge.scheme.toLowerCase() !== "digest") continue;
      const p = challenge.params;
      const algorithm = (p.algorithm ?? "MD5").toUpperCase();
      if (!SUPPORTED.has(algorithm) || p.realm === undefined || !p.nonce) continue;
      const qops = p.qop === undefined ? null : p.qop.split(",").map((q) => q.trim().toLowerCase());
      if (qops !== null && !qops.includes("auth")) continue;
      return {
        realm: p.realm,
        nonce: p.nonce,
        opaque: p.opaque ?? null,
        algorithm,
        qopAuth: qops !== null,
        stale: (p.stale ?? "").toLowerCase() === "true",
      };
    }
  }
  return null;
}

interface RawChallenge {
  readonly scheme: string;
  readonly params: Record<string, string>;
}

/** Splits `Scheme k=v, k="v", Scheme2 k=v` into challenges; quoted values may hold commas and escaped quotes. */
function splitChallenges(value: string): RawChallenge[] {
  const out: RawChallenge[] = [];
  let current: RawChallenge | null = null;
  let i = 0;
  const token = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
  const skipSpace = (): void => {
    while (i < value.length && (value[i] === " " || value[i] === "\t" || value[i] === ",")) i++;
  };
  while (i < value.length) {
    skipSpace();
    token.lastIndex = i;
    const m = token.exec(value);
    if (!m) {
      i++; // a stray character: step over it
      continue;
    }
    const name = m[0];
    i = token.lastIndex;
    let j = i;
    while (value[j] === " " || value[j] === "\t") j++;
    if (value[j] !== "=") {
      current = { scheme: name, params: Object.create(null) as Record<string, string> };
      out.push(current);
      continue;
    }
    // A token68 (`Basic dXNlcjpwYXNz==`) ends in '=' with nothing after it: skip it.
    i = j + 1;
    while (value[i] === " " || value[i] === "\t") i++;
    let param: string;
    if (value[i] === '"') {
      let text = "";
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === "\\" && i + 1 < value.length) i++;
        text += value[i];
        i++;
      }
      i++;
      param = text;
    } else {
      token.lastIndex = i;
      const v = token.exec(value);
      param = v ? v[0] : "";
      i = v ? token.lastIndex : i;
    }
    if (current) current.params[name.toLowerCase()] = param;
  }
  return out;
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm.startsWith("SHA-256") ? "sha256" : "md5")
    .update(text, "utf8")
    .digest("hex");
}

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

export interface DigestInput {
  readonly challenge: DigestChallenge;
  readonly method: string;
  /** The request target exactly as sent: path plus query. */
  readonly uri: string;
  readonly username: string;
  readonly password: string;
  /** Requests made with this nonce so far, this one included (1 for the first). */
  readonly nonceCount: number;
  /** Default: 16 random bytes, hex. */
  readonly cnonce?: string;
}

/** The `response` value of RFC 7616 §3.4.1 (qop=auth) or RFC 2069 (no qop). */
export function digestResponse(input: DigestInput): string {
  const { challenge: c, method, uri, username, password } = input;
  const nc = input.nonceCount.toString(16).padStart(8, "0");
  const cnonce = input.cnonce ?? "";
  let ha1 = hash(c.algorithm, `${username}:${c.realm}:${password}`);
  if (c.algorithm.endsWith("-SESS")) ha1 = hash(c.algorithm, `${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = hash(c.algorithm, `${method}:${uri}`);
  return c.qopAuth
    ? hash(c.algorithm, `${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : hash(c.algorithm, `${ha1}:${c.nonce}:${ha2}`);
}

/** The `Authorization: Digest …` header value for one request. */
export function digestAuthorization(input: DigestInput): string {
  const c = input.challenge;
  const cnonce = input.cnonce ?? randomBytes(16).toString("hex");
  const response = digestResponse({ ...input, cnonce });
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${c.algorithm === "MD5-SESS" ? "MD5-sess" : c.algorithm === "SHA-256-SESS" ? "SHA-256-sess" : c.algorithm}`,
    `response=${quote(response)}`,
  ];
  if (c.opaque !== null) parts.push(`opaque=${quote(c.opaque)}`);
  if (c.qopAuth) {
    parts.push("qop=auth", `nc=${input.nonceCount.toString(16).padStart(8, "0")}`, `cnonce=${quote(cnonce)}`);
  }
  return `Digest ${parts.join(", ")}`;
}
