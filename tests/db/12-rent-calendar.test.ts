import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { calendarJobForOrgs, localDate, runCalendar, setCalendarJob } from './calendar.ts';
import { actAs, actAsPostgres, attempt, balanceMismatches, pool, rolledBack, tokenClaims, type Tx } from './db.ts';
import { createOrg } from './fixtures.ts';

// The rent calendar: the hourly job queues a run for each org whose local date moved on and
// runs each org and day in its own transaction (rent_runs); failures are kept and retried; a
// killed job is resumed; owners and admins can run now. What one run posts is 06-rent-run.

afterEach(async () => {
  expect(await balanceMismatches(pool())).toBe(0);
});

interface Terms {
  start: string;
  end?: string;
  dueDay?: number;
  rent?: number;
}

/** A committed org in a time zone, with one unit and lease per entry of `leases`. */
async function calendarOrg(timezone: string, leases: Terms[]): Promise<{ id: string; leases: string[] }> {
  const c = await pool().connect();
  try {
    await c.query('begin');
    const slug = `cal-${randomUUID().slice(0, 8)}`;
    const id = (await c.query(`insert into public.organizations (name, slug, timezone) values ($1, $1, $2) returning id`, [slug, timezone])).rows[0].id;
    const property = (await c.query(`insert into public.properties (org_id, name) values ($1, 'P') returning id`, [id])).rows[0].id;
    const ids: string[] = [];
    for (const [i, t] of leases.entries()) {
      const unit = (await c.query(`insert into public.units (org_id, property_id, label) values ($1, $2, $3) returning id`, [id, property, `U${i}`])).rows[0].id;
      ids.push(
        (
          await c.query(
            `insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, due_day, grace_days, late_fee_minor)
             values ($1, $2, 'active', $3, $4, $5, $6, 5, 5000) returning id`,
            [id, unit, t.start, t.end ?? null, t.rent ?? 100000, t.dueDay ?? 1],
          )
        ).rows[0].id,
      );
    }
    await c.query('commit');
    return { id, leases: ids };
  } catch (err) {
    await c.query('rollback');
    throw err;
  } finally {
    c.release();
  }
}

async function calendar(now: string, orgIds: string[]): Promise<void> {
  const c = await pool().connect();
  try {
    await runCalendar(c, now, orgIds);
  } finally {
    c.release();
  }
}

const rentPeriods = async (leaseId: string) =>
  (await pool().query(`select to_char(period_start, 'YYYY-MM') as p from public.ledger_entries where lease_id = $1 and kind = 'rent' order by 1`, [leaseId])).rows.map(
    (r) => r.p as string,
  );

const runs = async (orgId: string) =>
  (
    await pool().query(
      `select to_char(local_date, 'YYYY-MM-DD') as day, status, attempts, rent_entries, late_fee_entries, error_code, source
       from public.rent_runs where org_id = $1 order by local_date`,
      [orgId],
    )
  ).rows;

