import type pg from 'pg';

/**
 * Sets transaction-local settings (`set_config(name, value, true)`) in one statement, as
 * PostgREST, Storage and Realtime do before running SQL as a caller. Each service names the
 * settings its upstream sets; values travel as parameters.
 */
export async function setLocalSettings(client: Pick<pg.ClientBase, 'query'>, settings: [name: string, value: string][]): Promise<void> {
  const calls = settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
  await client.query(`select ${calls.join(', ')}`, settings.flat());
}
