import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { bootstrapPlatform } from './db/bootstrap.ts';
import { pushMigrations } from './db/migrate.ts';
import { checkExternal, startPostgres, StackError, type PostgresHandle } from './db/postgres.ts';
import { dbUrl, statusVariables, type StackConfig } from './config.ts';
import { startGateway } from './gateway/index.ts';
import type { Logger } from './log.ts';
import { startMail, type MailHandle } from './mail/index.ts';
import type { Stoppable } from './service.ts';
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
}

export interface RunningStack {
  config: StackConfig;
  status: Record<string, string>;
  mail: MailHandle;
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
  const progress = opts.progress ?? (() => undefined);
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch((err) => logger.error({ err }, 'stop failed'));
    started.length = 0;
  };
  try {
    if (opts.reset) {
      if (config.externalDbUrl) {
        throw new StackError('--reset drops the local data folder; with DB_URL set, reset that database yourself.');
      }
      progress('Removing local data');
      // Everything but the logs, which the running logger writes to.
      for (const entry of existsSync(config.stateDir) ? readdirSync(config.stateDir) : []) {
        if (entry !== 'logs') rmSync(path.join(config.stateDir, entry), { recursive: true, force: true });
      }
    }
    mkdirSync(config.stateDir, { recursive: true });

    progress(config.externalDbUrl ? 'Connecting to DB_URL' : 'Starting PostgreSQL');
    const db: PostgresHandle = config.externalDbUrl
      ? await checkExternal(config.externalDbUrl)
      : await startPostgres({
          dataDir: path.join(config.stateDir, 'db'),
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

    const mail = await startMail({
      host: config.host,
      port: config.ports.mail,
      stateDir: config.stateDir,
      logger: logger.child({ service: 'mail' }),
    });
    started.push(mail);

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

    const status = statusVariables(config);
    writeFileSync(statusFile(config), JSON.stringify({ ...status, PID: String(process.pid) }, null, 2));
    return {
      config,
      status,
      mail,
      async stop() {
        rmSync(statusFile(config), { force: true });
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
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
