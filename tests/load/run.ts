import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { freePort } from '../setup/test-stack.ts';
import type { Bench } from './lib.ts';

// `npm run bench [name…]`: runs every tests/load/<name>.bench.ts (or the named ones) against
// one throwaway stack. Figures, not pass/fail: each prints a table and writes bench-results/.
// The stack runs in its own process, as PostgREST, GoTrue and the rest do on Supabase, so the
// load generators here do not share its event loop.
const dir = path.join(PROJECT_ROOT, 'tests', 'load');
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !wanted.length || wanted.includes(f.replace('.bench.ts', '')))
  .sort();
if (!files.length) throw new Error(`No benchmark matches ${wanted.join(', ')}.`);

async function startBenchStack(): Promise<{ status: Record<string, string>; stop: () => Promise<void> }> {
  const stateDir = path.join(PROJECT_ROOT, '.lintel', 'bench', `shared-${process.pid}`);
  rmSync(stateDir, { recursive: true, force: true });
  const env = {
    ...process.env,
    LINTEL_STATE_DIR: stateDir,
    LINTEL_API_PORT: String(await freePort()),
    LINTEL_DB_PORT: String(await freePort()),
    LINTEL_MAIL_PORT: String(await freePort()),
    // Beside `npm start` (54325, 54326): the outbox's SMTP and the Stripe double on free ports too.
    LINTEL_SMTP_PORT: String(await freePort()),
    LINTEL_STRIPE_PORT: String(await freePort()),
    // As on test stacks: the functions bench times cold starts of functions it adds here.
    LINTEL_FUNCTIONS_EXTRA_DIR: path.join(PROJECT_ROOT, 'tests', 'stack', 'fixtures', 'functions'),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'local-stack/cli.ts', 'stack'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready in')) resolve();
    });
    void exited.then(() => reject(new Error(`the bench stack exited while starting:\n${out}`)));
  });
  const status = JSON.parse(readFileSync(path.join(stateDir, 'status.json'), 'utf8')) as Record<string, string>;
  return {
    status,
    async stop() {
      child.kill('SIGINT');
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const stack = await startBenchStack();
let failed = false;
try {
  for (const file of files) {
    process.stdout.write(`\n=== ${file} ===\n`);
    const t0 = performance.now();
    try {
      const bench = (await import(pathToFileURL(path.join(dir, file)).href)).default as Bench;
      await bench({ stack: stack.status });
    } catch (err) {
      failed = true;
      process.stderr.write(`${file} failed: ${(err as Error).stack ?? err}\n`);
    }
    process.stdout.write(`(${file} took ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
