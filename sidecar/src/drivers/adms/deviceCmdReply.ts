/** One command result from `POST /iclock/devicecmd` (device-protocols.md §3.6). */
export interface CommandReply {
  readonly id: string;
  /** The `Return` code; null when absent or not a number. */
  readonly returnCode: number | null;
  /** The `CMD` echo ("DATA", "INFO", "CHECK", "SET OPTION", …). */
  readonly cmd: string;
  /** Every other `key=value` of the reply line (VERIFY SUM's AttlogSum, StartTime, …). */
  readonly fields: Readonly<Record<string, string>>;
  /** `Key=Value` lines following the reply line (INFO's device parameters). */
  readonly info: Readonly<Record<string, string>>;
}

const MAX_REPLIES = 10_000;

/**
 * Parses a devicecmd body: `ID=..&Return=..&CMD=..` lines, each possibly followed by `Key=Value` lines (INFO).
 * Some replies put every field on its own line (`ID=..\nReturn=..\nCMD=..`); both shapes are read. Values are
 * taken literally (firmware does not URL-encode; a time value holds a space). Lines before the first `ID=`
 * cannot belong to a command and are returned in `orphans`. Never throws.
 */
export function parseDeviceCmdBody(body: string): { replies: CommandReply[]; orphans: string[] } {
  const replies: CommandReply[] = [];
  const orphans: string[] = [];
  let current: {
    id: string;
    fields: Record<string, string>;
    info: Record<string, string>;
  } | null = null;
  const finish = (): void => {
    if (!current || replies.length >= MAX_REPLIES) return;
    const { Return: ret, CMD: cmd = "", ...fields } = current.fields;
    replies.push({
      id: current.id,
      returnCode: ret !== undefined && /^-?\d{1,6}$/.test(ret.trim()) ? Number(ret.trim()) : null,
      cmd,
      fields,
      info: current.info,
    });
  };
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.replace(/\0+$/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("ID=")) {
      finish();
      const fields: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const part of line.split("&")) {
        const eq = part.indexOf("=");
        if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
      }
      const id = fields.ID ?? "";
      delete fields.ID;
      current = { id, fields, info: Object.create(null) as Record<string, string> };
      continue;
    }
    if (!current) {
      orphans.push(line);
      continue;
    }
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq) : line;
    const value = eq > 0 ? line.slice(eq + 1) : "";
    // The one-field-per-line shape: Return and CMD fill the reply itself, the rest is information.
    if ((key === "Return" || key === "CMD") && current.fields[key] === undefined) current.fields[key] = value;
    else current.info[key] = value;
  }
  finish();
  return { replies, orphans };
}

/** What a non-zero `Return` means (V5.8 appendix 1), for error messages. */
export function returnCodeMeaning(code: number): string {
  switch (code) {
    case 0:
      return "success";
    case -1:
      return "parameter error";
    case -3:
      return "read/write error";
    case -10:
      return "no such user";
    case -1001:
      return "capacity exceeded";
    case -1002:
      return "command not supported";
    case -1003:
      return "command timed out";
    case -1005:
      return "device busy";
    default:
      return `error ${code}`;
  }
}
