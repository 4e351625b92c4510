import type { BiometricTemplate } from "../domain/biometricTemplate.js";
import { z } from "zod";
import type { UserRecord } from "../domain/deviceUser.js";
import type { PunchKey } from "../domain/punch.js";
import { SiteError } from "../errors.js";
import type { SiteClient } from "./siteClient.js";

const METHOD = "biometric_sync.api.sidecar";

/** A device as the site hands it to its sidecar (get_config), secrets included. */
export const siteDeviceSchema = z.object({
  name: z.string().min(1),
  enabled: z.boolean(),
  driver: z.string(),
  host: z.string().nullish(),
  port: z.number().int().nullish(),
  url: z.string().nullish(),
  serial_number: z.string().nullish(),
  username: z.string().nullish(),
  comm_key: z.string().nullish(),
  password: z.string().nullish(),
  time_zone: z.string().nullish(),
  pull_interval_minutes: z.number().nullish(),
  allow_clear_log: z.boolean().nullish(),
  /** eSSL: the device's history is imported from here ("YYYY-MM-DD HH:MM:SS", device-local). */
  import_since: z.string().nullish(),
});
export type SiteDevice = z.infer<typeof siteDeviceSchema>;

const configSchema = z.object({
  sidecar: z.string(),
  site_time_zone: z.string().nullish(),
  direction_rules: z.object({ in: z.array(z.number().int()), out: z.array(z.number().int()) }).nullish(),
  adms_listen_address: z.string().nullish(),
  devices: z.array(siteDeviceSchema),
});
export type SiteConfig = z.infer<typeof configSchema>;

export const commandTypes = [
  "pull",
  "pull_range",
  "test_connection",
  "sync_time",
  "reload_config",
  "clear_log",
  "users_read",
  "user_set",
  "user_delete",
  "template_set",
] as const;

/** Punches per confirm_punches call (each {uid: 64 characters, time}: ~500 KB of request). */
const CONFIRM_CHUNK = 2000;

const confirmSchema = z.object({ missing: z.array(z.string()) });

const usersReceivedSchema = z.object({ received: z.number().int().nonnegative() });

const templatesStoredSchema = z.object({
  stored: z.number().int().nonnegative(),
  skipped: z.string().optional(),
});

/** Templates per report_templates call (a ZK fingerprint template is ~0.5-2 kB: ≤ ~1.5 MB of request). */
export const TEMPLATE_CHUNK = 500;

const commandSchema = z.object({
  name: z.string(),
  command_type: z.string(),
  device: z.string().nullish(),
  payload: z.unknown().optional(),
  sync_log: z.string().nullish(),
  attempts: z.number().nullish(),
});
export type SiteCommand = z.infer<typeof commandSchema>;

const claimSchema = z.object({ commands: z.array(commandSchema) });

export interface DeviceHealth {
  readonly device: string;
  /** Absent: not known yet (not read since the sidecar started); the site keeps the device's status. */
  readonly online?: boolean;
  /** With online false: the coded reason (the site shows the device in Error). */
  readonly error?: string;
  readonly clock_drift_seconds?: number;
  readonly memory_used_percent?: number;
  readonly read_through?: string;
  /** The live channel: up, down (then live_error "<CODE>: message" and live_since, ISO), off (none). */
  readonly live?: "up" | "down" | "off";
  readonly live_error?: string;
  readonly live_since?: string;
}

export interface CommandResult {
  readonly read?: number;
  readonly error?: string;
  readonly code?: string;
  readonly read_through?: string;
  readonly clock_drift_seconds?: number;
  readonly memory_used_percent?: number;
  readonly [key: string]: unknown;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, method: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new SiteError(
      "SITE_BAD_RESPONSE",
      `${method}: unexpected answer (${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`,
    );
  }
  return result.data;
}

/** The sidecar endpoints of biometric_sync.api.sidecar (design.md "Sidecar endpoints"), answers validated. */
export class SiteApi {
  constructor(
    private readonly client: SiteClient,
    readonly sidecar: string,
  ) {}

