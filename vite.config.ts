import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const layer = (name: string, timeout: number, more: Record<string, unknown> = {}) => ({
  test: {
    ...more,
    name,
    include: [`tests/${name}/**/*.test.ts`],
    environment: 'node',
    globalSetup: ['tests/setup/global.ts'],
    testTimeout: timeout,
    hookTimeout: 120_000,
  },
});

export default defineConfig({
  plugins: [sveltekit()],
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  test: {
    // Test layers (ARCHITECTURE.md, Testing layers). They share one test stack that
    // tests/setup/global.ts starts on its own ports and data folder, so `npm test` runs
    // beside `npm start`.
    projects: [
      // Pure functions of the web app (formatters, URL state, error mapping): no stack needed.
      { extends: true, test: { name: 'unit', include: ['web/**/*.spec.ts'], environment: 'node' } },
      layer('db', 30_000),
      layer('stack', 30_000),
      // One file at a time: the money tests pause, shuffle and duplicate the shared Stripe double's
      // deliveries and kill the webhook's worker, which files running beside them would feel.
      layer('functions', 60_000, { fileParallelism: false }),
      // Static checks of the sources (Squawk on migrations): no stack.
      { test: { name: 'lint', include: ['tests/lint/**/*.test.ts'], environment: 'node', testTimeout: 30_000 } },
    ],
  },
});
