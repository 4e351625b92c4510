import type { BiometricTemplate } from "../../domain/biometricTemplate.js";
import type { UserRecord } from "../../domain/deviceUser.js";
import type { RecordReject } from "../driver.js";

/** A USER line's fields as the terminal sent them (PIN, Name, Pri, Passwd, Card, Grp, TZ, Verify, …). */
export type UserFields = Readonly<Record<string, string>>;

export interface TerminalUser {
  readonly record: UserRecord;
  /** Kept so an update sends back what it does not change (password, group, verify mode). */
  readonly fields: UserFields;
}

export interface OperlogUsers {
  /** USER lines, by PIN (the last line wins). */
  readonly users: Map<string, TerminalUser>;
  /** PINs with a fingerprint (FP, or BIODATA Type=1) or face (FACE, or BIODATA Type=2/9) template in this upload. */
  readonly fingerprints: Set<string>;
  readonly faces: Set<string>;
  /** USER/FP/FACE lines that could not be read; never thrown. */
  readonly rejects: RecordReject[];
}

/** `KEY a=1\tb=2`: the fields after the first space, split on tabs. */
function fieldsOf(rest: string): Record<string, string> {
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of rest.split("\t")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1);
  }
  return fields;
}

/** Card as the terminal writes it: a number, or `[hex]` on some firmware; 0 / empty means none. */
function cardOf(text: string | undefined): string | null {
  const value = (text ?? "").trim();
  if (value === "" || /^0+$/.test(value) || /^\[0*\]$/.test(value)) return null;
  return value;
}

/**
 * Reads the user lines of an OPERLOG (or BIODATA) upload (device-protocols.md §3.5): `USER PIN=..\tName=..\t
 * Pri=..\tCard=..`, and `FP` / `FACE` / `BIODATA` lines that say a template is enrolled. OPLOG lines are not
 * users and are skipped. A USER line without a PIN is a coded reject, never a crash.
 */
export function parseOperlogUsers(content: string): OperlogUsers {
  const out: OperlogUsers = { users: new Map(), fingerprints: new Set(), faces: new Set(), rejects: [] };
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.replace(/\0+$/, "");
    const space = line.indexOf(" ");
    const kind = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    if (kind !== "USER" && kind !== "FP" && kind !== "FACE" && kind !== "BIODATA") continue;
    const fields = fieldsOf(space === -1 ? "" : line.slice(space + 1));
    const pin = fields.PIN ?? fields.Pin ?? "";
    if (pin === "" || /[\s]/.test(pin)) {
      out.rejects.push({
        code: "RECORD_MALFORMED",
        message: `${kind} line without a usable PIN`,
        raw: Buffer.from(line, "utf8").toString("hex"),
        userId: null,
        time: null,
      });
      continue;
    }
    if (kind === "FP") out.fingerprints.add(pin);
    else if (kind === "FACE") out.faces.add(pin);
    else if (kind === "BIODATA") {
      // BIODATA Type: 1 fingerprint, 2 face (near infrared), 9 visible-light face.
      if (fields.Type === "1") out.fingerprints.add(pin);
      else if (fields.Type === "2" || fields.Type === "9") out.faces.add(pin);
    } else {
      const privilege = Number(fields.Pri ?? "0");
      out.users.set(pin, {
        fields,
        record: {
          user_id: pin,
          name: fields.Name?.trim() || null,
          card: cardOf(fields.Card),
          // Pri 0 is a normal user; 2 enroller, 6 admin, 14 super admin (anything else is not a normal user).
          privilege: Number.isFinite(privilege) && privilege === 0 ? "user" : "admin",
          fingerprint: null,
          face: null,
        },
      });
    }
  }
  return out;
}

/** ADMS fingerprint templates: ZKFinger v10 (FP lines carry no version; BIODATA's MajorVer says it). */
export const ADMS_FP_FORMAT = "zkfp10";

/**
 * The templates themselves in FP / FACE / BIODATA lines (issue 13, opt-in): `FP PIN=..\tFID=..\tSize=..\t
 * Valid=..\tTMP=<base64>`, `FACE PIN=..\tFID=..\tValid=..\tSize=..\tTMP=..`, `BIODATA Pin=..\tNo=..\tIndex=..\t
 * Valid=..\tType=..\tMajorVer=..\tMinorVer=..\tFormat=..\tTmp=..`. Invalid (Valid=0), empty or non-base64
 * templates are left out. Formats: FP "zkfp10"; BIODATA fingerprint "zkfp<MajorVer>"; faces
 * "face-<kind>-<MajorVer>.<MinorVer>" (FACE lines: "face-adms"), so a face is only copied where it is the same.
 */
