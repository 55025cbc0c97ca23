import type pg from 'pg';

/**
 * The hourly job's DO block (supabase/migrations/*_add_rent_calendar.sql) as one top-level
 * statement, as pg_cron runs it, but as of `lintel.calendar_now` and for the orgs in
 * `lintel.calendar_orgs` (session settings; see runCalendar). The rent benchmark runs it too.
 */
export const CALENDAR_JOB_FOR_ORGS = `
do $run$
declare
  v_since timestamptz := clock_timestamp();
  v_orgs uuid[] := current_setting('lintel.calendar_orgs')::uuid[];
  v_run uuid;
  v_from uuid;
begin
  perform private.queue_rent_runs(current_setting('lintel.calendar_now')::timestamptz, v_orgs);
  commit;
  loop
    v_run := private.claim_rent_run(v_since, v_orgs, v_from);
    if v_run is null and v_from is not null then
      v_from := null;
      continue;
    end if;
    exit when v_run is null;
    commit;
    select org_id into v_from from public.rent_runs where id = v_run;
    perform private.execute_rent_run(v_run);
    commit;
  end loop;
end
$run$`;

/**
 * One hourly rent-calendar job as of `now`, for the given orgs only, as pg_cron runs it: the
 * job's DO block, one top-level statement committing per claim and per org. The job passes no
 * org list; tests limit it to their own orgs so the seeded ones and other files' are left alone.
 */
export async function runCalendar(client: pg.ClientBase, now: string | Date, orgIds: string[]): Promise<void> {
  await setCalendarJob(client, now, orgIds);
  await client.query(CALENDAR_JOB_FOR_ORGS);
}

/** The session settings CALENDAR_JOB_FOR_ORGS reads. */
export async function setCalendarJob(client: pg.ClientBase, now: string | Date, orgIds: string[]): Promise<void> {
  await client.query(`select set_config('lintel.calendar_now', $1, false), set_config('lintel.calendar_orgs', $2, false)`, [
    now instanceof Date ? now.toISOString() : now,
    `{${orgIds.join(',')}}`,
  ]);
}

/** The org's local calendar date at an instant, from the IANA zone (Intl, not the database). */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The org's local hour (0-23) at an instant. */
export function localHour(instant: Date, timeZone: string): number {
  const h = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(instant);
  return Number(h);
}
