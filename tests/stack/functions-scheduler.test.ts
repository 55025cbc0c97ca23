import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { nextRun } from '../../local-stack/scheduler/index.ts';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { db, stack } from '../setup/clients.ts';
import { freePort } from '../setup/test-stack.ts';

const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('scheduler: pg_cron and pg_net as a migration uses them', () => {
  let client: pg.Client;
  const jobs: string[] = [];
  beforeAll(async () => {
    client = await db();
  });
  afterAll(async () => {
    for (const name of jobs) await client.query('select cron.unschedule($1)', [name]).catch(() => undefined);
    await client.end();
  });

  it('runs a scheduled job on time and its net.http_post reaches the function', async () => {
    const s = stack();
    const name = `test-call-probe-${Date.now()}`;
    jobs.push(name);
    const { rows } = await client.query<{ jobid: string }>(
      `select cron.schedule($1, '1 seconds', format($cmd$
         select net.http_post(
           url := %L,
           headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', %L),
           body := jsonb_build_object('job', %L)
         ) as request_id
       $cmd$, $2::text, $3::text, $1::text)) as jobid`,
      [name, `${s.API_URL}/functions/v1/probe/echo`, `Bearer ${s.SERVICE_ROLE_KEY}`],
    );
    const jobid = rows[0]!.jobid;

    const run = await until('a succeeded run', async () => {
      const r = await client.query(
        `select status, return_message from cron.job_run_details where jobid = $1 and status <> 'running' order by runid limit 1`,
        [jobid],
      );
      return r.rows[0];
    });
    expect(run).toEqual({ status: 'succeeded', return_message: 'SELECT 1' });

    const response = await until('the function’s response in net._http_response', async () => {
      const r = await client.query<{ status_code: number; content: string }>(
        `select status_code, content from net._http_response where content like $1 order by created limit 1`,
        [`%${name}%`],
      );
      return r.rows[0];
    });
    expect(response.status_code).toBe(200);
    const echoed = JSON.parse(response.content) as { method: string; path: string; body: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ method: 'POST', path: '/probe/echo' });
    expect(JSON.parse(echoed.body)).toEqual({ job: name });
    expect(echoed.headers.authorization).toBe(`Bearer ${s.SERVICE_ROLE_KEY}`);
  });

  it('records a request that cannot connect in net._http_response, as pg_net does', async () => {
    const port = await freePort();
    const { rows } = await client.query<{ id: string }>(`select net.http_get($1, timeout_milliseconds := 2000) as id`, [
      `http://127.0.0.1:${port}/nothing-listens-here`,
    ]);
    const response = await until('the failed response row', async () => {
      const r = await client.query('select status_code, timed_out, error_msg from net._http_response where id = $1', [rows[0]!.id]);
      return r.rows[0];
    });
    expect(response).toMatchObject({ status_code: null, timed_out: false, error_msg: expect.stringMatching(/^Couldn't connect to server/) });
    const collected = await client.query(`select (net._http_collect_response($1)).status::text as status`, [rows[0]!.id]);
    expect(collected.rows[0]).toEqual({ status: 'ERROR' });
  });

  it('records a failing job as failed with the error, like pg_cron', async () => {
    const name = `test-fails-${Date.now()}`;
    jobs.push(name);
    const { rows } = await client.query<{ jobid: string }>(`select cron.schedule($1, '1 seconds', 'select 1/0') as jobid`, [name]);
    const run = await until('a failed run', async () => {
      const r = await client.query(
        `select status, return_message from cron.job_run_details where jobid = $1 and status <> 'running' limit 1`,
        [rows[0]!.jobid],
      );
      return r.rows[0];
    });
    expect(run).toEqual({ status: 'failed', return_message: 'ERROR:  division by zero' });
  });

  it('replaces a job scheduled again under the same name and refuses a bad schedule', async () => {
    const name = `test-rename-${Date.now()}`;
    jobs.push(name);
    const a = await client.query<{ id: string }>(`select cron.schedule($1, '0 3 * * *', 'select 1') as id`, [name]);
    const b = await client.query<{ id: string }>(`select cron.schedule($1, '30 4 * * *', 'select 2') as id`, [name]);
    expect(b.rows[0]!.id).toBe(a.rows[0]!.id);
    const job = await client.query('select schedule, command, active from cron.job where jobid = $1', [a.rows[0]!.id]);
    expect(job.rows[0]).toEqual({ schedule: '30 4 * * *', command: 'select 2', active: true });
    await expect(client.query(`select cron.schedule('bad', 'every day', 'select 1')`)).rejects.toThrow(/invalid schedule/);
    await expect(client.query(`select cron.unschedule('no-such-job')`)).rejects.toThrow(/could not find valid entry/);
  });

  it('runs a job now with `npm run stack -- run-job <name>`', async () => {
    const name = `test-run-now-${Date.now()}`;
    jobs.push(name);
    await client.query(`create schema if not exists run_job_probe; create table if not exists run_job_probe.runs (at timestamptz)`);
    try {
      // Yearly: it would not run by itself during the test.
      await client.query(`select cron.schedule($1, '0 0 1 1 *', 'insert into run_job_probe.runs values (now())')`, [name]);
      const res = await execa('npx', ['tsx', 'local-stack/cli.ts', 'stack', 'run-job', name], {
        cwd: PROJECT_ROOT,
        env: { DB_URL: stack().DB_URL },
      });
      expect(res.stdout).toMatch(new RegExp(`Job ${name}: succeeded \\(INSERT 0 1\\)`));
      const { rows } = await client.query('select count(*)::int as n from run_job_probe.runs');
      expect(rows[0]).toEqual({ n: 1 });
      const missing = await execa('npx', ['tsx', 'local-stack/cli.ts', 'stack', 'run-job', 'no-such-job'], {
        cwd: PROJECT_ROOT,
        env: { DB_URL: stack().DB_URL },
        reject: false,
      });
      expect(missing.exitCode).toBe(1);
      expect(missing.stderr).toMatch(/No scheduled job is named "no-such-job"/);
    } finally {
      await client.query('drop schema run_job_probe cascade');
    }
  });

  it('lets a job that is one DO block or CALL commit as it goes, as pg_cron runs it at top level', async () => {
    const name = `test-commits-${Date.now()}`;
    jobs.push(name);
    await client.query(`create schema if not exists commit_probe; create table if not exists commit_probe.steps (via text, i int)`);
    await client.query(`create or replace procedure commit_probe.steps() language plpgsql as $p$
      begin insert into commit_probe.steps values ('call', 1); commit; insert into commit_probe.steps values ('call', 2); commit; end $p$`);
    try {
      // Each step commits; the failure at the end undoes only what came after the last commit.
      await client.query(`select cron.schedule($1, '0 0 1 1 *', $2)`, [
        name,
        `do $d$ begin for i in 1..3 loop insert into commit_probe.steps values ('do', i); commit; end loop; perform 1/0; end $d$`,
      ]);
      const run = await execa('npx', ['tsx', 'local-stack/cli.ts', 'stack', 'run-job', name], { cwd: PROJECT_ROOT, env: { DB_URL: stack().DB_URL }, reject: false });
      expect(run.stderr).toMatch(/division by zero/);
      await client.query(`select cron.schedule($1, '0 0 1 1 *', 'call commit_probe.steps()')`, [name]);
      const call = await execa('npx', ['tsx', 'local-stack/cli.ts', 'stack', 'run-job', name], { cwd: PROJECT_ROOT, env: { DB_URL: stack().DB_URL } });
      expect(call.stdout).toMatch(/succeeded \(CALL\)/);
      const { rows } = await client.query(`select via, i from commit_probe.steps order by via desc, i`);
      expect(rows).toEqual([
        { via: 'do', i: 1 },
        { via: 'do', i: 2 },
        { via: 'do', i: 3 },
        { via: 'call', i: 1 },
        { via: 'call', i: 2 },
      ]);
    } finally {
      await client.query('drop schema commit_probe cascade');
    }
  });

  it('reads pg_cron schedules: seconds, five fields in UTC, the last day of the month', () => {
    const from = new Date('2026-02-10T08:15:30Z');
    expect(nextRun('30 seconds', from)?.toISOString()).toBe('2026-02-10T08:16:00.000Z');
    expect(nextRun('0 3 * * *', from)?.toISOString()).toBe('2026-02-11T03:00:00.000Z');
    expect(nextRun('*/20 * * * *', from)?.toISOString()).toBe('2026-02-10T08:20:00.000Z');
    expect(nextRun('0 9 $ * *', from)?.toISOString()).toBe('2026-02-28T09:00:00.000Z');
    expect(nextRun('@daily', from)?.toISOString()).toBe('2026-02-11T00:00:00.000Z');
    expect(nextRun('not a schedule', from)).toBeNull();
  });
});
