import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { bootstrapPlatform } from './db/bootstrap.ts';
import { pushMigrations } from './db/migrate.ts';
import { checkExternal, clusterDir, startPostgres, stopLeftoverPostmaster, type PostgresHandle } from './db/postgres.ts';
import { StackError } from './errors.ts';
import { dbUrl, statusVariables, type StackConfig } from './config.ts';
import { startGateway } from './gateway/index.ts';
import type { Logger } from './log.ts';
import { startMail, type MailHandle } from './mail/index.ts';
import { stackEndpoints, startStripe, type StripeHandle } from './stripe/index.ts';
import type { Stoppable } from './service.ts';
import { commandLine } from './process.ts';
import { SERVICES } from './services.ts';
import { createJwtVerifier, stackJwtKeys } from './jwt.ts';

export interface StackOptions {
  /** Drop the data, re-migrate and re-seed. */
  reset?: boolean;
  /** Apply `supabase/seed.sql` on a new database (default true). */
  seed?: boolean;
  /** Trade durability for speed (test stacks). */
  durable?: boolean;
  /** Progress lines for the person waiting. */
  progress?: (line: string) => void;
  /** Ctrl-C during a start: stop between steps instead of finishing first. */
  signal?: AbortSignal;
}

/** A start that was cancelled (Ctrl-C) before the stack was ready. */
export class StartCancelled extends StackError {
  constructor() {
    super('Stopped before the stack was ready.');
  }
}

export interface RunningStack {
  config: StackConfig;
  status: Record<string, string>;
  mail: MailHandle;
  stripe: StripeHandle;
  stop(): Promise<void>;
}

/** The file `npm run stack:status` reads while a stack runs from this state folder. */
export const statusFile = (config: StackConfig) => path.join(config.stateDir, 'status.json');

/**
 * Starts the database, applies the platform bootstrap and the project's migrations with the
 * Supabase CLI, then the mail outbox and the gateway. Whatever started is stopped again when a
 * later step fails, so a failed start leaves no process behind.
 */
