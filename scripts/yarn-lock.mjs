#!/usr/bin/env node
// yarn.lock pinned to package-lock.json, so the two lockfiles pin the same versions.
//
// We develop and test with npm (package-lock.json); `bench get-app` and `bench setup requirements` install the
// app with yarn classic, which reads only yarn.lock, in production mode (.yarnrc). yarn rewrites a lockfile
// that does not hold exactly what its production install resolves, which would leave the app's tree dirty on
// every bench, so yarn.lock is what yarn itself writes, seeded with package-lock.json's versions:
//   node scripts/yarn-lock.mjs           writes yarn.lock (needs yarn 1 and the registry; a few seconds cached):
//                                        a seed that resolves every (name, range) to the copy npm installed,
//                                        then yarn's own production install over it, twice (the second must
//                                        change nothing)
//   node scripts/yarn-lock.mjs --check   fails (exit 1) when yarn.lock pins a version package-lock.json does
//                                        not, or lacks a package the production install needs (no yarn needed)
//   node scripts/yarn-lock.mjs --after-npm   (the root postinstall) undoes npm's rewrite of yarn.lock
// `yarn import` cannot read lockfile v3, hence this.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
const packages = lock.packages;

/** The installed copy `from` would load for `name`, walking up node_modules folders as Node does. */
function resolveFrom(from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut >= 0 ? dir.slice(0, cut) : "";
  }
}

/** name@version → { name, version, integrity, dependencies, optionalDependencies, specifiers } */
const entries = new Map();
const conflicts = [];
const specifierVersion = new Map();

for (const [location, meta] of Object.entries(packages)) {
  if (meta.link) continue;
  const isProject = location === "" || !location.includes("node_modules/");
  const asked = {
    ...(isProject ? meta.devDependencies : {}),
    ...meta.optionalDependencies,
    ...meta.dependencies,
  };
  for (const [name, range] of Object.entries(asked)) {
    const found = resolveFrom(location, name);
    if (!found) {
      // An optional dependency npm did not record (another platform's binary): yarn skips it too.
      if (meta.optionalDependencies?.[name]) continue;
      throw new Error(
        `${location || "(root)"} asks for ${name}@${range}, which package-lock.json does not hold`,
      );
    }
    const target = packages[found];
    if (target.link) continue; // a workspace
    const realName = found.slice(found.lastIndexOf("node_modules/") + "node_modules/".length);
    const id = `${realName}@${target.version}`;
    const specifier = `${name}@${range}`;
    const previous = specifierVersion.get(specifier);
    if (previous && previous !== id) conflicts.push(`${specifier}: ${previous} and ${id}`);
    specifierVersion.set(specifier, id);
    if (!entries.has(id)) {
      entries.set(id, {
        name: realName,
        version: target.version,
        integrity: target.integrity,
        dependencies: target.dependencies ?? {},
        optionalDependencies: target.optionalDependencies ?? {},
        specifiers: new Set(),
      });
    }
    entries.get(id).specifiers.add(specifier);
  }
}

// yarn's lockfile stringifier quotes a key or value unless it is a plain word.
const quote = (text) =>
  /^(true|false)/.test(text) || /[:\s\n\\",[\]]/.test(text) || /^[0-9]/.test(text) || !/^[a-zA-Z]/.test(text)
    ? JSON.stringify(text)
    : text;
// yarn sorts by character code, not by locale.
const byCode = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const sortedKeys = (object) => Object.keys(object).sort(byCode);

const blocks = [...entries.values()]
  .map((entry) => {
    const keys = [...entry.specifiers].sort(byCode).map(quote);
    const base = entry.name.startsWith("@") ? entry.name.split("/")[1] : entry.name;
    const lines = [
      `${keys.join(", ")}:`,
      `  version ${quote(entry.version)}`,
      `  resolved ${quote(`https://registry.yarnpkg.com/${entry.name}/-/${base}-${entry.version}.tgz`)}`,
    ];
    if (entry.integrity) lines.push(`  integrity ${quote(entry.integrity)}`);
    for (const section of ["dependencies", "optionalDependencies"]) {
      const deps = entry[section];
      const names = sortedKeys(deps).filter(
        (n) => section === "optionalDependencies" || !(n in entry.optionalDependencies),
      );
      if (!names.length) continue;
      lines.push(`  ${section}:`);
      for (const n of names) lines.push(`    ${quote(n)} ${quote(deps[n])}`);
    }
    return { sortKey: keys.join(", "), text: lines.join("\n") };
  })
  .sort((a, b) => a.sortKey.localeCompare(b.sortKey, "en"));

const seed =
  "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n" +
  blocks.map((b) => b.text).join("\n\n") +
  "\n";

if (conflicts.length) {
  console.error(
    `package-lock.json resolves these ranges to two versions (yarn keeps one):\n  ${conflicts.join("\n  ")}`,
  );
}
const file = path.join(root, "yarn.lock");

/** name@version pairs of a yarn v1 lockfile. */
function lockedVersions(text) {
  const pairs = new Set();
  let name = null;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) {
      const first = line.split(", ")[0].replace(/^"/, "").replace(/"?:$/, "");
      name = first.slice(0, first.indexOf("@", 1));
    } else if (name && line.startsWith("  version ")) {
      pairs.add(`${name}@${JSON.parse(line.slice(10))}`);
    }
  }
  return pairs;
}