export function parseTemplateLines(content: string): BiometricTemplate[] {
  const out = new Map<string, BiometricTemplate>();
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.replace(/\0+$/, "");
    const space = line.indexOf(" ");
    const kind = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    if (kind !== "FP" && kind !== "FACE" && kind !== "BIODATA") continue;
    const f = fieldsOf(space === -1 ? "" : line.slice(space + 1));
    const pin = f.PIN ?? f.Pin ?? "";
    const data = (f.TMP ?? f.Tmp ?? "").trim();
    if (pin === "" || /\s/.test(pin) || data === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) continue;
    if ((f.Valid ?? "1") === "0") continue;
    let template: BiometricTemplate | null = null;
    if (kind === "FP") {
      const index = Number(f.FID);
      if (Number.isInteger(index) && index >= 0 && index <= 9)
        template = { user_id: pin, kind: "fingerprint", index, format: ADMS_FP_FORMAT, data_b64: data };
    } else if (kind === "FACE") {
      const index = Number(f.FID ?? "0");
      if (Number.isInteger(index) && index >= 0 && index <= 99)
        template = { user_id: pin, kind: "face", index, format: "face-adms", data_b64: data };
    } else {
      const type = f.Type ?? "";
      const index = Number(type === "1" ? f.No : (f.Index ?? f.No ?? "0"));
      if (!Number.isInteger(index) || index < 0 || index > 99) continue;
      if (type === "1")
        template = {
          user_id: pin,
          kind: "fingerprint",
          index,
          format: `zkfp${f.MajorVer ?? "10"}`,
          data_b64: data,
        };
      else if (type === "2" || type === "9")
        template = {
          user_id: pin,
          kind: "face",
          index,
          format: `face-${type}-${f.MajorVer ?? "0"}.${f.MinorVer ?? "0"}`,
          data_b64: data,
        };
    }
    if (template) out.set(`${template.user_id}|${template.kind}|${template.index}`, template);
  }
  return [...out.values()];
}

/**
 * What the server knows of each terminal's users, from what the terminals uploaded: USER lines give the record,
 * FP/FACE lines (in the same or a later upload) mark templates. Templates of a user never seen as a USER line
 * are kept until that line arrives.
 */
export class TerminalUserBook {
  private readonly users = new Map<string, Map<string, TerminalUser>>();
  private readonly templates = new Map<string, Map<string, { fingerprint?: true; face?: true }>>();
  /** The templates themselves, per terminal, by `pin|kind|index` (in memory only; never logged). */
  private readonly templateData = new Map<string, Map<string, BiometricTemplate>>();

  /** Takes an upload; returns the users it changed (as known now) and the lines it could not read. */
  ingest(serialNumber: string, content: string): { changed: TerminalUser[]; rejects: RecordReject[] } {
    const parsed = parseOperlogUsers(content);
    const data = this.templateData.get(serialNumber) ?? new Map<string, BiometricTemplate>();
    this.templateData.set(serialNumber, data);
    for (const t of parseTemplateLines(content)) data.set(`${t.user_id}|${t.kind}|${t.index}`, t);
    const users = this.users.get(serialNumber) ?? new Map<string, TerminalUser>();
    const templates =
      this.templates.get(serialNumber) ?? new Map<string, { fingerprint?: true; face?: true }>();
    this.users.set(serialNumber, users);
    this.templates.set(serialNumber, templates);
    // Users in the order the terminal listed them, then those whose templates alone arrived.
    const touched = new Set<string>(parsed.users.keys());
    for (const [pin, user] of parsed.users) users.set(pin, user);
    for (const pin of parsed.fingerprints) {
      templates.set(pin, { ...templates.get(pin), fingerprint: true });
      touched.add(pin);
    }
    for (const pin of parsed.faces) {
      templates.set(pin, { ...templates.get(pin), face: true });
      touched.add(pin);
    }
    const changed: TerminalUser[] = [];
    for (const pin of touched) {
      const user = users.get(pin);
      if (!user) continue;
      const t = templates.get(pin);
      const record = {
        ...user.record,
        ...(t?.fingerprint && { fingerprint: true }),
        ...(t?.face && { face: true }),
      };
      const merged = { ...user, record };
      users.set(pin, merged);
      changed.push(merged);
    }
    return { changed, rejects: parsed.rejects };
  }

  get(serialNumber: string, pin: string): TerminalUser | undefined {
    return this.users.get(serialNumber)?.get(pin);
  }

  /** The templates this terminal uploaded (of users it still holds, as far as the server knows). */
  templatesOf(serialNumber: string): BiometricTemplate[] {
    const users = this.users.get(serialNumber);
    return [...(this.templateData.get(serialNumber)?.values() ?? [])].filter((t) => users?.has(t.user_id));
  }

  /** The terminal deleted this user (a DATA DELETE USERINFO it answered with success). */
  forget(serialNumber: string, pin: string): void {
    const data = this.templateData.get(serialNumber);
    for (const key of [...(data?.keys() ?? [])]) if (key.startsWith(`${pin}|`)) data!.delete(key);
    this.users.get(serialNumber)?.delete(pin);
    this.templates.get(serialNumber)?.delete(pin);
  }
}
