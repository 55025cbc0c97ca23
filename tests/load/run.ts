import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { startTestStack } from '../setup/test-stack.ts';
import type { Bench } from './lib.ts';

// `npm run bench [name…]`: runs every tests/load/<name>.bench.ts (or the named ones) against
// one throwaway stack. Figures, not pass/fail: each prints a table and writes bench-results/.
const dir = path.join(PROJECT_ROOT, 'tests', 'load');
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !wanted.length || wanted.includes(f.replace('.bench.ts', '')))
  .sort();
if (!files.length) throw new Error(`No benchmark matches ${wanted.join(', ')}.`);

const stack = await startTestStack();
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
