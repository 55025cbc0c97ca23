import { Cron } from 'croner';
import pg from 'pg';
import type { Logger } from '../log.ts';
import type { Stoppable } from '../service.ts';

/** Application name the net worker connects with; `net.check_worker_is_up()` looks for it. */
export const NET_WORKER_APP = 'pg_net worker (lintel)';
const CRON_APP = 'pg_cron scheduler (lintel)';

/** pg_net's defaults: responses live 6 hours (pg_net.ttl), 200 requests per batch. */
const RESPONSE_TTL = '6 hours';
const NET_BATCH = 200;
/** Supabase advises at most 8 concurrent jobs; pg_cron skips a run while the last still runs. */
const MAX_CONCURRENT_JOBS = 8;

interface Job {
  jobid: string;
  jobname: string | null;
  schedule: string;
  command: string;
  username: string;
}

export interface RunResult {
  runid: string;
  status: 'succeeded' | 'failed';
  returnMessage: string;
}

/**
 * When a pg_cron schedule next fires after `from`: '[1-59] seconds' intervals, five cron fields
 * (UTC, `$` = last day of month) or an `@` macro; null for `@reboot` and unparseable schedules.
 */
export function nextRun(schedule: string, from: Date): Date | null {
  const seconds = /^\s*(\d+)\s+seconds?\s*$/i.exec(schedule);
  if (seconds) return new Date(from.getTime() + Number(seconds[1]) * 1000);
  const text = schedule.trim();
  if (/^@reboot$/i.test(text)) return null;
  try {
    // pg_cron writes the last day of the month as `$`; croner as `L`. Vixie cron's OR of
    // day-of-month and day-of-week is croner's default too.
    const cron = new Cron(text.replace(/\$/g, 'L'), { timezone: 'UTC', paused: true, mode: '5-part' });
    return cron.nextRun(from);
  } catch {
    return null;
  }
}

/** pg_cron stores the command status of the last statement, e.g. `SELECT 1`, `INSERT 0 1`. */
function commandStatus(result: pg.QueryResult | pg.QueryResult[]): string {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  if (!last?.command) return '';
  if (last.command === 'INSERT') return `INSERT 0 ${last.rowCount ?? 0}`;
  return last.rowCount === null ? last.command : `${last.command} ${last.rowCount}`;
}

/** Runs one job now as pg_cron would: as its user, one implicit transaction, history recorded. */
export async function runJob(pool: pg.Pool, job: Job): Promise<RunResult> {
  const client = await pool.connect();
  try {
    const { rows } = await pool.query<{ runid: string }>(
      `insert into cron.job_run_details (jobid, job_pid, database, username, command, status, start_time)
       values ($1, $2, current_database(), $3, $4, 'running', now()) returning runid`,
      [job.jobid, (client as unknown as { processID: number }).processID ?? null, job.username, job.command],
    );
    const runid = rows[0]!.runid;
    let status: RunResult['status'] = 'succeeded';
    let returnMessage: string;
    try {
      await client.query(`set role ${client.escapeIdentifier(job.username)}`);
      returnMessage = commandStatus((await client.query(job.command)) as pg.QueryResult | pg.QueryResult[]);
    } catch (err) {
      status = 'failed';
      returnMessage = `ERROR:  ${(err as Error).message}`;
    } finally {
      await client.query('reset role').catch(() => undefined);
    }
    await pool.query(
      'update cron.job_run_details set status = $2, return_message = $3, end_time = now() where runid = $1',
      [runid, status, returnMessage],
    );
    return { runid, status, returnMessage };
  } finally {
    client.release();
  }
}

/** `npm run stack -- run-job <name>`: runs the named job once against a running stack's database. */
export async function runJobByName(dbUrl: string, name: string): Promise<RunResult | null> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2, application_name: CRON_APP });
  try {
    const { rows } = await pool.query<Job>(
      `select jobid, jobname, schedule, command, username from cron.job
        where jobname = $1 and database = current_database()
        order by (username = current_user) desc, jobid limit 1`,
      [name],
    );
    return rows[0] ? await runJob(pool, rows[0]) : null;
  } finally {
    await pool.end();
  }
}

interface Queued {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
}

