/** Biometric Command as the page follows it (biometric_sync.api.desk.command_status). */

export type CommandStatus = "Queued" | "Claimed" | "Running" | "Done" | "Failed" | "Expired";

export interface CommandState {
  name: string;
  command_type: string;
  device?: string | null;
  /** A CommandStatus (a string, so that a status added on the site later does not break the page). */
  status: string;
  progress_done?: number | null;
  progress_total?: number | null;
  progress_message?: string | null;
  error?: string | null;
  result?: Record<string, unknown> | null;
  sync_log?: string | null;
  sync_log_counts?: SyncCounts | null;
}

export interface SyncCounts {
  status?: string;
  read_count?: number;
  new_count?: number;
  duplicate_count?: number;
  unmapped_count?: number;
  error_count?: number;
}

export const FINISHED: readonly string[] = ["Done", "Failed", "Expired"];
export const OPEN: readonly string[] = ["Queued", "Claimed", "Running"];

export function isFinished(status: string | null | undefined): boolean {
  return !!status && FINISHED.includes(status);
}

/** 0..100. Done is 100 whatever the counters say; a command without a total yet is 0. */
export function progressPercent(
  command: Pick<CommandState, "status" | "progress_done" | "progress_total">,
): number {
  if (command.status === "Done") return 100;
  const total = Number(command.progress_total) || 0;
  const done = Number(command.progress_done) || 0;
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((100 * done) / total)));
}

const LABELS: Record<string, string> = {
  pull: "Sync",
  pull_range: "Sync date range",
  test_connection: "Test connection",
  sync_time: "Set device clock",
  reload_config: "Reload config",
  clear_log: "Clear device log",
};

export function commandLabel(type: string | null | undefined): string {
  return (type && LABELS[type]) || type || "Command";
}

/** One line for the progress bar: what the sidecar said, or what the status means. */
export function progressMessage(command: CommandState): string {
  switch (command.status) {
    case "Queued":
      return "Waiting for the sidecar to pick it up…";
    case "Claimed":
      return "The sidecar is connecting to the device…";
    case "Running":
      return command.progress_message || "Reading…";
    case "Done":
      return "Finished";
    case "Expired":
      return "The sidecar did not finish it in time (is it running?)";
    case "Failed":
      return command.error || "Failed";
    default:
      return command.status;
  }
}

/** "Read 120 · new 118 · duplicates 2 · unmapped 3 · errors 0" from a pull's sync log. */
export function countsSummary(counts: SyncCounts | null | undefined): string {
  if (!counts) return "";
  const parts: [string, number | undefined][] = [
    ["read", counts.read_count],
    ["new", counts.new_count],
    ["duplicates", counts.duplicate_count],
    ["unmapped", counts.unmapped_count],
    ["errors", counts.error_count],
  ];
  return parts
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([label, value], index) => `${index ? label : label[0]!.toUpperCase() + label.slice(1)} ${value}`)
    .join(" · ");
}

export interface TestResultRow {
  label: string;
  value: string;
}

/** The fields of a test_connection result worth showing, in order, skipping what the driver did not report. */
export function testResultRows(result: Record<string, unknown> | null | undefined): TestResultRow[] {
  if (!result) return [];
  const rows: TestResultRow[] = [];
  const text = (value: unknown): string | null => {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "string") return value;
    return typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);
  };
  const add = (label: string, value: string | null): void => {
    if (value !== null) rows.push({ label, value });
  };
  add("Device name", text(result.device_name));
  add("Serial number", text(result.serial_number));
  add("Firmware", text(result.firmware));
  add("Platform", text(result.platform));
  add("Users", text(result.users));
  const punches = text(result.punches);
  const capacity = text(result.capacity);
  add("Punches stored", punches && capacity ? `${punches} of ${capacity}` : punches);
  add("Device clock", text(result.device_clock));
  if (typeof result.clock_drift_seconds === "number") {
    const s = Math.round(result.clock_drift_seconds);
    add("Clock drift", s === 0 ? "in sync" : `${Math.abs(s)} s ${s > 0 ? "ahead" : "behind"}`);
  }
  if (typeof result.memory_used_percent === "number")
    add("Memory used", `${Math.round(result.memory_used_percent)}%`);
  return rows;
}

export interface RangeInput {
  from?: string | null;
  to?: string | null;
}

/**
 * Sync Now's optional date range ("YYYY-MM-DD", site-local) → the arguments of desk.sync_now, or an error
 * message. Empty both → a plain pull of what is new.
 */
export function syncRangeParams(
  range: RangeInput,
): { from_time?: string; to_time?: string } | { error: string } {
  const from = range.from?.trim() || "";
  const to = range.to?.trim() || "";
  const valid = (value: string): boolean =>
    /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));
  if (from && !valid(from)) return { error: "From is not a date" };
  if (to && !valid(to)) return { error: "To is not a date" };
  if (from && to && from > to) return { error: "From is after To" };
  return { ...(from && { from_time: from }), ...(to && { to_time: to }) };
}
