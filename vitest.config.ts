import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    projects: [
      // Pure logic: no Docker, no network beyond loopback.
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      // Real Docker and real SDKs against the mock; global setup builds the sandbox image once.
      // Whole CLI runs on a 2-core machine can take minutes under load: generous per-test limit.
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: ["test/global-setup.ts"], testTimeout: 300_000 },
      },
    ],
  },
});
