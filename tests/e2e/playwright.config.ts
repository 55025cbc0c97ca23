import { readFileSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Runs under tests/run-all.ts, which starts the test stack and passes its variables in
// LINTEL_TEST_STACK and a free port for the web app in LINTEL_E2E_PORT.
const stackFile = process.env.LINTEL_TEST_STACK;
if (!stackFile) throw new Error('Run the end-to-end layer with `npm run test:e2e` (it starts the test stack).');
const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as Record<string, string>;
const port = Number(process.env.LINTEL_E2E_PORT ?? 4175);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.e2e.ts',
  outputDir: '../../test-results/e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? 'line' : 'list',
  timeout: 30_000,
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright's own browser download cannot run on our machines.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu'],
    },
  },
  // Managers work at a desk or on a tablet (tests/e2e/manager); residents on a phone
  // (tests/e2e/resident); the visitor pages on all three.
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'], viewport: { width: 1440, height: 900 } } },
    { name: 'tablet', testIgnore: '**/resident/**', use: { viewport: { width: 820, height: 1180 }, hasTouch: true, userAgent: devices['Desktop Chrome'].userAgent } },
    { name: 'phone', testMatch: ['**/visitor/**/*.e2e.ts', '**/resident/**/*.e2e.ts'], use: { ...devices['Pixel 7'] } },
  ],
  webServer: {
    command: `vite build --logLevel warn && vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    cwd: '../..',
    url: baseURL,
    timeout: 180_000,
    reuseExistingServer: false,
    env: { PUBLIC_SUPABASE_URL: stack.API_URL!, PUBLIC_SUPABASE_ANON_KEY: stack.ANON_KEY! },
  },
});
