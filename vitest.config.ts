import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Simulator and oracle tests open real sockets on loopback and spawn processes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
