import { timingSafeEqual, createHash } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { ConfigError } from "../../errors.js";

/**
 * Who may talk to the push server: an optional address allow-list (IPs and CIDR blocks, IPv4 or IPv6) and an
 * optional shared secret. Terminals cannot add headers and few let you edit the URL, so the allow-list is the
 * usual guard on a LAN; the secret suits proxies and firmware whose server path can carry `?key=`.
 */
export class AccessPolicy {
  private readonly allowList: BlockList | null;
  private readonly secretDigest: Buffer | null;

  constructor(options: { readonly allowFrom?: readonly string[] | null; readonly secret?: string | null }) {
    const problems: string[] = [];
    if (options.allowFrom && options.allowFrom.length > 0) {
      const list = new BlockList();
      for (const entry of options.allowFrom) {
        const problem = addEntry(list, entry.trim());
        if (problem) problems.push(problem);
      }
      this.allowList = list;
    } else {
      this.allowList = null;
    }
    if (options.secret !== undefined && options.secret !== null && options.secret.length < 8)
      problems.push("the ADMS shared secret must be at least 8 characters");
    if (problems.length) throw new ConfigError(problems);
    this.secretDigest = options.secret ? digest(options.secret) : null;
  }

  get requiresSecret(): boolean {
    return this.secretDigest !== null;
  }

  addressAllowed(remoteAddress: string | undefined): boolean {
    if (!this.allowList) return true;
    if (!remoteAddress) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)?.[1];
    const address = mapped ?? remoteAddress;
    const family = isIP(address);
    if (family === 0) return false;
    return this.allowList.check(address, family === 4 ? "ipv4" : "ipv6");
  }

  /** Constant-time comparison (of digests, so lengths do not leak either). */
  secretMatches(given: string | null | undefined): boolean {
    if (!this.secretDigest) return true;
    if (typeof given !== "string") return false;
    return timingSafeEqual(digest(given), this.secretDigest);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function addEntry(list: BlockList, entry: string): string | null {
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return `allow-list entry "${entry}" is not an IP address or CIDR block`;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (slash < 0) {
    list.addAddress(address, type);
    return null;
  }
  const prefixText = entry.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128))
    return `allow-list entry "${entry}" has a bad prefix length`;
  list.addSubnet(address, prefix, type);
  return null;
}