if (process.argv.includes("--after-npm")) {
  // The root `postinstall`. npm rewrites a yarn.lock it finds (adding the workspaces by absolute path),
  // which would leave the tree dirty after `npm ci` and put a broken lockfile one commit away from bench.
  // Under yarn (bench) nothing is done: yarn keeps the lockfile as it is.
  const byNpm = (process.env.npm_config_user_agent ?? "").startsWith("npm/");
  if (byNpm && existsSync(file) && /@file:/.test(readFileSync(file, "utf8"))) {
    try {
      execFileSync("git", ["checkout", "--", "yarn.lock"], { cwd: root, stdio: "ignore" });
    } catch {
      console.warn("npm rewrote yarn.lock and it could not be restored from git: do not commit it");
    }
  }
  process.exit(0);
}

if (process.argv.includes("--check")) {
  if (!existsSync(file)) {
    console.error("yarn.lock is missing: run `node scripts/yarn-lock.mjs` and commit it");
    process.exit(1);
  }
  if (/@file:/.test(readFileSync(file, "utf8"))) {
    console.error("yarn.lock was rewritten by npm (workspace @file: entries): `git checkout yarn.lock`");
    process.exit(1);
  }
  const npmPins = new Set([...entries.values()].map((e) => `${e.name}@${e.version}`));
  const yarnPins = lockedVersions(readFileSync(file, "utf8"));
  const foreign = [...yarnPins].filter((pin) => !npmPins.has(pin));
  // What a production install needs: the dependencies (not devDependencies) of the root and workspaces.
  const needed = Object.entries(packages)
    .filter(([location]) => !location.includes("node_modules/"))
    .flatMap(([, meta]) => Object.keys(meta.dependencies ?? {}));
  const yarnNames = new Set([...yarnPins].map((pin) => pin.slice(0, pin.lastIndexOf("@"))));
  const missing = needed.filter((name) => !yarnNames.has(name));
  if (foreign.length || missing.length) {
    if (foreign.length)
      console.error(`yarn.lock pins versions package-lock.json does not: ${foreign.join(", ")}`);
    if (missing.length) console.error(`yarn.lock lacks production dependencies: ${missing.join(", ")}`);
    console.error("run `node scripts/yarn-lock.mjs` and commit yarn.lock");
    process.exit(1);
  }
  console.log(`yarn.lock pins ${yarnPins.size} packages, every one at package-lock.json's version`);
} else {
  // yarn's own production install over the seed, in a scratch copy of the manifests.
  const scratch = mkdtempSync(path.join(tmpdir(), "bsync-yarn-lock-"));
  try {
    for (const manifest of ["package.json", "sidecar/package.json", "frontend/package.json", ".yarnrc"]) {
      mkdirSync(path.dirname(path.join(scratch, manifest)), { recursive: true });
      cpSync(path.join(root, manifest), path.join(scratch, manifest));
    }
    writeFileSync(path.join(scratch, "yarn.lock"), seed);
    const yarn = () => {
      execFileSync("yarn", ["install", "--ignore-scripts", "--non-interactive", "--silent"], {
        cwd: scratch,
        stdio: ["ignore", "ignore", "pipe"], // yarn warns about frappe-ui's peers; an error still throws
      });
      return readFileSync(path.join(scratch, "yarn.lock"), "utf8");
    };
    const written = yarn();
    if (yarn() !== written) throw new Error("yarn changed its own lockfile on a second install");
    writeFileSync(file, written);
    console.log(
      `wrote yarn.lock (${lockedVersions(written).size} packages, yarn's production install of package-lock.json's versions)`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
