import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../local-stack/config.ts';
import { clusterDir, startPostgres, stopLeftoverPostmaster, type PostgresHandle } from '../../local-stack/db/postgres.ts';
import { createLogger } from '../../local-stack/log.ts';
import { pidAlive } from '../../local-stack/process.ts';
import { startStack } from '../../local-stack/stack.ts';
import { pushCerts } from './push-ca.ts';

/** Debian's PostgreSQL 15 server (CI installs `postgresql-15`), for the Supabase-15 pass. */
export const PG15_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface TestStack {
  status: Record<string, string>;
  stateDir: string;
  stop(): Promise<void>;
}

const handedOut = new Set<number>();

/**
 * A port nobody listens on, from below Linux's ephemeral range (32768+) so that outgoing
 * connections cannot take it between this check and the stack binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

/** Test stacks of runs that were killed: stop their PostgreSQL and remove their folders. */
async function sweepAbandoned(root: string): Promise<void> {
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const owner = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!owner || owner === process.pid || pidAlive(owner)) continue;
    const dir = path.join(root, entry);
    for (const db of ['db', 'pg15']) await stopLeftoverPostmaster(clusterDir(path.join(dir, db)), silent);
    rmSync(dir, { recursive: true, force: true });
  }
}

const silent = createLogger('sweep', { level: 'silent' });

/**
 * A throwaway stack on free ports and a fresh data folder under `.lintel/test/`: embedded
 * PostgreSQL 18 by default, Debian's PostgreSQL 15 when `pg` is '15'.
 */
/** The functions env file this process wrote (rewritten for each stack it starts). */
let ownEnvFile: string | undefined;

export async function startTestStack(opts: { pg?: 'embedded' | '15'; siteUrl?: string } = {}): Promise<TestStack> {
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  await sweepAbandoned(path.join(PROJECT_ROOT, '.lintel', 'test'));
  const stateDir = path.join(PROJECT_ROOT, '.lintel', 'test', id);
  mkdirSync(stateDir, { recursive: true });
  const logger = createLogger('test-stack', { file: path.join(PROJECT_ROOT, '.lintel', 'test-logs', `${id}.log`) });
  const [api, db, mail, smtp, stripe] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];

  let pg15: PostgresHandle | undefined;
  if (opts.pg === '15') {
    pg15 = await startPostgres({
      binDir: PG15_BIN_DIR,
      dataDir: path.join(stateDir, 'pg15'),
      host: '127.0.0.1',
      port: db,
      logger,
      durable: false,
    });
  }
  // Test stacks also serve the fixture functions of tests/stack (ones that throw, hang, exit)
  // with its secrets file, and end a hung function after 3 s instead of Supabase's 150 s.
  process.env.LINTEL_FUNCTIONS_EXTRA_DIR ??= path.join(PROJECT_ROOT, 'tests', 'stack', 'fixtures', 'functions');
  process.env.LINTEL_FUNCTIONS_WALL_CLOCK_SEC ??= '3';
  if (!process.env.LINTEL_FUNCTIONS_ENV_FILE || process.env.LINTEL_FUNCTIONS_ENV_FILE === ownEnvFile) {
    // The fixture secrets, the throwaway CA the web-push stand-in serves HTTPS with, and where the
    // web app runs (links in mail and Stripe's return pages), like `--env-file` for `functions serve`.
    ownEnvFile = path.join(PROJECT_ROOT, '.lintel', 'test', `functions-${process.pid}.env`);
    const fixture = readFileSync(path.join(PROJECT_ROOT, 'tests', 'stack', 'fixtures', 'functions.env'), 'utf8');
    const extra = [`PUSH_CA_CERTS=${JSON.stringify(pushCerts().caPem)}`, ...(opts.siteUrl ? [`SITE_URL=${opts.siteUrl}`] : [])];
    writeFileSync(ownEnvFile, `${fixture}\n${extra.join('\n')}\n`);
    process.env.LINTEL_FUNCTIONS_ENV_FILE = ownEnvFile;
  }
  const config = loadConfig({ stateDir, ports: { api, db, mail, smtp, stripe }, externalDbUrl: pg15?.url });
  try {
    const stack = await startStack(config, logger, { durable: false });
    return {
      status: stack.status,
      stateDir,
      async stop() {
        await stack.stop();
        await pg15?.stop();
        logger.flush();
        if (!process.env.LINTEL_KEEP_TEST_STATE) rmSync(stateDir, { recursive: true, force: true });
        if (ownEnvFile) rmSync(ownEnvFile, { force: true });
      },
    };
  } catch (err) {
    await pg15?.stop();
    throw err;
  }
}
