import { readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../local-stack/config.ts';

// `npm run bench`: every tests/load/*.bench.ts, one process each, in name order. Each writes
// its figures to bench-results/<name>.json. `npm run bench -- rls` runs the matching ones only.
const dir = path.join(PROJECT_ROOT, 'tests', 'load');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  process.stderr.write('No benchmark matched.\n');
  process.exit(1);
}
let failed = false;
for (const file of files) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const res = await execa('tsx', [path.join(dir, file)], { cwd: PROJECT_ROOT, preferLocal: true, stdio: 'inherit', reject: false });
  if (res.exitCode !== 0) {
    failed = true;
    process.stderr.write(`${file} failed (exit ${res.exitCode}).\n`);
  }
}
process.exit(failed ? 1 : 0);