describe('each org on its own calendar', () => {
  it('charges an org when its local date reaches the due day, whatever the UTC date', async () => {
    const zones = ['Pacific/Kiritimati', 'Asia/Tokyo', 'Europe/London', 'America/Los_Angeles', 'Pacific/Pago_Pago'];
    const orgs = await Promise.all(zones.map((tz) => calendarOrg(tz, [{ start: '2031-03-01' }])));
    const ids = orgs.map((o) => o.id);
    // The hour after local midnight of 1 March 2031 in each zone, east to west.
    const steps: [string, string[]][] = [
      ['2031-02-28T10:30:00Z', ['Pacific/Kiritimati']],
      ['2031-02-28T15:30:00Z', ['Pacific/Kiritimati', 'Asia/Tokyo']],
      ['2031-03-01T00:30:00Z', ['Pacific/Kiritimati', 'Asia/Tokyo', 'Europe/London']],
      ['2031-03-01T08:30:00Z', ['Pacific/Kiritimati', 'Asia/Tokyo', 'Europe/London', 'America/Los_Angeles']],
      ['2031-03-01T11:30:00Z', zones],
    ];
    for (const [now, charged] of steps) {
      await calendar(now, ids);
      for (const [i, tz] of zones.entries()) {
        expect(await rentPeriods(orgs[i]!.leases[0]!), `${tz} at ${now}`).toEqual(charged.includes(tz) ? ['2031-03'] : []);
        const latest = (await runs(orgs[i]!.id)).at(-1);
        expect(latest, `${tz}'s latest run at ${now}`).toMatchObject({ day: localDate(new Date(now), tz), status: 'succeeded', source: 'schedule' });
      }
    }
    // Each org's 1 March run posted its rent; running the last hour again changes nothing.
    for (const o of orgs) expect((await runs(o.id)).find((r) => r.day === '2031-03-01')).toMatchObject({ rent_entries: 1, attempts: 1 });
    await calendar('2031-03-01T11:30:00Z', ids);
    for (const o of orgs) {
      expect(await rentPeriods(o.leases[0]!)).toEqual(['2031-03']);
      expect((await runs(o.id)).find((r) => r.day === '2031-03-01')).toMatchObject({ rent_entries: 1, attempts: 1 });
    }
  });

  it('after a gap, runs every missed day in order, so rent due on one of them is still posted', async () => {
    const org = await calendarOrg('UTC', [{ start: '2031-05-01', dueDay: 28 }, { start: '2031-05-01', dueDay: 2 }]);
    await calendar('2031-05-27T03:00:00Z', [org.id]);
    expect(await rentPeriods(org.leases[0]!)).toEqual([]);
    // The job was down from 28 May to 3 June.
    await calendar('2031-06-03T03:00:00Z', [org.id]);
    expect(await rentPeriods(org.leases[0]!)).toEqual(['2031-05']);
    expect(await rentPeriods(org.leases[1]!)).toEqual(['2031-05', '2031-06']);
    expect((await runs(org.id)).map((r) => r.day)).toEqual(['2031-05-27', '2031-05-28', '2031-05-29', '2031-05-30', '2031-05-31', '2031-06-01', '2031-06-02', '2031-06-03']);
  });
});

