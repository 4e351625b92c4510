import { SidecarError } from "../errors.js";

/**
 * A fingerprint or face template as the site's report_templates takes it and template_set carries it (issue 13,
 * opt-in). Biometric data: never logged, never put in a command result or error message.
 */
export interface BiometricTemplate {
  readonly user_id: string;
  readonly kind: "fingerprint" | "face";
  /** Fingerprint: finger number 0-9. Face: template number. */
  readonly index: number;
  /** Algorithm and version, e.g. "zkfp10"; a template is written only where the format is the same. */
  readonly format: string;
  readonly data_b64: string;
}

export interface SetTemplateResult {
  readonly user_id: string;
  readonly kind: BiometricTemplate["kind"];
  readonly index: number;
  readonly action: "written" | "unchanged";
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A template_set payload checked; the message never quotes the data. */
export function checkTemplate(payload: unknown): BiometricTemplate {
  const p = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
  const bad = (what: string) => new SidecarError("TEMPLATE_INVALID", `template_set: ${what}`);
  if (typeof p.user_id !== "string" || p.user_id === "") throw bad("user_id must be a non-empty string");
  if (p.kind !== "fingerprint" && p.kind !== "face") throw bad(`kind must be "fingerprint" or "face"`);
  if (typeof p.index !== "number" || !Number.isInteger(p.index) || p.index < 0 || p.index > 99)
    throw bad("index must be an integer 0-99");
  if (typeof p.format !== "string" || p.format === "") throw bad("format must be a non-empty string");
  if (typeof p.data_b64 !== "string" || p.data_b64.length % 4 !== 0 || !BASE64.test(p.data_b64))
    throw bad("data_b64 must be base64");
  return { user_id: p.user_id, kind: p.kind, index: p.index, format: p.format, data_b64: p.data_b64 };
}
