import { readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

// `npm run lint:sql`: Squawk over the migrations written after the one-time squash, with the
// rules in .squawk.toml. `tsx tests/lint/squawk.ts [--reporter=json] [file ...]` lints the
// given files instead (tests/lint/squawk.test.ts runs its fixtures through here).

/** Version of the last migration of the squash (README "Migrations"); later ones are linted. */
export const SQUASH_CUTOFF = '20261124080000';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MIGRATIONS = path.join(ROOT, 'supabase', 'migrations');

/** Migration files (relative to the repository root) whose version is after the cut-off. */
export function migrationsAfterSquash(): string[] {
  return readdirSync(MIGRATIONS)
    .filter((f) => /^\d{14}_.+\.sql$/.test(f) && f.slice(0, 14) > SQUASH_CUTOFF)
    .sort()
    .map((f) => path.join('supabase', 'migrations', f));
}

/** Runs Squawk with the project's config; resolves to its exit code and output. */
export async function squawk(files: string[], reporter?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const args = ['--config', path.join(ROOT, '.squawk.toml'), ...(reporter ? [`--reporter=${reporter}`] : []), ...files];
  const res = await execa('squawk', args, { cwd: ROOT, preferLocal: true, localDir: ROOT, reject: false, stdin: 'ignore' });
  return { exitCode: res.exitCode ?? 1, stdout: String(res.stdout), stderr: String(res.stderr) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const args = process.argv.slice(2);
  const reporter = args.find((a) => a.startsWith('--reporter='))?.slice('--reporter='.length);
  const given = args.filter((a) => !a.startsWith('--'));
  const files = given.length ? given.map((f) => path.resolve(f)) : migrationsAfterSquash();
  if (!files.length) {
    process.stdout.write(`No migrations after the squash (${SQUASH_CUTOFF}): nothing for Squawk to lint.\n`);
    process.exit(0);
  }
  const res = await squawk(files, reporter);
  process.stdout.write(res.stdout ? `${res.stdout}\n` : '');
  process.stderr.write(res.stderr ? `${res.stderr}\n` : '');
  if (!reporter && res.exitCode === 0) process.stdout.write(`Squawk: ${files.length} file(s) pass.\n`);
  process.exit(res.exitCode);
}
