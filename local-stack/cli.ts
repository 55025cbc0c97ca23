import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { dbUrl, loadConfig, statusVariables, type StackConfig } from './config.ts';
import { generateTypes, runAdvisors } from './db/migrate.ts';
import { createMigratedScratch } from './db/scratch.ts';
import { portIsFree, portTaken, StackError } from './errors.ts';
import { DEMO_PASSWORD } from './demo.ts';
import { createLogger } from './log.ts';
import { StartCancelled, startStack, statusFile, type RunningStack } from './stack.ts';

const WEB_PORT = Number(process.env.LINTEL_WEB_PORT) || 5173;
const TYPES_FILE = path.join('web', 'lib', 'database.types.ts');

const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (line: string) => say(`  · ${line}`);

/** DB_URL uses an existing Postgres; LINTEL_* variables move a stack (tests run several). */
function configFromEnv(): StackConfig {
  const env = process.env;
  const port = (name: string) => (env[name] ? Number(env[name]) : undefined);
  return loadConfig({
    externalDbUrl: env.DB_URL || undefined,
    stateDir: env.LINTEL_STATE_DIR || undefined,
    ports: { api: port('LINTEL_API_PORT'), db: port('LINTEL_DB_PORT'), mail: port('LINTEL_MAIL_PORT'), smtp: port('LINTEL_SMTP_PORT'), stripe: port('LINTEL_STRIPE_PORT') },
  });
}

/**
 * Resolves on the first SIGINT / SIGTERM / SIGHUP. Ctrl-C reaches npm and this process at once
 * (and npm forwards it again), so repeats within 3 s are the same request; a later one exits.
 */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    let first = 0;
    const on = (sig: string) => {
      if (!first) {
        first = Date.now();
        resolve(sig);
      } else if (Date.now() - first > 3000) {
        process.stderr.write('Stopping at once.\n');
        process.exit(130);
      }
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => on(sig));
  });
}

async function demoLogins(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ email: string }>(
      "select email from auth.users where email like '%.test' order by split_part(email, '@', 2), email",
    );
    return rows.map((r) => r.email);
  } catch {
    return [];
  } finally {
    await client.end();
  }
}

async function printBanner(stack: RunningStack, webUrl?: string): Promise<void> {
  const s = stack.status;
  say('');
  say('Lintel local stack is running.');
  if (webUrl) say(`  Web app          ${webUrl}`);
  say(`  API URL          ${s.API_URL}`);
  say(`  Health           ${s.API_URL}/health`);
  say(`  DB URL           ${s.DB_URL}`);
  say(`  Mail outbox      ${s.MAIL_URL}`);
  say(`  Stripe double    ${s.STRIPE_API_URL}`);
  say(`  Anon key         ${s.ANON_KEY}`);
  say(`  Service role key ${s.SERVICE_ROLE_KEY}`);
  say(`  JWT secret       ${s.JWT_SECRET}`);
  const logins = await demoLogins(s.DB_URL!);
  if (logins.length) {
    say(`  Demo logins (password ${DEMO_PASSWORD}):`);
    for (const email of logins) say(`    ${email}`);
  }
  say(`  Logs             ${path.join(stack.config.stateDir, 'logs', 'stack.log')}`);
  say('Press Ctrl-C to stop.');
}

