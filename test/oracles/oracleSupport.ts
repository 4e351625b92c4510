/**
 * Shared by the oracle tests: an oracle that cannot run must say so loudly and skip, never pass silently.
 */
export function warnSkipped(oracle: string, reason: string, fix: string): void {
  const line = "=".repeat(88);
  console.warn(
    [
      "",
      line,
      `  ORACLE SKIPPED: ${oracle}`,
      `  ${reason}`,
      `  The ZK simulator is NOT being checked against ${oracle} in this run.`,
      `  Fix: ${fix}`,
      line,
      "",
    ].join("\n"),
  );
}
