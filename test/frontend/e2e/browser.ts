import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { REPO_ROOT } from "../../fakes/fakeDeskSite.js";

/**
 * The browser suite's plumbing: Debian's chromium (never a downloaded one) driven by playwright-core, and a
 * build of the page that is not older than its sources.
 */

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

const wanted = process.env.CHROMIUM_PATH;

export const CHROMIUM: string | null = wanted
  ? existsSync(wanted)
    ? wanted
    : null
  : (CANDIDATES.find((path) => existsSync(path)) ?? null);

export const SCREENSHOT_DIR = resolve(REPO_ROOT, process.env.BSYNC_SCREENSHOT_DIR ?? ".tmp/screenshots");

export function warnSkipped(reason: string): void {
  const line = "=".repeat(88);
  console.warn(
    [
      "",
      line,
      "  BROWSER TESTS SKIPPED: the HR page at /biometric is NOT being tested in a browser in this run.",
      `  ${reason}`,
      "  Fix: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium/Chrome binary).",
      line,
      "",
    ].join("\n"),
  );
}

export function launch(): Promise<Browser> {
  // playwright gives every launch a fresh temporary profile (--user-data-dir) and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM!,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds the page (npm run build --workspace frontend) unless the build is newer than every source. */
export function ensureBuilt(): void {
  const html = resolve(REPO_ROOT, "biometric_sync/www/biometric.html");
  const sources = [
    "frontend/src",
    "frontend/index.html",
    "frontend/vite.config.ts",
    "frontend/tailwind.config.js",
  ];
  const built = existsSync(html) ? statSync(html).mtimeMs : 0;
  if (built && sources.every((s) => newest(resolve(REPO_ROOT, s)) <= built)) return;
  console.log("Building the page (npm run build --workspace frontend)…");
  execFileSync("npm", ["run", "build", "--workspace", "frontend"], { cwd: REPO_ROOT, stdio: "inherit" });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, name);
}
