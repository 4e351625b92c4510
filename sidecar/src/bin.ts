import { main } from "./cli/main.js";

// Keep running work to completion; a stray rejection is a bug, reported with its stack instead of a silent exit.
process.on("unhandledRejection", (reason) => {
  console.error("biometric-sidecar: unhandled rejection:", reason);
  process.exitCode = 1;
});

const code = await main(process.argv.slice(2));
process.exitCode = code;
