import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../local-stack/config.ts';
import { freePort, startTestStack } from './setup/test-stack.ts';

// `npm test`: one throwaway stack for every layer, then Vitest (lint, unit, db, stack, functions) and
// Playwright (e2e) against it. `tsx tests/run-all.ts e2e` runs the named layers only.
const LAYERS = ['lint', 'unit', 'db', 'stack', 'functions', 'e2e'] as const;
const wanted = process.argv.slice(2).filter((a) => (LAYERS as readonly string[]).includes(a));
const layers = wanted.length ? wanted : [...LAYERS];
// Anything else is passed on to Playwright: `npm run test:e2e -- manager/top-bar`.
const e2eArgs = process.argv.slice(2).filter((a) => !(LAYERS as readonly string[]).includes(a));

const t0 = performance.now();
process.stdout.write(`Starting a test stack for: ${layers.join(', ')}…\n`);
// Functions link to the app (invitation emails, Stripe's return pages): SITE_URL is where the
// end-to-end layer serves it.
const e2ePort = await freePort();
const stack = await startTestStack({ siteUrl: `http://127.0.0.1:${e2ePort}` });
const statusPath = path.join(stack.stateDir, 'status.test.json');
writeFileSync(statusPath, JSON.stringify(stack.status));
const env = { LINTEL_TEST_STACK: statusPath, LINTEL_E2E_PORT: String(e2ePort) };
process.stdout.write(`Test stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${stack.status.API_URL}).\n`);

let failed = false;
const stopOnSignal = async () => {
  await stack.stop();
  process.exit(130);
};
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
try {
  const vitestLayers = layers.filter((l) => l !== 'e2e');
  if (vitestLayers.length) {
    const projects = vitestLayers.flatMap((l) => ['--project', l]);
    const res = await execa('vitest', ['run', ...projects], { cwd: PROJECT_ROOT, preferLocal: true, stdio: 'inherit', env, reject: false });
    failed ||= res.exitCode !== 0;
  }
  if (layers.includes('e2e')) {
    const res = await execa('playwright', ['test', '-c', 'tests/e2e/playwright.config.ts', ...e2eArgs], {
      cwd: PROJECT_ROOT,
      preferLocal: true,
      stdio: 'inherit',
      env,
      reject: false,
    });
    failed ||= res.exitCode !== 0;
  }
} finally {
  await stack.stop();
}
process.stdout.write(`All layers ${failed ? 'FAILED' : 'passed'} in ${((performance.now() - t0) / 1000).toFixed(0)} s.\n`);
process.exit(failed ? 1 : 0);
