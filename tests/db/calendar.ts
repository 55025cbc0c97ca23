import type pg from 'pg';

/** Where the job asks for the clock and every org, and what a test asks instead. */
const FOR_ORGS: [string, string][] = [
  ['private.queue_rent_runs(now())', "private.queue_rent_runs(current_setting('lintel.calendar_now')::timestamptz, current_setting('lintel.calendar_orgs')::uuid[])"],
  ['private.claim_rent_run(v_since, null, v_from)', "private.claim_rent_run(v_since, current_setting('lintel.calendar_orgs')::uuid[], v_from)"],
];

/**
 * The hourly job's own command (cron.job 'rent-calendar', a top-level DO block), as of
 * `lintel.calendar_now` and for the orgs in `lintel.calendar_orgs` (session settings; see
 * runCalendar) instead of the clock and every org. Read from the database, so tests and the rent
 * benchmark run the job's loop as scheduled; a job no longer making those two calls fails here.
 */
export async function calendarJobForOrgs(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query(`select command from cron.job where jobname = 'rent-calendar'`);
  let command = rows[0]?.command as string | undefined;
  if (!command) throw new Error('no rent-calendar job in cron.job');
  for (const [call, instead] of FOR_ORGS) {
    if (command.split(call).length !== 2) throw new Error(`the rent-calendar job no longer calls ${call} once`);
    command = command.replace(call, instead);
  }
  return command;
}

/**
 * One hourly rent-calendar job as of `now`, for the given orgs only, as pg_cron runs it: the
 * job's DO block, one top-level statement committing per claim and per org. The job passes no
 * org list; tests limit it to their own orgs so the seeded ones and other files' are left alone.
 */
export async function runCalendar(client: pg.ClientBase, now: string | Date, orgIds: string[]): Promise<void> {
  await setCalendarJob(client, now, orgIds);
  await client.query(await calendarJobForOrgs(client));
}

/** The session settings calendarJobForOrgs's command reads. */
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
