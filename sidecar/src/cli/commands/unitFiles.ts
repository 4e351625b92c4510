import path from "node:path";
import { ConfigError } from "../../errors.js";
import type { ParsedArgs } from "../args.js";
import { SERVICE_NODE_FLAGS } from "../serviceNodeFlags.js";

export type UnitKind = "systemd" | "supervisor" | "procfile";

export interface UnitPlan {
  readonly node: string;
  readonly bundle: string;
  readonly config: string;
  readonly user: string;
}

/** `node` with the service's memory caps, then the bundle. */
function nodeCommand(p: UnitPlan): string {
  return [p.node, ...SERVICE_NODE_FLAGS, p.bundle].join(" ");
}

/** A systemd unit: restarted on failure; the API secret comes from an EnvironmentFile, not the unit. */
export function systemdUnit(p: UnitPlan): string {
  return `[Unit]
Description=biometric_sync sidecar (attendance terminals to ERPNext)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${p.user}
ExecStart=${nodeCommand(p)} run --config ${p.config}
# BSYNC_API_SECRET=... (referenced by apiSecretEnv in the config); keep this file mode 600.
EnvironmentFile=-/etc/biometric-sidecar.env
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
`;
}

/** A supervisor program, as bench's production setup uses supervisor for its own processes. */
export function supervisorProgram(p: UnitPlan): string {
  return `[program:biometric-sidecar]
command=${nodeCommand(p)} run --config ${p.config}
user=${p.user}
autostart=true
autorestart=true
stopsignal=TERM
stopwaitsecs=20
redirect_stderr=true
stdout_logfile=/var/log/biometric-sidecar.log
`;
}

/** A Procfile line for `bench start` in development. */
export function procfileLine(p: UnitPlan): string {
  return `biometric_sidecar: ${nodeCommand(p)} run --config ${p.config}\n`;
}

export function runUnitFiles(
  rest: readonly string[],
  args: ParsedArgs,
  print: (line: string) => void,
): number {
  const kind = rest[0] as UnitKind | undefined;
  const problems: string[] = [];
  if (kind !== "systemd" && kind !== "supervisor" && kind !== "procfile")
    problems.push(`unit needs one of systemd, supervisor, procfile (got "${kind ?? ""}")`);
  if (!args.values.config) problems.push("unit needs --config FILE (the config the service will run with)");
  if (problems.length) throw new ConfigError(problems);
  const plan: UnitPlan = {
    node: process.execPath,
    bundle: path.resolve(process.argv[1] ?? "biometric-sidecar.mjs"),
    config: path.resolve(args.values.config!),
    user: process.env.SUDO_USER ?? process.env.USER ?? "frappe",
  };
  print(
    (kind === "systemd" ? systemdUnit : kind === "supervisor" ? supervisorProgram : procfileLine)(
      plan,
    ).trimEnd(),
  );
  return 0;
}
