import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeDeskSite } from "../../fakes/fakeDeskSite.js";
import { CHROMIUM, ensureBuilt, launch, screenshotPath, warnSkipped } from "./browser.js";

/**
 * The HR page at /biometric in a real browser (Debian's chromium, headless) against the built page served by
 * the fake desk site: every page opens, Sync Now's progress reaches 100% through realtime events, mapping an
 * unmapped user id makes the counts drop, roles and errors are handled. Screenshots go to .tmp/screenshots
 * (BSYNC_SCREENSHOT_DIR=docs/screenshots to refresh the README's).
 */

if (!CHROMIUM) {
  warnSkipped(
    process.env.CHROMIUM_PATH
      ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist.`
      : "No chromium binary found (/usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome).",
  );
}

const LAPTOP = { width: 1440, height: 900 };
const TABLET = { width: 820, height: 1180 };

async function login(context: BrowserContext, site: FakeDeskSite, usr: string, pwd: string): Promise<void> {
  const response = await context.request.post(`${site.url}/api/method/login`, { data: { usr, pwd } });
  expect(response.status()).toBe(200);
}

function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    // A failed request logs "Failed to load resource"; the error-state test causes those on purpose.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      errors.push(`console: ${message.text()}`);
  });
  return errors;
}

async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  // Let transitions (dialogs, progress bars) settle so the picture shows the state the test asserted.
  await page.waitForTimeout(300);
  await page.screenshot({ path: screenshotPath(name), fullPage });
}

async function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return Promise.all((await page.locator(selector).all()).map((item) => item.getAttribute(name)));
}

async function text(page: Page, testid: string): Promise<string> {
  return ((await page.getByTestId(testid).first().textContent()) ?? "").replace(/\s+/g, " ").trim();
}

describe.skipIf(!CHROMIUM)("the HR page in a browser", () => {
  let site: FakeDeskSite;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ensureBuilt();
    site = new FakeDeskSite();
    await site.start();
    browser = await launch();
    context = await browser.newContext({ viewport: LAPTOP });
    await login(context, site, "Administrator", "admin");
    page = await context.newPage();
    errors = trackErrors(page);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  const go = async (path: string): Promise<void> => {
    await page.goto(`${site.url}${path}`);
  };

  it("sends guests to the login page and back, and people without the roles to the login page", async () => {
    const guest = await browser.newContext();
    const p = await guest.newPage();
    await p.goto(`${site.url}/biometric/devices/Main%20Gate`);
    expect(new URL(p.url()).pathname).toBe("/login");
    expect(new URL(p.url()).searchParams.get("redirect-to")).toBe("/biometric/devices/Main Gate");
    await login(guest, site, "clerk@example.com", "clerk");
    await p.goto(`${site.url}/biometric`);
    expect(p.url()).toBe(`${site.url}/login`);
    await guest.close();
  });

  it("Overview: devices by status, sidecars, punches per hour, unmapped, alerts, last sync", async () => {
    await go("/biometric");
    await page.getByTestId("overview").waitFor();
    expect(await text(page, "stat-devices")).toContain("2 of 4");
    expect(await text(page, "stat-sidecars")).toContain("1 of 2");
    expect(await text(page, "stat-unmapped")).toContain("17");
    const punchesToday = Number(
      (await page.getByTestId("stat-punches").getByTestId("stat-value").textContent())?.replace(/[^\d]/g, ""),
    );
    expect(punchesToday).toBeGreaterThan(20);
    const kinds = await attributes(page, "[data-testid=alerts] li", "data-kind");
    expect(kinds.sort()).toEqual(["auth_failure", "clock_drift", "discovered", "memory", "sidecar_silent"]);
    // An unknown ADMS terminal is an alert with its serial and address, linked to its device page.
    const discovered = page.locator("[data-testid=alerts] li[data-kind=discovered]");
    expect(await discovered.textContent()).toContain("BAZR204960012");
    expect(await discovered.textContent()).toContain("192.168.2.40");
    const bars = (await attributes(page, "[data-testid=hourly-chart] [data-count]", "data-count")).map(
      Number,
    );
    expect(bars).toHaveLength(24);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(punchesToday);
    expect(await page.locator("[data-testid=last-sync] tbody tr").count()).toBe(6);
    expect(await text(page, "nav-unmapped-count")).toBe("17");
    await shot(page, "page-overview.png");
  });

  it("Overview: a punch staged now appears in the live feed at once, then as a checkin", async () => {
    await go("/biometric");
    await page.getByTestId("live-feed").waitFor();
    const name = site.stagePunch("Main Gate", "1");
    const row = page.locator(`[data-testid=live-feed] li[data-punch='${name}']`);
    // The page polls every 60 s: within seconds it can only have come through the realtime refresh.
    await row.waitFor({ timeout: 5_000 });
    expect(await page.locator("[data-testid=live-feed] li").first().getAttribute("data-punch")).toBe(name);
    await expect.poll(() => row.getByTestId("status").textContent(), { timeout: 5_000 }).toBe("Processed");
    expect(await row.textContent()).toContain("Aarav Sharma");
    const stranger = site.stagePunch("Main Gate", "7777");
    const unmapped = page.locator(`[data-testid=live-feed] li[data-punch='${stranger}']`);
    await unmapped.waitFor({ timeout: 5_000 });
    expect(await unmapped.textContent()).toContain("user id 7777 (not mapped)");
    // The later tests count the seeded punches.
    await new Promise((resolve) => setTimeout(resolve, 500));
    site.data.punches = site.data.punches.filter((p) => p.name !== name && p.name !== stranger);
  });

  it("Device: the live channel's state and, when down, why", async () => {
    await go("/biometric/devices/Canteen");
    await page.getByTestId("stat-live").waitFor();
    expect(await text(page, "stat-live")).toContain("Down");
    expect(await text(page, "stat-live")).toContain("DEVICE_CLOSED");
    await go("/biometric/devices/Main%20Gate");
    await page.getByTestId("stat-live").waitFor();
    expect(await page.getByTestId("stat-live").getByTestId("stat-value").textContent()).toBe("Up");
  });

  it("Devices: every device with status, last sync, clock and memory", async () => {
    await page.getByTestId("nav").getByText("Devices").click();
    await page.getByTestId("devices").waitFor();
    expect(await page.locator("[data-testid=devices] tbody tr").count()).toBe(6);
    const reception = page.locator("tr[data-device=Reception]");
    expect(await reception.getByTestId("status").first().textContent()).toContain("Error");
    await shot(page, "page-devices.png");
  });

  it("Device: Sync Now shows live progress up to 100% from realtime events, then the counts", async () => {
    await go("/biometric/devices/Main%20Gate");
    await page.getByTestId("device").waitFor();
    await page.getByTestId("sync-now").click();
    await page.getByTestId("sync-dialog").waitFor();
    await page.getByTestId("sync-submit").click();
    const progress = page.getByTestId("sync-progress");
    await progress.waitFor();
    const seen: number[] = [];
    const started = Date.now();
    let status = "";
    while (Date.now() - started < 15_000) {
      status = (await progress.getAttribute("data-status")) ?? "";
      const percent = Number(await progress.getAttribute("data-percent"));
      if (seen.at(-1) !== percent) seen.push(percent);
      if (status === "Done" || status === "Failed") break;
      await page.waitForTimeout(40);
    }
    expect(status).toBe("Done");
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // never goes back
    // The whole run takes ~2 s and the page polls every 5 s: intermediate values came from the events.
    expect(seen.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(3);
    const command = site.data.commands.find((c) => c.device === "Main Gate" && c.command_type === "pull")!;
    expect(site.subscriptions).toContainEqual({
      user: "Administrator",
      room: "doc:Biometric Device/Main Gate",
    });
    expect(site.subscriptions).toContainEqual({
      user: "Administrator",
      room: `doc:Biometric Command/${command.name}`,
    });
    expect(await text(page, "command-counts")).toContain("Read 3");
    await expect
      .poll(async () => (await page.locator("[data-testid=runs] tbody tr").first().textContent()) ?? "")
      .toContain("manual");
    await shot(page, "page-device.png", true);
  });

  it("Device: Sync Now with a date range queues pull_range for those whole days", async () => {
    await page.getByTestId("sync-now").click();
    await page.getByTestId("sync-dialog").waitFor();
    await page.locator("input[name=from]").fill("2026-11-19");
    await page.locator("input[name=to]").fill("2026-11-20");
    await page.getByTestId("sync-submit").click();
    await expect
      .poll(() => page.getByTestId("sync-progress").getAttribute("data-status"), { timeout: 10_000 })
      .toBe("Done");
    const command = site.data.commands.find((c) => c.command_type === "pull_range")!;
    expect(JSON.parse(command.payload)).toEqual({ from: "2026-11-19 00:00:00", to: "2026-11-20 23:59:59" });
  });

  it("Device: Test Connection shows what the device answered", async () => {
    await page.getByTestId("test-connection").click();
    const result = page.getByTestId("test-result");
    await result.waitFor({ timeout: 10_000 });
    expect(await result.textContent()).toContain("Serial number");
    expect(await result.textContent()).toContain("BJ2C183560123");
  });

  it("Device: a failing device shows the coded error of its command", async () => {
    await go("/biometric/devices/Reception");
    await page.getByTestId("last-error").waitFor();
    await page.getByTestId("test-connection").click();
    await expect
      .poll(() => page.getByTestId("test-progress").getAttribute("data-status"), { timeout: 10_000 })
      .toBe("Failed");
    expect(await page.getByTestId("test-progress").textContent()).toContain("DEVICE_AUTH_FAILED");
  });

  it("Device: Clear Log is offered where it can be done, after turning it on, and records the clear", async () => {
    await go("/biometric/devices/Reception");
    await page.getByTestId("settings").waitFor();
    // A Hikvision terminal's log cannot be cleared: no setting that would do nothing.
    expect(await page.getByTestId("cannot-clear").textContent()).toContain("hikvision");
    expect(await page.locator("input[name=allow_clear_log]").count()).toBe(0);

    await go("/biometric/devices/Canteen");
    await page.getByTestId("settings").waitFor();
    expect(await page.getByTestId("clear-log").count()).toBe(0);
    await page.locator("input[name=allow_clear_log]").check();
    await page.getByTestId("save-settings").click();
    await page.getByTestId("clear-log-start").click();
    await page.getByTestId("clear-log-confirm").click();
    await expect
      .poll(() => page.getByTestId("clear-progress").getAttribute("data-status"), { timeout: 10_000 })
      .toBe("Done");
    expect(await text(page, "clear-result")).toContain("Cleared 41532 records from the device");
    await expect
      .poll(() => page.getByTestId("stat-memory").getByTestId("stat-value").textContent())
      .toBe("0%");
    await page.getByTestId("run-cleared").first().waitFor();
    expect(await page.getByTestId("run-cleared").first().textContent()).toContain("cleared 41532");
    const clear = site.data.commands.find((c) => c.command_type === "clear_log")!;
    expect([clear.device, clear.status]).toEqual(["Canteen", "Done"]);
  });

  it("Unmapped: map a user id to an employee, the punches replay and the counts drop", async () => {
    await go("/biometric/unmapped");
    await page.getByTestId("unmapped").waitFor();
    expect(await text(page, "unmapped-ids")).toBe("4");
    expect(await text(page, "unmapped-punches")).toBe("17");
    const row = page.locator("tr[data-user-id='0042']");
    expect(await row.getByTestId("group-count").textContent()).toBe("9");
    await shot(page, "page-unmapped.png");

    await row.getByTestId("map").click();
    await page.getByTestId("map-dialog").waitFor();
    await page.locator("input[name=employee-search]").fill("Ananya");
    await page.locator("[data-employee='HR-EMP-00013']").click();
    await shot(page, "page-unmapped-map.png");
    await page.getByTestId("map-submit").click();

    await row.waitFor({ state: "detached" });
    expect(await text(page, "unmapped-ids")).toBe("3");
    expect(await text(page, "unmapped-punches")).toBe("8");
    await expect.poll(() => text(page, "nav-unmapped-count")).toBe("8");
    expect(site.data.employees.find((e) => e.name === "HR-EMP-00013")?.attendance_device_id).toBe("0042");
    await expect
      .poll(() => site.data.punches.filter((p) => p.device_user_id === "0042").map((p) => p.status))
      .toEqual(Array(9).fill("Processed"));
  });

  it("Unmapped: an employee who already has another id is not silently re-mapped", async () => {
    const row = page.locator("tr[data-user-id='118']");
    await row.getByTestId("map").click();
    await page.getByTestId("map-dialog").waitFor();
    await page.locator("input[name=employee-search]").fill("Priya");
    await page.locator("[data-employee='HR-EMP-00002']").click();
    expect(await page.getByTestId("map-dialog").textContent()).toContain("already has");
    await page.keyboard.press("Escape");
    await page.getByTestId("map-dialog").waitFor({ state: "detached" });
    expect(site.data.employees.find((e) => e.name === "HR-EMP-00002")?.attendance_device_id).toBe("2");
  });

  it("Punches: search by device user id, employee and status", async () => {
    await go("/biometric/punches?user_id=0042");
    await page.getByTestId("punches").waitFor();
    await expect.poll(() => text(page, "punch-count")).toBe("9 of 9");
    const statuses = await page.locator("[data-testid=punches] tbody [data-testid=status]").allTextContents();
    expect(statuses.map((s) => s.trim())).toEqual(Array(9).fill("Processed"));
    expect(await page.getByTestId("punches").textContent()).toContain("Ananya Iyer");

    await go("/biometric/punches");
    await page.getByTestId("punches").waitFor();
    await shot(page, "page-punches.png");
    await page.locator("select[name=status]").selectOption("Unmapped");
    await expect.poll(() => text(page, "punch-count")).toBe("8 of 8");
    expect(new URL(page.url()).searchParams.get("status")).toBe("Unmapped");
    await page.locator("select[name=status]").selectOption("");
    await page.locator("input[name=employee]").fill("priya");
    await expect
      .poll(
        async () =>
          new Set(
            await page
              .locator("[data-testid=punches] tbody tr td:nth-child(2) div:first-child")
              .allTextContents(),
          ),
      )
      .toEqual(new Set(["Priya Patel"]));
  });

  it("Sync logs: list and detail", async () => {
    await go("/biometric/logs");
    await page.getByTestId("logs").waitFor();
    await shot(page, "page-sync-logs.png");
    const first = page.locator("[data-testid=logs] tbody tr", { hasText: "manual" }).first();
    const name = await first.getAttribute("data-log");
    await first.click();
    await page.getByTestId("log").waitFor();
    expect(await text(page, "page-title")).toBe(name);
    await shot(page, "page-sync-log.png");
  });

  it("Attendance: what was marked per day, and why the others were not", async () => {
    await go("/biometric/attendance");
    await page.getByTestId("attendance-days").waitFor();
    const marks = site.data.attendance.marks;
    const days = [...new Set(marks.map((m) => m.attendance_date))].sort().reverse();
    const newest = page.locator(`[data-testid=attendance-days] tr[data-day='${days[0]}']`);
    // Yesterday: 13 mapped employees, one absent, one on leave (not marked), the rest present.
    expect((await newest.locator("td").allTextContents()).map((t) => t.trim())).toEqual([
      days[0],
      "11",
      "0",
      "1",
      "1",
      "1",
    ]);
    const leave = page.locator("[data-testid=attendance-marks] tr[data-employee='HR-EMP-00004']");
    expect(await leave.getByTestId("mark-reason").textContent()).toContain("approved leave");
    expect(await leave.getByTestId("status").textContent()).toContain("Skipped");
    const late = page.locator("[data-testid=attendance-marks] tr[data-employee='HR-EMP-00001']");
    expect(await late.getByTestId("late-punch").textContent()).toContain("the Attendance was not changed");
    await shot(page, "page-attendance.png");

    await page.locator(`[data-testid=attendance-days] tr[data-day='${days[1]}']`).click();
    const half = page.locator("[data-testid=attendance-marks] tr[data-employee='HR-EMP-00002']");
    await expect.poll(() => half.getByTestId("status").textContent()).toContain("Half Day");
  });

  it("Sidecars: the silent one says so", async () => {
    await go("/biometric/sidecars");
    await page.getByTestId("sidecars").waitFor();
    expect(await page.locator("[data-sidecar=Warehouse]").textContent()).toContain("No heartbeat for");
    expect(await page.locator("[data-sidecar=Warehouse] [data-testid=status]").textContent()).toContain(
      "Silent",
    );
    expect(await page.locator("[data-sidecar='Head Office'] [data-testid=status]").textContent()).toContain(
      "Online",
    );
    await shot(page, "page-sidecars.png");
  });

  it("works at tablet width: top navigation instead of the sidebar", async () => {
    await page.setViewportSize(TABLET);
    await go("/biometric");
    await page.getByTestId("overview").waitFor();
    expect(await page.getByTestId("nav-top").isVisible()).toBe(true);
    expect(await page.getByTestId("nav").isVisible()).toBe(false);
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "page-overview-tablet.png");
    await go("/biometric/devices/Main%20Gate");
    await page.getByTestId("device").waitFor();
    await shot(page, "page-device-tablet.png");
    await page.setViewportSize(LAPTOP);
  });

  it("shows an error state when the site cannot be reached, and recovers", async () => {
    await go("/biometric/devices");
    await page.getByTestId("devices").waitFor();
    site.unreachable = true;
    await go("/biometric/devices");
    await page.getByTestId("error-state").waitFor();
    expect(await page.getByTestId("error-state").getAttribute("data-kind")).toBe("offline");
    await page.getByTestId("banner-offline").waitFor();
    await shot(page, "page-error.png");
    site.clearFaults();
    await page.getByTestId("error-state").getByRole("button", { name: "Try again" }).click();
    await page.getByTestId("devices").waitFor();
    await page.getByTestId("banner-offline").waitFor({ state: "detached" });
  });

  it("re-joins the documents' rooms after the realtime server restarts", async () => {
    await go("/biometric/devices/Canteen");
    await page.getByTestId("device").waitFor();
    const room = "doc:Biometric Device/Canteen";
    await expect.poll(() => site.subscriptions.filter((s) => s.room === room).length).toBeGreaterThan(0);
    const before = site.subscriptions.filter((s) => s.room === room).length;
    site.dropRealtime();
    await expect
      .poll(() => site.subscriptions.filter((s) => s.room === room).length, { timeout: 10_000 })
      .toBeGreaterThan(before);
  });

  it("an HR Manager sees everything but Sync Now and settings", async () => {
    const hr = await browser.newContext({ viewport: LAPTOP });
    await login(hr, site, "hr@example.com", "hr");
    const p = await hr.newPage();
    const hrErrors = trackErrors(p);
    await p.goto(`${site.url}/biometric/devices/Main%20Gate`);
    await p.getByTestId("device").waitFor();
    expect(await p.getByTestId("sync-now").count()).toBe(0);
    expect(await p.getByText("Sync Now needs the Biometric Manager role").count()).toBe(1);
    expect(await p.getByTestId("save-settings").count()).toBe(0);
    await p.goto(`${site.url}/biometric/unmapped`);
    await p.getByTestId("unmapped").waitFor();
    expect(hrErrors).toEqual([]);
    await hr.close();
  });

  it("empty states on a site with nothing yet", async () => {
    const empty = new FakeDeskSite({ seed: "empty" });
    await empty.start();
    const ctx = await browser.newContext({ viewport: LAPTOP });
    try {
      await login(ctx, empty, "Administrator", "admin");
      const p = await ctx.newPage();
      await p.goto(`${empty.url}/biometric`);
      await p.getByTestId("overview").waitFor();
      expect(await p.getByTestId("empty-state").allTextContents()).toEqual(
        expect.arrayContaining([expect.stringContaining("No devices yet")]),
      );
      await p.screenshot({ path: screenshotPath("page-empty.png") });
      for (const [path, title] of [
        ["/biometric/unmapped", "No unmapped punches"],
        ["/biometric/punches", "No punches yet"],
        ["/biometric/logs", "No sync logs"],
        ["/biometric/sidecars", "No sidecars yet"],
      ] as const) {
        await p.goto(`${empty.url}${path}`);
        await p.getByTestId("empty-state").first().waitFor();
        expect(await p.getByTestId("empty-state").first().textContent()).toContain(title);
      }
    } finally {
      await ctx.close();
      await empty.stop();
    }
  });

  it("Unmapped: the name on the device suggests the employee first; accepting maps it and the counts drop", async () => {
    await go("/biometric/unmapped");
    const row = page.locator("tr[data-user-id='118']");
    await row.waitFor();
    expect(await text(page, "unmapped-ids")).toBe("3");
    expect(await text(page, "unmapped-punches")).toBe("8");
    // "rohan mehtá" on the terminal is Rohan Mehta's name once case and accents are set aside.
    expect(await row.getByTestId("device-name").textContent()).toContain("rohan mehtá");
    expect(await row.getByTestId("suggested-employee").textContent()).toContain("Rohan Mehta");
    expect(await row.getByTestId("suggestion-confidence").textContent()).toContain("100% · confident");
    expect(await row.getByTestId("map-suggested").textContent()).toContain("Map to Rohan Mehta");
    // A name nobody has: shown, with no suggestion.
    const visitor = page.locator("tr[data-user-id='9001']");
    expect(await visitor.getByTestId("device-name").textContent()).toContain("Visitor 3");
    expect(await visitor.getByTestId("suggested-employee").count()).toBe(0);
    await shot(page, "page-unmapped-suggestions.png");

    await page.getByTestId("accept-all").click();
    const dialog = page.getByTestId("accept-all-dialog");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("Rohan Mehta (HR-EMP-00014)");
    expect(site.data.employees.find((e) => e.name === "HR-EMP-00014")?.attendance_device_id).toBeNull();
    await page.getByTestId("accept-all-confirm").click();

    await row.waitFor({ state: "detached" });
    expect(await text(page, "unmapped-ids")).toBe("2");
    expect(await text(page, "unmapped-punches")).toBe("4");
    await expect.poll(() => text(page, "nav-unmapped-count")).toBe("4");
    expect(site.data.employees.find((e) => e.name === "HR-EMP-00014")?.attendance_device_id).toBe("118");
    expect(await page.getByTestId("accept-all").count()).toBe(0); // nothing confident is left
  });

  it("raised no script errors", () => {
    expect(errors).toEqual([]);
  });
});