/** Performs one queued request and records its response the way pg_net's worker does. */
async function perform(pool: pg.Pool, req: Queued): Promise<void> {
  const started = performance.now();
  let row: [number | null, string | null, unknown, string | null, boolean, string | null];
  try {
    const res = await fetch(req.url, {
      method: req.method.toUpperCase(),
      headers: req.headers ?? {},
      body: req.body && req.method.toUpperCase() !== 'GET' ? new Uint8Array(req.body) : undefined,
      signal: AbortSignal.timeout(req.timeout_milliseconds),
    });
    const content = await res.text();
    row = [res.status, res.headers.get('content-type'), Object.fromEntries(res.headers), content, false, null];
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    const message = timedOut
      ? `Timeout of ${req.timeout_milliseconds} ms reached. Total time: ${(performance.now() - started).toFixed(3)} ms`
      : `Couldn't connect to server: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`;
    row = [null, null, null, null, timedOut, message];
  }
  await pool.query(
    `insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [req.id, ...row],
  );
}

export interface SchedulerHandle extends Stoppable {
  /** Runs a job by name now, whatever its schedule. */
  runJob(name: string): Promise<RunResult | null>;
}

/**
 * The local stand-in for pg_cron's and pg_net's background workers: every second it runs the
 * jobs of `cron.job` that are due, and it performs the requests `net.http_*` queued as soon as
 * their transaction commits. Against a database that has the real extensions it does nothing.
 */
export async function startScheduler(opts: { dbUrl: string; logger: Logger }): Promise<SchedulerHandle> {
  const { logger } = opts;
  const pool = new pg.Pool({ connectionString: opts.dbUrl, max: MAX_CONCURRENT_JOBS + 2, application_name: CRON_APP });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'scheduler connection error'));
  const { rows } = await pool.query<{ real: boolean; ours: boolean }>(
    `select exists (select from pg_extension where extname in ('pg_cron', 'pg_net')) as real,
            exists (select from pg_namespace where nspname = 'cron')
              and exists (select from pg_namespace where nspname = 'net') as ours`,
  );
  if (rows[0]!.real || !rows[0]!.ours) {
    logger.info('pg_cron / pg_net are real here (or absent); the local scheduler stays idle');
    await pool.end();
    return { runJob: async () => null, stop: async () => undefined };
  }

  let stopped = false;
  const nextAt = new Map<string, number>();
  const running = new Set<string>();
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };

  async function tick(): Promise<void> {
    const now = new Date();
    const { rows: jobs } = await pool.query<Job>(
      `select jobid::text, jobname, schedule, command, username from cron.job
        where active and database = current_database()`,
    );
    const seen = new Set<string>();
    for (const job of jobs) {
      const key = `${job.jobid}\0${job.schedule}`;
      seen.add(key);
      let due = nextAt.get(key);
      if (due === undefined) {
        const first = /^\s*@reboot\s*$/i.test(job.schedule) ? now : nextRun(job.schedule, now);
        if (!first) continue;
        due = first.getTime();
        nextAt.set(key, due);
      }
      if (due > now.getTime() || running.has(job.jobid) || running.size >= MAX_CONCURRENT_JOBS) continue;
      const next = nextRun(job.schedule, now);
      nextAt.set(key, next ? next.getTime() : Number.POSITIVE_INFINITY);
      running.add(job.jobid);
      track(
        runJob(pool, job)
          .then((r) => logger.info({ job: job.jobname ?? job.jobid, status: r.status, message: r.returnMessage }, 'cron job ran'))
          .catch((err) => logger.error({ job: job.jobname ?? job.jobid, err: (err as Error).message }, 'cron job could not run'))
          .finally(() => running.delete(job.jobid)),
      );
    }
    for (const key of nextAt.keys()) if (!seen.has(key)) nextAt.delete(key);
  }

  let draining = false;
  let drainAgain = false;
  async function drainQueue(): Promise<void> {
    if (draining) {
      drainAgain = true;
      return;
    }
    draining = true;
    try {
      do {
        drainAgain = false;
        const { rows: batch } = await pool.query<Queued>(
          `delete from net.http_request_queue
            where id in (select id from net.http_request_queue order by id limit ${NET_BATCH} for update skip locked)
        returning id::text, method, url, headers, body, timeout_milliseconds`,
        );
        await Promise.all(
          batch.map((req) =>
            perform(pool, req).catch((err) => logger.error({ id: req.id, err: (err as Error).message }, 'net request not recorded')),
          ),
        );
        if (batch.length === NET_BATCH) drainAgain = true;
      } while (drainAgain && !stopped);
    } finally {
      draining = false;
    }
  }

  // The net worker's own connection: LISTEN for `net.wake()`, visible to check_worker_is_up().
  const listener = new pg.Client({ connectionString: opts.dbUrl, application_name: NET_WORKER_APP });
  listener.on('error', (err) => logger.warn({ err: err.message }, 'net worker connection error'));
  await listener.connect();
  listener.on('notification', () => void track(drainQueue().catch((err) => logger.error({ err: err.message }, 'net queue'))));
  await listener.query('listen lintel_net');

  let timer: NodeJS.Timeout | undefined;
  let lastCleanup = 0;
  const loop = () => {
    if (stopped) return;
    const work = (async () => {
      await tick();
      // A request queued while the worker was down (no NOTIFY heard) is picked up here.
      await drainQueue();
      if (Date.now() - lastCleanup > 60_000) {
        lastCleanup = Date.now();
        await pool.query(`delete from net._http_response where created < now() - interval '${RESPONSE_TTL}'`);
      }
    })().catch((err) => logger.error({ err: (err as Error).message }, 'scheduler tick failed'));
    void track(work).finally(() => {
      // Ticks land just after each whole second, as pg_cron's minute ticks land on the minute.
      if (!stopped) timer = setTimeout(loop, 1000 - (Date.now() % 1000) + 5);
    });
  };
  loop();

  return {
    async runJob(name) {
      const { rows: found } = await pool.query<Job>(
        `select jobid::text, jobname, schedule, command, username from cron.job
          where jobname = $1 and database = current_database() order by jobid limit 1`,
        [name],
      );
      return found[0] ? runJob(pool, found[0]) : null;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...inflight]);
      await listener.end().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