async function runStack(withWeb: boolean, reset: boolean): Promise<void> {
  const config = configFromEnv();
  const t0 = performance.now();
  const logger = createLogger('local-stack', { file: path.join(config.stateDir, 'logs', 'stack.log') });
  say(reset ? 'Resetting and starting the Lintel local stack…' : 'Starting the Lintel local stack…');
  const signal = untilSignal();
  const cancel = new AbortController();
  void signal.then(() => cancel.abort());
  let web: ResultPromise | undefined;
  let stack: RunningStack | undefined;
  const stopEverything = async () => {
    if (web && web.exitCode === null) {
      web.kill('SIGTERM');
      await web.catch(() => undefined);
    }
    await stack?.stop();
  };
  try {
    if (withWeb && !(await portIsFree(config.host, WEB_PORT))) {
      throw portTaken(WEB_PORT, 'the web app');
    }
    stack = await startStack(config, logger, { reset, progress: step, signal: cancel.signal });
    let webUrl: string | undefined;
    if (withWeb && !cancel.signal.aborted) {
      step('Starting the web app');
      web = execa('vite', ['dev', '--host', config.host, '--port', String(WEB_PORT), '--strictPort'], {
        cwd: config.projectRoot,
        preferLocal: true,
        env: { PUBLIC_SUPABASE_URL: stack.status.API_URL, PUBLIC_SUPABASE_ANON_KEY: stack.status.ANON_KEY },
        stdout: 'ignore',
        stderr: 'pipe',
        reject: false,
        forceKillAfterDelay: 5000,
      });
      webUrl = `http://${config.host}:${WEB_PORT}`;
      await waitForHttp(webUrl, 60_000, web);
    }
    if (cancel.signal.aborted) throw new StartCancelled();
    await printBanner(stack, webUrl);
    say(`Ready in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
    const webDied = web ? web.then((r) => ({ died: `the web app exited (code ${r.exitCode})` })) : new Promise<never>(() => undefined);
    const why = await Promise.race([signal, webDied]);
    if (typeof why !== 'string') {
      say(`\nStopping: ${why.died}.`);
      process.exitCode = 1;
    } else {
      say(`\nStopping (${why})…`);
    }
  } catch (err) {
    if (!(err instanceof StartCancelled)) throw err;
    say('\nStopping (start cancelled)…');
    process.exitCode = 130;
  } finally {
    await stopEverything();
    logger.flush();
  }
  say('Stopped.');
}

async function waitForHttp(url: string, ms: number, child?: ResultPromise): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) {
      const r = await child;
      throw new StackError(`The web app exited while starting: ${String(r.stderr).trim().split('\n').pop()}`);
    }
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StackError(`${url} did not answer within ${ms / 1000} s.`);
}

/** The running stack's variables, or the ones it would use, as one JSON object. */
function status(): void {
  const config = configFromEnv();
  const file = statusFile(config);
  let vars: Record<string, string> = statusVariables(config);
  let running = false;
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    try {
      process.kill(Number(saved.PID), 0);
      running = true;
      vars = saved;
    } catch {
      running = false;
    }
  }
  const { PID: _pid, ...rest } = vars;
  say(JSON.stringify({ ...rest, RUNNING: running }, null, 2));
}

/** Types from a scratch database holding only the platform and the migrations (what CI checks). */
async function genTypes(): Promise<void> {
  const config = configFromEnv();
  const scratch = await createMigratedScratch(config.projectRoot, runningDbUrl(config));
  try {
    const types = await generateTypes({ projectRoot: config.projectRoot, dbUrl: scratch.url });
    writeFileSync(path.join(config.projectRoot, TYPES_FILE), types.endsWith('\n') ? types : `${types}\n`);
  } finally {
    await scratch.drop();
  }
  say(`Wrote ${TYPES_FILE}.`);
}

async function advisors(): Promise<void> {
  const config = configFromEnv();
  const url = runningDbUrl(config);
  const findings = await runAdvisors({ projectRoot: config.projectRoot, dbUrl: url });
  for (const f of findings) say(`${f.level.padEnd(5)} ${f.name}: ${f.detail}`);
  say(findings.length ? `${findings.length} finding(s).` : 'No issues found.');
  if (findings.some((f) => f.level !== 'INFO')) process.exitCode = 1;
}

/** `run-job <name>`: runs one scheduled job now; its queued HTTP calls go out from the running stack. */
async function runJobNow(name: string | undefined): Promise<void> {
  if (!name) throw new StackError('Name the job to run: npm run stack -- run-job <name> (see cron.job).');
  const config = configFromEnv();
  const url = runningDbUrl(config);
  const { runJobByName } = await import('./scheduler/index.ts');
  const result = await runJobByName(url, name);
  if (!result) throw new StackError(`No scheduled job is named "${name}" (select jobname from cron.job).`);
  if (result.status === 'failed') throw new StackError(`Job ${name} failed: ${result.returnMessage}`);
  say(`Job ${name}: ${result.status} (${result.returnMessage || 'no result'}), run ${result.runid} in cron.job_run_details.`);
}

function runningDbUrl(config: StackConfig): string {
  if (!config.externalDbUrl && !existsSync(statusFile(config))) {
    throw new StackError('The local stack is not running: start it with `npm run stack` (or set DB_URL).');
  }
  return dbUrl(config);
}

async function main(): Promise<void> {
  const [command = 'stack', ...rest] = process.argv.slice(2);
  const reset = rest.includes('--reset');
  // `npm run stack -- run-job <name>` arrives as `stack run-job <name>`.
  if (command === 'stack' && rest[0] === 'run-job') return runJobNow(rest[1]);
  switch (command) {
    case 'start':
      return runStack(true, reset);
    case 'stack':
      return runStack(false, reset);
    case 'status':
      return status();
    case 'gen-types':
      return genTypes();
    case 'advisors':
      return advisors();
    case 'run-job':
      return runJobNow(rest.find((a) => !a.startsWith('--')));
    default:
      throw new StackError(`Unknown command "${command}": use start, stack [--reset], status, gen-types, advisors or run-job <name>.`);
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`\n✖ ${message}\n`);
    if (process.env.LINTEL_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  },
);