  async getConfig(signal?: AbortSignal): Promise<SiteConfig> {
    return parse(
      configSchema,
      await this.client.call(`${METHOD}.get_config`, { sidecar: this.sidecar }, signal),
      "get_config",
    );
  }

  async heartbeat(
    status: { version: string; spool_depth: number; devices: DeviceHealth[] },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.call(`${METHOD}.heartbeat`, { sidecar: this.sidecar, status }, signal);
  }

  async claimCommands(signal?: AbortSignal): Promise<SiteCommand[]> {
    return parse(
      claimSchema,
      await this.client.call(`${METHOD}.claim_commands`, { sidecar: this.sidecar }, signal),
      "claim_commands",
    ).commands;
  }

  async reportProgress(
    command: string,
    done: number,
    total: number,
    message: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.call(`${METHOD}.report_progress`, { command, done, total, message }, signal);
  }

  /** An ADMS terminal nobody configured pushed to us: the site records it as Discovered, awaiting approval. */
  async reportUnknownDevice(
    serialNumber: string,
    remoteAddress: string | null,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.call(
      `${METHOD}.report_unknown_device`,
      { sidecar: this.sidecar, serial_number: serialNumber, remote_address: remoteAddress },
      signal,
    );
  }

  /**
   * Which of these punches the site has NOT staged (no Biometric Punch of that device with that uid and time):
   * what a clear waits for. Asked in chunks; the answer lists the missing uids only. The time goes along
   * because the site finds a punch by its time and uid (its primary key), not by the uid alone.
   */
  async unconfirmedPunches(
    device: string,
    punches: readonly PunchKey[],
    signal?: AbortSignal,
  ): Promise<string[]> {
    const missing: string[] = [];
    for (let i = 0; i < punches.length; i += CONFIRM_CHUNK) {
      const answer = parse(
        confirmSchema,
        await this.client.call(
          `${METHOD}.confirm_punches`,
          {
            sidecar: this.sidecar,
            device,
            punches: punches.slice(i, i + CONFIRM_CHUNK).map(({ uid, time }) => ({ uid, time })),
          },
          signal,
        ),
        "confirm_punches",
      );
      missing.push(...answer.missing);
    }
    return missing;
  }

  /**
   * Reports a device's users (the site's Device User rows have one writer: these reports). `complete`: this is
   * every user on the device, so the site drops the rows it has that are not listed; otherwise only these
   * users changed, and `removed` names the ones that are gone. Answers how many records the site took.
   */
  async reportDeviceUsers(
    device: string,
    users: readonly UserRecord[],
    complete: boolean,
    removed?: readonly string[],
    signal?: AbortSignal,
  ): Promise<number> {
    return parse(
      usersReceivedSchema,
      await this.client.call(
        `${METHOD}.report_device_users`,
        { sidecar: this.sidecar, device, users, complete, ...(removed && { removed }) },
        signal,
      ),
      "report_device_users",
    ).received;
  }

  /**
   * Fingerprint / face templates a terminal holds (issue 13, opt-in), in chunks. The site stores nothing when its
   * setting is off (`skipped: "off"`). Biometric data: the request body is never logged.
   */
  async reportTemplates(
    device: string,
    templates: readonly BiometricTemplate[],
    signal?: AbortSignal,
  ): Promise<{ stored: number; skipped?: string }> {
    let stored = 0;
    for (let at = 0; at === 0 || at < templates.length; at += TEMPLATE_CHUNK) {
      const answer = parse(
        templatesStoredSchema,
        await this.client.call(
          `${METHOD}.report_templates`,
          { sidecar: this.sidecar, device, templates: templates.slice(at, at + TEMPLATE_CHUNK) },
          signal,
        ),
        "report_templates",
      );
      if (answer.skipped) return { stored, skipped: answer.skipped };
      stored += answer.stored;
    }
    return { stored };
  }

  async completeCommand(
    command: string,
    status: "Done" | "Failed",
    result: CommandResult,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.call(`${METHOD}.complete_command`, { command, status, result }, signal);
  }
}
