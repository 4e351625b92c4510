// Bundles the sidecar into one ESM file with no native modules: copy it and run it with Node >= 18 anywhere.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";

const pkg = JSON.parse(await readFile(new URL("./package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("./src/bin.ts", import.meta.url).pathname],
  outfile: new URL("./dist/biometric-sidecar.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node18",
  sourcemap: "linked",
  legalComments: "none",
  define: { SIDECAR_VERSION: JSON.stringify(pkg.version) },
  // Some bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: `#!/usr/bin/env node\n// biometric-sidecar ${pkg.version}\nimport { createRequire as __bsCreateRequire } from "node:module";\nconst require = __bsCreateRequire(import.meta.url);`,
  },
  logLevel: "warning",
});
