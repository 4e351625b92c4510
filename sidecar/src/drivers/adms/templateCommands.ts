import type { BiometricTemplate } from "../../domain/biometricTemplate.js";
import { SidecarError } from "../../errors.js";
import { ADMS_FP_FORMAT } from "./operlogUsers.js";

/** BIODATA's Type for a fingerprint; faces are 2 (near-infrared) and 9 (visible light). */
const BIODATA_FINGER = "1";
const BIODATA_FACES = new Set(["2", "9"]);

/**
 * The getrequest command that writes one template in the form the terminal uploaded it (operlogUsers.ts,
 * parseTemplateLines), so a template goes back to a terminal of the same kind exactly as it came:
 * - "zkfp10" fingerprints: `DATA UPDATE FINGERTMP PIN=..\tFID=..\tSize=..\tValid=1\tTMP=..`;
 * - "face-adms" faces (FACE lines): `DATA UPDATE FACE PIN=..\tFID=..\tSize=..\tValid=1\tTMP=..`;
 * - BIODATA fingerprints ("zkfp<MajorVer>") and faces ("face-<Type>-<MajorVer>.<MinorVer>"): `DATA UPDATE BIODATA
 *   Pin=..\tNo=..\tIndex=..\tValid=1\tDuress=0\tType=..\tMajorVer=..\tMinorVer=..\tFormat=0\tTmp=..`.
 * Any other format is refused (TEMPLATE_REFUSED); the message never quotes the data.
 */
export function templateCommand(t: BiometricTemplate): string {
  const size = Buffer.from(t.data_b64, "base64").length;
  const where = `user ${t.user_id}, ${t.kind} ${t.index}`;
  if (t.kind === "fingerprint") {
    if (t.index > 9)
      throw new SidecarError("TEMPLATE_INVALID", `finger number ${t.index} is not 0-9 (${where})`);
    if (t.format === ADMS_FP_FORMAT)
      return `DATA UPDATE FINGERTMP PIN=${t.user_id}\tFID=${t.index}\tSize=${size}\tValid=1\tTMP=${t.data_b64}`;
    const major = /^zkfp(\d{1,3})$/.exec(t.format)?.[1];
    if (major) return biodata(t, t.index, 0, BIODATA_FINGER, major, "0");
  } else {
    if (t.format === "face-adms")
      return `DATA UPDATE FACE PIN=${t.user_id}\tFID=${t.index}\tSize=${size}\tValid=1\tTMP=${t.data_b64}`;
    const face = /^face-(\d+)-(\d{1,3})\.(\d{1,3})$/.exec(t.format);
    if (face && BIODATA_FACES.has(face[1]!)) return biodata(t, 0, t.index, face[1]!, face[2]!, face[3]!);
  }
  throw new SidecarError(
    "TEMPLATE_REFUSED",
    `ADMS terminals take zkfp10, zkfp<version>, face-adms and face-<2|9>-<version> templates, not ${t.format} (${where})`,
  );
}

function biodata(
  t: BiometricTemplate,
  no: number,
  index: number,
  type: string,
  major: string,
  minor: string,
): string {
  return (
    `DATA UPDATE BIODATA Pin=${t.user_id}\tNo=${no}\tIndex=${index}\tValid=1\tDuress=0\tType=${type}` +
    `\tMajorVer=${major}\tMinorVer=${minor}\tFormat=0\tTmp=${t.data_b64}`
  );
}
