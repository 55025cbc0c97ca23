import type pg from 'pg';

/**
 * One hourly rent-calendar job as of `now`, for the given orgs only: the steps of the job's DO
 * block (supabase/migrations/*_add_rent_calendar.sql), each statement its own transaction on
 * one connection as there. The job passes no org list; tests limit it to their own orgs so the
 * seeded ones and other files' are left alone.
 */
export async function runCalendar(client: pg.ClientBase, now: string | Date, orgIds: string[]): Promise<void> {
  const since = (await client.query<{ t: Date }>('select clock_timestamp() as t')).rows[0]!.t;
  await client.query('select private.queue_rent_runs($1, $2)', [now, orgIds]);
  let from: string | null = null;
  for (;;) {
    const claimed: pg.QueryResult<{ id: string | null; org: string | null }> = await client.query(
      'select r.id, r.org_id as org from (select private.claim_rent_run($1, $2, $3) as id) c left join public.rent_runs r on r.id = c.id',
      [since, orgIds, from],
    );
    const { id, org }: { id: string | null; org: string | null } = claimed.rows[0]!;
    if (!id && from) {
      from = null;
      continue;
    }
    if (!id) return;
    from = org;
    await client.query('select private.execute_rent_run($1)', [id]);
  }
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