describe('one transaction per org and day', () => {
  it('a failing org is recorded with its error and retried on the next hour, never twice in one; the others proceed', async () => {
    const terms = [{ start: '2032-01-01' }, { start: '2032-01-01', dueDay: 2 }];
    const [bad, good1, good2] = await Promise.all([calendarOrg('UTC', terms), calendarOrg('UTC', terms), calendarOrg('UTC', terms)]);
    const ids = [bad!.id, good1!.id, good2!.id];
    await calendar('2032-01-01T01:00:00Z', ids);
    // Bad data in one org: its lease's marker says December, the ledger already has January,
    // so its January run fails on the unique key (as a constraint violation would).
    await pool().query(`update public.leases set rent_posted_period = '2031-12-01' where id = $1`, [bad!.leases[0]]);

    await calendar('2032-01-02T01:00:00Z', ids);
    expect((await runs(bad!.id)).at(-1)).toMatchObject({ day: '2032-01-02', status: 'failed', attempts: 1, error_code: '23505' });
    const error = (await pool().query(`select error from public.rent_runs where org_id = $1 and local_date = '2032-01-02'`, [bad!.id])).rows[0].error;
    expect(error).toMatch(/duplicate key value violates unique constraint "ledger_entries_org_id_idempotency_key_key"/);
    for (const g of [good1!, good2!]) {
      expect((await runs(g.id)).at(-1)).toMatchObject({ day: '2032-01-02', status: 'succeeded', rent_entries: 1 });
      expect(await rentPeriods(g.leases[1]!)).toEqual(['2032-01']);
    }
    // The whole org's day was rolled back: its other lease, due the 2nd, is not charged yet.
    expect(await rentPeriods(bad!.leases[1]!)).toEqual([]);

    // An hour later: retried once.
    await calendar('2032-01-02T02:00:00Z', ids);
    expect((await runs(bad!.id)).at(-1)).toMatchObject({ day: '2032-01-02', status: 'failed', attempts: 2 });
    // The next day waits behind the failed one, untried.
    await calendar('2032-01-03T01:00:00Z', ids);
    expect((await runs(bad!.id)).slice(-2)).toMatchObject([
      { day: '2032-01-02', status: 'failed', attempts: 3 },
      { day: '2032-01-03', status: 'queued', attempts: 0 },
    ]);
    expect((await runs(good1!.id)).at(-1)).toMatchObject({ day: '2032-01-03', status: 'succeeded' });

    // Fixed: the next hour catches up both days, in order.
    await pool().query(`update public.leases set rent_posted_period = '2032-01-01' where id = $1`, [bad!.leases[0]]);
    await calendar('2032-01-03T02:00:00Z', ids);
    expect((await runs(bad!.id)).slice(-2)).toMatchObject([
      { day: '2032-01-02', status: 'succeeded', attempts: 4, rent_entries: 1, error_code: null },
      { day: '2032-01-03', status: 'succeeded', attempts: 1 },
    ]);
    expect(await rentPeriods(bad!.leases[1]!)).toEqual(['2032-01']);
    expect(await rentPeriods(bad!.leases[0]!)).toEqual(['2032-01']);
  });

  it('a job killed in the middle of an org leaves the orgs it finished done; the next one resumes the rest', async () => {
    const [done, killed, waiting] = await Promise.all([0, 1, 2].map(() => calendarOrg('UTC', [{ start: '2033-01-01' }])));
    const ids = [done!.id, killed!.id, waiting!.id];
    const job = await pool().connect();
    const blocker = await pool().connect();
    try {
      const since = (await job.query('select clock_timestamp() as t')).rows[0].t;
      await job.query('select private.queue_rent_runs($1, $2)', ['2033-01-01T01:00:00Z', ids]);
      const first = (await job.query('select private.claim_rent_run($1, $2) as id', [since, [done!.id]])).rows[0].id;
      await job.query('select private.execute_rent_run($1)', [first]);
      // The next org's run is claimed, then its posting waits on a lease row someone holds...
      await blocker.query('begin');
      await blocker.query('select 1 from public.leases where id = $1 for update', [killed!.leases[0]]);
      const second = (await job.query('select private.claim_rent_run($1, $2) as id', [since, [killed!.id]])).rows[0].id;
      const pid = (await job.query('select pg_backend_pid() as pid')).rows[0].pid;
      job.on('error', () => undefined);
      const stuck = job.query('select private.execute_rent_run($1)', [second]).catch((err: Error) => err);
      const waiting = async () => (await pool().query(`select wait_event_type from pg_stat_activity where pid = $1`, [pid])).rows[0]?.wait_event_type;
      await expect.poll(waiting, { timeout: 5000 }).toBe('Lock');
      // ...and the job is killed there.
      await pool().query('select pg_terminate_backend($1)', [pid]);
      expect(await stuck).toBeInstanceOf(Error);
      await blocker.query('rollback');
    } finally {
      job.release(true);
      blocker.release();
    }
    expect((await runs(done!.id))[0]).toMatchObject({ status: 'succeeded', rent_entries: 1 });
    expect((await runs(killed!.id))[0]).toMatchObject({ status: 'running', attempts: 1, rent_entries: 0 });
    expect((await runs(waiting!.id))[0]).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await rentPeriods(killed!.leases[0]!)).toEqual([]);

    // The next hourly job takes over the run whose runner died and finishes the rest.
    await calendar('2033-01-01T02:00:00Z', ids);
    expect((await runs(done!.id))[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await runs(killed!.id))[0]).toMatchObject({ status: 'succeeded', attempts: 2, rent_entries: 1 });
    expect((await runs(waiting!.id))[0]).toMatchObject({ status: 'succeeded', attempts: 1, rent_entries: 1 });
    for (const o of [done!, killed!, waiting!]) expect(await rentPeriods(o.leases[0]!)).toEqual(['2033-01']);
  });

  it('a run another job has claimed is left to it while that job runs, and taken over once it stops', async () => {
    const org = await calendarOrg('UTC', [{ start: '2033-02-01' }]);
    const other = await pool().connect();
    try {
      const since = (await other.query('select clock_timestamp() as t')).rows[0].t;
      await other.query('select private.queue_rent_runs($1, $2)', ['2033-02-01T01:00:00Z', [org.id]]);
      expect((await other.query('select private.claim_rent_run($1, $2) as id', [since, [org.id]])).rows[0].id).toBeTruthy();
      // While that job is busy (its statement running), a second job leaves the run alone.
      const busy = other.query('select pg_sleep(1.5)');
      const sleeping = async () => (await pool().query(`select count(*)::int as n from pg_stat_activity where query = 'select pg_sleep(1.5)' and state = 'active'`)).rows[0].n;
      await expect.poll(sleeping, { timeout: 1000, interval: 20 }).toBe(1);
      await calendar('2033-02-01T01:30:00Z', [org.id]);
      expect(await runs(org.id)).toMatchObject([{ status: 'running', attempts: 1 }]);
      expect(await rentPeriods(org.leases[0]!)).toEqual([]);
      // Once it sits idle (a job that failed, its connection back in a pool), the next one takes over.
      await busy;
      await calendar('2033-02-01T02:00:00Z', [org.id]);
      expect(await runs(org.id)).toMatchObject([{ status: 'succeeded', attempts: 2, rent_entries: 1 }]);
      expect(await rentPeriods(org.leases[0]!)).toEqual(['2033-02']);
    } finally {
      other.release();
    }
  });
});

