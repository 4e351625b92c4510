import { checkUserId, checkUserInput, type UserRecord } from "../../domain/deviceUser.js";
import { isAdmsUrl, parseAdmsUrl } from "../../drivers/adms/admsUrl.js";
import type { DeviceDriver } from "../../drivers/driver.js";
import { driverForUrl } from "../../drivers/registry.js";
import { SidecarError, toSidecarError } from "../../errors.js";
import type { Logger } from "../../logging/logger.js";
import { writeFileAtomic } from "../../output/atomicFile.js";
import { UserDeleter } from "../../service/userDeleter.js";
import { requireUsers } from "../../service/userSupport.js";
import { renderTable } from "../table.js";
import { AdmsSession } from "./admsSession.js";
import { loadUserRows, renderUsers, USER_COLUMNS } from "./usersFile.js";
import type { UsersPlan } from "./usersPlan.js";

interface OpenDevice {
  readonly driver: DeviceDriver;
  readonly label: string;
  readonly close: () => Promise<void>;
}

/**
 * An ADMS terminal is reached through a push server that runs for this command only: it must call in (set its
 * ADMS server to this computer and --adms-port). Punches it uploads meanwhile are answered non-OK, so the
 * terminal keeps them for the pull or service that stores them.
 */
async function openDevice(plan: UsersPlan, logger: Logger): Promise<OpenDevice> {
  if (!isAdmsUrl(plan.url)) {
    const { driver, label } = driverForUrl(plan.url, { logger, timeoutMs: plan.timeoutMs, state: null });
    return { driver, label, close: () => driver.disconnect() };
  }
  const parsed = parseAdmsUrl(plan.url);
  const stamps = new Map<string, string>();
  const session = await AdmsSession.start({
    ...plan.adms,
    devices: [
      { serialNumber: parsed.serialNumber, deviceName: parsed.deviceName, timeZone: parsed.timeZone },
    ],
    sink: {
      append: () =>
        Promise.reject(
          new SidecarError("ADMS_SINK_FAILED", "users does not keep punches; the terminal sends them again"),
        ),
    },
    state: {
      get: (key) => stamps.get(key),
      set: (key, value) => Promise.resolve(void stamps.set(key, value)),
    },
    logger,
  });
  try {
    await session.waitForContact(parsed.serialNumber);
  } catch (error) {
    await session.stop();
    throw error;
  }
  return {
    driver: session.driverFor(parsed.serialNumber),
    label: `adms://${parsed.serialNumber}`,
    close: () => session.stop(),
  };
}

/** `biometric-sidecar users list|set|delete|push`: device users without a site. Returns the exit code. */
export async function runUsers(
  plan: UsersPlan,
  logger: Logger,
  print: (line: string) => void,
): Promise<number> {
  // A bad file is a bad argument (exit 2) before any device is touched.
  const rows = plan.sub === "push" ? await loadUserRows(plan.file!) : [];
  const device = await openDevice(plan, logger);
  try {
    const users = requireUsers(device.driver, device.label);
    switch (plan.sub) {
      case "list": {
        const list = await users.readUsers();
        print(renderTable([...USER_COLUMNS], list.map(row)));
        print(`${list.length} users on ${device.label}`);
        if (plan.out) {
          await writeFileAtomic(plan.out, renderUsers(list, plan.format));
          print(`wrote ${plan.out}`);
        }
        return 0;
      }
      case "set": {
        const input = checkUserInput({
          user_id: plan.userId,
          name: plan.name,
          ...(plan.card !== undefined && { card: plan.card }),
        });
        const result = await users.setUser(input);
        print(`user ${result.user_id} on ${device.label}: ${result.action}`);
        return 0;
      }
      case "delete": {
        const userId = checkUserId(plan.userId);
        const deleter = new UserDeleter({
          withDevice: (_device, work) => work(),
          // No site here: nothing is spooled, the punches stay on the device; the rule is below.
          sink: { append: () => Promise.resolve() },
          confirm: (_device, punches) => confirmWithoutSite(userId, punches.size, plan.punchesSaved),
          logger,
        });
        const result = await deleter.delete({
          device: device.label,
          driver: device.driver,
          userId,
          mode: "delete",
        });
        print(`user ${userId} on ${device.label}: ${result.action}`);
        return 0;
      }
      case "push":
        return await push(plan, rows, device, print);
    }
  } finally {
    await device.close();
  }
}

function row(u: UserRecord): string[] {
  const cell = (v: string | boolean | null): string => (v === null ? "" : String(v));
  return USER_COLUMNS.map((c) => cell(u[c]));
}

/**
 * Without a site nobody can confirm the user's punches: a delete goes ahead only when the device holds none of
 * theirs, or when the person says they pulled them into a file (--punches-saved).
 */
function confirmWithoutSite(userId: string, punches: number, saved: boolean): Promise<void> {
  if (punches === 0 || saved) return Promise.resolve();
  return Promise.reject(
    new SidecarError(
      "USER_PUNCHES_UNCONFIRMED",
      `user ${userId} has ${punches} punches on the device and no site confirms them; pull them first (biometric-sidecar pull --device URL --out FILE), then repeat with --punches-saved`,
      { details: { userId, punches } },
    ),
  );
}

/** Creates or updates every user of the file (never deletes, never touches an admin); one line per user. */
async function push(
  plan: UsersPlan,
  rows: Awaited<ReturnType<typeof loadUserRows>>,
  device: OpenDevice,
  print: (line: string) => void,
): Promise<number> {
  const { setUser } = requireUsers(device.driver, device.label);
  const lines: string[][] = [];
  let failed = 0;
  for (const r of rows) {
    try {
      const input = checkUserInput({
        user_id: r.user_id,
        name: r.name,
        ...(r.card !== undefined && { card: r.card }),
      });
      const result = await setUser(input, undefined, { dryRun: plan.dryRun });
      const action =
        result.action === "created" ? "create" : result.action === "updated" ? "update" : "unchanged";
      lines.push([
        r.user_id,
        r.name,
        plan.dryRun && action !== "unchanged" ? `would ${action}` : result.action,
      ]);
    } catch (error) {
      const coded = toSidecarError(error);
      // A device that stopped answering fails every later user the same way: stop there.
      failed++;
      lines.push([r.user_id, r.name, `refused ${coded.code}: ${coded.message}`]);
      if (coded.retryable && !coded.code.startsWith("USER_")) break;
    }
  }
  print(renderTable(["user_id", "name", plan.dryRun ? "would do" : "done"], lines));
  const skipped = rows.length - lines.length;
  print(
    `${rows.length} users in the file; ${failed} refused or failed${skipped ? `, ${skipped} not tried (the device stopped answering)` : ""}${plan.dryRun ? "; dry run: nothing written" : ""}`,
  );
  return failed || skipped ? 1 : 0;
}