export async function startStack(config: StackConfig, logger: Logger, opts: StackOptions = {}): Promise<RunningStack> {
  const started: Stoppable[] = [];
  const stopAll = async () => {
    const running = started.splice(0).reverse();
    for (const s of running) await s.stop().catch((err) => logger.error({ err }, 'stop failed'));
  };
  const progress = (line: string) => {
    if (opts.signal?.aborted) throw new StartCancelled();
    opts.progress?.(line);
  };
  const owner = claimStateDir(config);
  started.push(owner);
  try {
    const dataDir = path.join(config.stateDir, 'db');
    if (opts.reset) {
      if (config.externalDbUrl) {
        throw new StackError('--reset drops the local data folder; with DB_URL set, reset that database yourself.');
      }
      progress('Removing local data');
      // A PostgreSQL left running by a killed start must stop before its files go.
      const cluster = clusterDir(dataDir);
      await stopLeftoverPostmaster(cluster, logger);
      rmSync(cluster, { recursive: true, force: true });
      // Everything but the logs, which the running logger writes to, and the owner file.
      for (const entry of existsSync(config.stateDir) ? readdirSync(config.stateDir) : []) {
        if (entry !== 'logs' && entry !== OWNER_FILE) rmSync(path.join(config.stateDir, entry), { recursive: true, force: true });
      }
    }
    mkdirSync(config.stateDir, { recursive: true });

    progress(config.externalDbUrl ? 'Connecting to DB_URL' : 'Starting PostgreSQL');
    const db: PostgresHandle = config.externalDbUrl
      ? await checkExternal(config.externalDbUrl)
      : await startPostgres({
          dataDir,
          host: config.host,
          port: config.ports.db,
          logger: logger.child({ service: 'db' }),
          durable: opts.durable,
        });
    started.push(db);
    const url = dbUrl(config);

    progress('Applying the Supabase platform bootstrap');
    await bootstrapPlatform(url, (msg) => logger.debug(msg));

    const seeded = await isSeeded(url);
    progress('Applying migrations with the Supabase CLI');
    await pushMigrations({ projectRoot: config.projectRoot, dbUrl: url, seed: (opts.seed ?? true) && !seeded });
    await storeProjectUrl(url, statusVariables(config).API_URL!);

    const mail = await startMail({
      host: config.host,
      port: config.ports.mail,
      smtpPort: config.ports.smtp,
      stateDir: config.stateDir,
      logger: logger.child({ service: 'mail' }),
    });
    started.push(mail);

    const stripe = await startStripe({
      host: config.host,
      port: config.ports.stripe,
      logger: logger.child({ service: 'stripe' }),
      endpoints: stackEndpoints(statusVariables(config).API_URL!),
    });
    started.push(stripe);

    progress('Starting the API gateway');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle connection dropped by a restarting database must not crash the stack.
    pool.on('error', (err) => logger.warn({ err: err.message }, 'health pool connection lost'));
    started.push({ stop: () => pool.end() });
    const gateway = await startGateway({
      host: config.host,
      port: config.ports.api,
      logger: logger.child({ service: 'gateway' }),
      health: async () => {
        try {
          await pool.query('select 1');
          return { db: 'ok' };
        } catch {
          return { status: 'degraded', db: 'unreachable' };
        }
      },
    });
    started.push(gateway);

    const verifyJwt = createJwtVerifier(await stackJwtKeys(config.keys.jwtSecret, config.auth.signingKeysPath));
    for (const entry of SERVICES) {
      progress(`Starting ${entry.name}`);
      const factory = await entry.start();
      const service = await factory({ config, dbUrl: url, logger: logger.child({ service: entry.name }), mail, verifyJwt });
      gateway.mount(service);
    }

    // pg_cron / pg_net stand-in: runs due jobs of cron.job and performs queued net requests.
    progress('Starting the scheduler');
    const { startScheduler } = await import('./scheduler/index.ts');
    started.push(await startScheduler({ dbUrl: url, logger: logger.child({ service: 'scheduler' }) }));

    if (opts.signal?.aborted) throw new StartCancelled();
    const status = statusVariables(config);
    writeFileSync(statusFile(config), JSON.stringify({ ...status, PID: String(process.pid) }, null, 2));
    let stopping: Promise<void> | undefined;
    return {
      config,
      status,
      mail,
      stripe,
      stop() {
        // Ctrl-C and a finally block may both ask; the second waits for the first.
        stopping ??= (async () => {
          rmSync(statusFile(config), { force: true });
          await stopAll();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

const OWNER_FILE = 'stack.pid';

/**
 * One stack per state folder: a second start would stop the first one's database. The owner
 * file names the running stack's process; a dead owner (a killed start) is taken over.
 */
function claimStateDir(config: StackConfig): Stoppable {
  mkdirSync(config.stateDir, { recursive: true });
  const file = path.join(config.stateDir, OWNER_FILE);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid && /node|tsx/.test(commandLine(pid))) {
      throw new StackError(
        `The local stack is already running from ${config.stateDir} (pid ${pid}): stop it first, or use it (\`npm run -s stack:status\`).`,
      );
    }
  }
  writeFileSync(file, String(process.pid));
  return {
    stop: async () => {
      if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    },
  };
}

/**
 * Scheduled jobs call edge functions at the Vault secret `project_url`, which a hosted project's
 * deployer stores once (README, Deploying); the local stack stores its own API URL at each start,
 * as its ports may change between starts.
 */
async function storeProjectUrl(url: string, apiUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>("select id from vault.secrets where name = 'project_url'");
    if (rows[0]) await client.query('select vault.update_secret($1, $2)', [rows[0].id, apiUrl]);
    else await client.query("select vault.create_secret($1, 'project_url', 'Base URL of this project: cron jobs call its functions')", [apiUrl]);
  } finally {
    await client.end();
  }
}

/** Seeds run once: `npm start` on an existing database keeps what the developer changed. */
async function isSeeded(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "select count(*) as n from pg_tables where schemaname = 'supabase_migrations' and tablename = 'seed_files'",
    );
    if (rows[0]!.n === '0') return false;
    const seeds = await client.query<{ n: string }>('select count(*) as n from supabase_migrations.seed_files');
    return seeds.rows[0]!.n !== '0';
  } finally {
    await client.end();
  }
}
