import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'channels/**/*.test.ts', 'plugins/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // One process for every file: the heavy imports (PGlite, LangChain, the SDKs) and the migrated
    // database snapshot are made once rather than per file, which takes the suite from over 13
    // minutes to about 9 on two cores. Suites clean up after themselves (gateways closed, timers
    // real again), which this relies on.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