describe('run now', () => {
  const today = () => new Date().toISOString().slice(0, 10);

  it('owners and admins run their org now: today’s run, recorded as theirs; again posts nothing', async () => {
    const t = await createOrg({ start: '2001-01-01' });
    for (const role of ['owner', 'admin'] as const) {
      await rolledBack(async (c) => {
        await actAs(c, t.users[role]!.email);
        const run = (await c.query(`select *, to_char(local_date, 'YYYY-MM-DD') as day from public.run_rent_now()`)).rows[0];
        expect(run).toMatchObject({ org_id: t.org, status: 'succeeded', source: 'user', requested_by: t.users[role]!.id, rent_entries: 1 });
        expect(run.day).toBe(today());
        expect(run.charged_lease_ids).toEqual([t.lease]);
        const again = (await c.query('select * from public.run_rent_now()')).rows[0];
        expect(again).toMatchObject({ status: 'succeeded', rent_entries: 1, attempts: 2, charged_lease_ids: [t.lease] });
        await actAsPostgres(c);
        const rent = (await c.query(`select count(*)::int as n from public.ledger_entries where lease_id = $1 and kind = 'rent'`, [t.lease])).rows[0].n;
        expect(rent).toBe(1);
      });
    }
  });

  it('other roles are refused, and so are claims a membership no longer backs', async () => {
    const t = await createOrg({ start: '2001-01-01' });
    for (const role of ['manager', 'maintenance', 'viewer'] as const) {
      await rolledBack(async (c) => {
        await actAs(c, t.users[role]!.email);
        expect((await attempt(c, 'select public.run_rent_now()')).code).toBe('LT403');
      });
    }
    await rolledBack(async (c) => {
      await actAs(c, 'anon');
      expect((await attempt(c, 'select public.run_rent_now()')).code).toBe('42501');
    });
    await rolledBack(async (c) => {
      // An admin demoted since their token was issued still holds org_role admin in it.
      const claims = await tokenClaims(c, t.users.admin!.email);
      await c.query(`update public.memberships set role = 'viewer' where org_id = $1 and user_id = $2`, [t.org, t.users.admin!.id]);
      await actAs(c, t.users.admin!.email, { claims });
      expect((await attempt(c, 'select public.run_rent_now()')).code).toBe('LT403');
    });
  });

  it('owners and admins read their org’s runs; other roles and other orgs see none', async () => {
    const t = await createOrg({ start: '2001-01-01' });
    const other = await createOrg({ start: '2001-01-01' });
    for (const o of [t, other]) {
      await pool().query(`insert into public.rent_runs (org_id, local_date, status) values ($1, '2099-01-01', 'succeeded')`, [o.org]);
    }
    const visible = async (email: string) =>
      rolledBack(async (c) => {
        await actAs(c, email);
        return (await c.query('select org_id from public.rent_runs')).rows.map((r) => r.org_id);
      });
    expect(await visible(t.users.owner!.email)).toEqual([t.org]);
    expect(await visible(t.users.admin!.email)).toEqual([t.org]);
    expect(await visible(t.users.manager!.email)).toEqual([]);
    expect(await visible(t.users.viewer!.email)).toEqual([]);
  });

  it('two at once post once', async () => {
    const t = await createOrg({ start: '2001-01-01' });
    const both = await Promise.all(
      [0, 1].map(async () => {
        const c = await pool().connect();
        try {
          await c.query('begin');
          await actAs(c, t.users.owner!.email);
          const run = (await c.query('select status from public.run_rent_now()')).rows[0];
          await c.query('commit');
          return run.status;
        } finally {
          c.release();
        }
      }),
    );
    expect(both).toEqual(['succeeded', 'succeeded']);
    const rent = (await pool().query(`select count(*)::int as n from public.ledger_entries where lease_id = $1 and kind = 'rent'`, [t.lease])).rows[0].n;
    expect(rent).toBe(1);
  });

  it('progress goes out on the org’s finance topic without the error or the requester', async () => {
    const t = await createOrg({ start: '2001-01-01' });
    await rolledBack(async (c: Tx) => {
      await actAs(c, t.users.owner!.email);
      await c.query('select public.run_rent_now()');
      await actAsPostgres(c);
      const messages = (
        await c.query(`select topic, event, payload from realtime.messages where topic = $1 and payload ->> 'table' = 'rent_runs' order by inserted_at`, [
          `org:${t.org}:finance`,
        ])
      ).rows;
      expect(messages.map((m) => m.payload.record.status)).toEqual(expect.arrayContaining(['succeeded']));
      for (const m of messages) {
        expect(m.payload).toMatchObject({ table: 'rent_runs', schema: 'public', operation: m.event });
        expect(Object.keys(m.payload.record).sort()).toEqual(
          ['attempts', 'finished_at', 'id', 'late_fee_entries', 'local_date', 'org_id', 'rent_entries', 'started_at', 'status'],
        );
      }
    });
  });
});

