import { z } from "zod";
import { DEFAULT_DIRECTION_RULES, directionRuleProblems } from "../domain/direction.js";
import { isValidTimeZone } from "../domain/timeZone.js";
import { parseAdmsUrl } from "../drivers/adms/admsUrl.js";
import { driverForUrl } from "../drivers/registry.js";
import { silentLogger } from "../logging/logger.js";
import { ConfigError } from "../errors.js";

const punchState = z.number().int().min(0).max(255);

const directionRulesSchema = z
  .object({ in: z.array(punchState), out: z.array(punchState) })
  .superRefine((rules, ctx) => {
    for (const problem of directionRuleProblems(rules)) ctx.addIssue({ code: "custom", message: problem });
  });

const timeZone = z.string().refine(isValidTimeZone, { message: "not an IANA time zone (e.g. Asia/Kolkata)" });

export const deviceSchema = z
  .object({
    name: z.string().min(1, "a device needs a name"),
    /** adms: a terminal that pushes to the sidecar, `adms://SERIAL_NUMBER` (read by `pull`'s push server). */
    driver: z.enum(["zk", "hikvision", "essl", "adms"]),
    url: z.string(),
    timeZone: timeZone.optional(),
    pullIntervalSeconds: z.number().int().min(10).max(86_400).default(300),
    enabled: z.boolean().default(true),
  })
  .superRefine((device, ctx) => {
    try {
      const scheme = /^([a-z]+):/i.exec(device.url)?.[1]?.toLowerCase();
      const family = scheme === "ebioserver" ? "essl" : scheme;
      if (family !== device.driver) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: `a ${device.driver} device needs a ${device.driver}:// URL`,
        });
        return;
      }
      if (device.driver === "adms") parseAdmsUrl(device.url);
      else driverForUrl(device.url, { logger: silentLogger, timeoutMs: 1000, state: null });
    } catch (error) {
      for (const problem of error instanceof ConfigError ? error.problems : [String(error)]) {
        ctx.addIssue({ code: "custom", path: ["url"], message: problem });
      }
    }
  });

/** The site this sidecar serves (service mode); its devices then come from the site, not from this file. */
export const siteSchema = z
  .object({
    url: z.string().url("must be the site's web address, e.g. https://erp.example.com"),
    siteName: z.string().min(1),
    /** Frappe's socket.io server; default: the site URL (production, behind nginx). Development: http://127.0.0.1:9000. */
    socketUrl: z.string().url().optional(),
    sidecar: z.string().min(1, "the Biometric Sidecar name this sidecar runs as"),
    apiKey: z.string().min(1),
    /** The secret itself, or (better) the name of the environment variable or file that holds it. */
    apiSecret: z.string().min(1).optional(),
    apiSecretEnv: z.string().min(1).optional(),
    apiSecretFile: z.string().min(1).optional(),
    claimIntervalSeconds: z.number().int().min(5).max(3600).default(30),
    heartbeatIntervalSeconds: z.number().int().min(5).max(3600).default(60),
    configRefreshSeconds: z.number().int().min(30).max(86_400).default(300),
    /** Clear Log and user deletes: how long to wait for the site to confirm the punches read before giving up. */
    clearConfirmSeconds: z.number().int().min(5).max(3600).default(120),
  })
  .strict()
  .superRefine((site, ctx) => {
    const sources = [site.apiSecret, site.apiSecretEnv, site.apiSecretFile].filter(
      (v) => v !== undefined,
    ).length;
    if (sources !== 1)
      ctx.addIssue({ code: "custom", message: "give exactly one of apiSecret, apiSecretEnv, apiSecretFile" });
  });

export const configSchema = z
  .object({
    spoolDir: z.string().min(1),
    site: siteSchema.optional(),
    logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    directionRules: directionRulesSchema.default(() => ({
      in: [...DEFAULT_DIRECTION_RULES.in],
      out: [...DEFAULT_DIRECTION_RULES.out],
    })),
    devices: z.array(deviceSchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.devices.forEach((device, index) => {
      if (seen.has(device.name))
        ctx.addIssue({
          code: "custom",
          path: ["devices", index, "name"],
          message: `duplicate device name "${device.name}"`,
        });
      seen.add(device.name);
    });
  });

export type SidecarConfig = z.infer<typeof configSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type SiteSettings = z.infer<typeof siteSchema>;
