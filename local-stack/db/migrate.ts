import { execa } from 'execa';
import { StackError } from './postgres.ts';

export interface CliOptions {
  projectRoot: string;
  dbUrl: string;
}

// The CLI must never wait on the network (our machines reach only the npm registry) nor on a
// prompt (CI has no terminal).
const CLI_ENV = { SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', SUPABASE_YES: '1', CI: '1' };

/**
 * The CLI tries TLS first and, on a local Postgres without it, prints a warning to stdout
 * (where `gen types` writes the types): say up front that this connection has no TLS.
 */
function remote(url: string): string {
  const host = new URL(url).hostname;
  if (/[?&]sslmode=/.test(url) || !['127.0.0.1', 'localhost', '::1'].includes(host)) return `--remote=${url}`;
  return `--remote=${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
}

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
  const args = ['db', 'push', remote(opts.dbUrl), '--include-all', '--yes'];
  if (opts.seed) args.push('--include-seed');
  return supabase(opts, args);
}

/** The TypeScript types `supabase gen types` writes for the exposed schema. */
export async function generateTypes(opts: CliOptions): Promise<string> {
  return supabase(opts, ['gen', 'types', '--lang=typescript', '--schema=public', remote(opts.dbUrl)]);
}

export interface AdvisorFinding {
  name: string;
  level: 'INFO' | 'WARN' | 'ERROR';
  detail: string;
  metadata?: Record<string, unknown>;
}

/** `supabase db advisors` (security and performance), parsed from the CLI's JSON output. */
export async function runAdvisors(opts: CliOptions): Promise<AdvisorFinding[]> {
  const out = await supabase(opts, ['db', 'advisors', remote(opts.dbUrl), '--type=all', '--level=info', '--output-format=json']);
  const json = out.slice(out.indexOf('{'));
  return (JSON.parse(json) as { results: AdvisorFinding[] }).results;
}