describe('the hourly job', () => {
  it('is scheduled hourly, and its command (a top-level DO block committing per org) charges each org for its local today', async () => {
    const job = (await pool().query(`select schedule, command, username from cron.job where jobname = 'rent-calendar'`)).rows[0];
    expect(job).toMatchObject({ schedule: '0 * * * *', username: 'postgres' });
    // An org whose day began most recently (UTC+14), with rent due today there.
    const tz = 'Pacific/Kiritimati';
    const day = localDate(new Date(), tz);
    const org = await calendarOrg(tz, [{ start: day }]);
    // As pg_cron runs it: the command alone, at top level (the simple query protocol).
    await pool().query(job.command);
    const mine = await runs(org.id);
    expect(mine.at(-1)).toMatchObject({ status: 'succeeded', rent_entries: 1, source: 'schedule' });
    expect([day, localDate(new Date(), tz)]).toContain(mine.at(-1)!.day);
    await pool().query(job.command);
    expect(await rentPeriods(org.leases[0]!)).toEqual([day.slice(0, 7)]);
  });

  it('runs as two jobs with the same command, which share the orgs and post each run once', async () => {
    const jobs = (await pool().query(`select jobname, schedule, command from cron.job where jobname like 'rent-calendar%' order by jobname`)).rows;
    expect(jobs.map((j) => j.jobname)).toEqual(['rent-calendar', 'rent-calendar-2']);
    expect(jobs[1].schedule).toBe(jobs[0].schedule);
    expect(jobs[1].command).toBe(jobs[0].command);
    // Two runners at once, each the job's DO block on its own backend, over orgs with two leases
    // whose rent falls due that day: both take part, and every org's day is run once, posted once.
    const orgs = await Promise.all(Array.from({ length: 40 }, () => calendarOrg('UTC', [{ start: '2034-03-02' }, { start: '2034-03-02' }])));
    const ids = orgs.map((o) => o.id);
    const runners = [await pool().connect(), await pool().connect()];
    try {
      const pids = [];
      for (const r of runners) {
        await setCalendarJob(r, '2034-03-02T01:00:00Z', ids);
        pids.push((await r.query('select pg_backend_pid() as pid')).rows[0].pid as number);
      }
      const command = await calendarJobForOrgs(runners[0]!);
      await Promise.all(runners.map((r) => r.query(command)));
      const done = (
        await pool().query(
          `select to_char(local_date, 'YYYY-MM-DD') as day, status, attempts, rent_entries, runner_pid
           from public.rent_runs where org_id = any ($1) order by org_id, local_date`,
          [ids],
        )
      ).rows;
      expect(done).toHaveLength(40);
      expect(done.filter((r) => r.day !== '2034-03-02' || r.status !== 'succeeded' || r.attempts !== 1 || r.rent_entries !== 2)).toEqual([]);
      expect(new Set(done.map((r) => r.runner_pid))).toEqual(new Set(pids));
      for (const o of orgs) {
        expect(await rentPeriods(o.leases[0]!)).toEqual(['2034-03']);
        expect(await rentPeriods(o.leases[1]!)).toEqual(['2034-03']);
      }
    } finally {
      for (const r of runners) r.release();
    }
  });
});
