import { execa } from 'execa';
import { StackError } from './postgres.ts';

export interface CliOptions {
  projectRoot: string;
  dbUrl: string;
}

// The CLI must never wait on the network (our machines reach only the npm registry) nor on a
// prompt (CI has no terminal).
const CLI_ENV = { SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', SUPABASE_YES: '1', CI: '1' };

async function supabase(opts: CliOptions, args: string[]): Promise<string> {
  const res = await execa('supabase', [...args, `--workdir=${opts.projectRoot}`], {
    cwd: opts.projectRoot,
    preferLocal: true,
    localDir: opts.projectRoot,
    env: CLI_ENV,
    reject: false,
    timeout: 300_000,
    stdin: 'ignore',
  });
  if (res.exitCode !== 0) {
    const out = `${res.stderr}\n${res.stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(`\`supabase ${args[0]} ${args[1] ?? ''}\` failed:\n${out}`);
  }
  return res.stdout;
}

/** Applies `supabase/migrations` (and, with `seed`, the seed files) with the official CLI. */
export async function pushMigrations(opts: CliOptions & { seed: boolean }): Promise<string> {
  const args = ['db', 'push', `--remote=${opts.dbUrl}`, '--include-all', '--yes'];
  if (opts.seed) args.push('--include-seed');
  return supabase(opts, args);
}

/** The TypeScript types `supabase gen types` writes for the exposed schema. */
export async function generateTypes(opts: CliOptions): Promise<string> {
  return supabase(opts, ['gen', 'types', '--lang=typescript', '--schema=public', `--remote=${opts.dbUrl}`]);
}

/** `supabase db advisors` as JSON lines of findings. */
export async function runAdvisors(opts: CliOptions, level: 'info' | 'warn' | 'error' = 'warn'): Promise<string> {
  return supabase(opts, ['db', 'advisors', `--remote=${opts.dbUrl}`, '--type=all', `--level=${level}`]);
}
