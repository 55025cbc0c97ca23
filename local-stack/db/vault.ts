import pg from 'pg';

/** `env(NAME)` in config.toml: the value comes from the environment (Supabase CLI convention). */
const ENV_REF = /^env\((.*)\)$/;

/**
 * What the Supabase CLI does with `[db.vault]` of config.toml when it pushes: each name gets its
 * value in Vault (vault.create_secret / vault.update_secret), `env(NAME)` read from `env`; a
 * value left unresolved is skipped. The CLI writes only when it has migrations to apply; the
 * local stack writes at every start, so a stack moved to other ports points its jobs at itself.
 * Skipped on a database with the real pg_cron / pg_net (a hosted project keeps its own).
 */
export async function syncVaultSecrets(dbUrl: string, vault: Record<string, unknown>, env: Record<string, string | undefined>): Promise<string[]> {
  const resolved: [string, string][] = [];
  for (const [name, raw] of Object.entries(vault).sort(([a], [b]) => a.localeCompare(b))) {
    if (typeof raw !== 'string' || raw.length === 0) continue;
    const ref = ENV_REF.exec(raw);
    const value = ref ? env[ref[1]!] : raw;
    if (value) resolved.push([name, value]);
  }
  if (!resolved.length) return [];
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ real: boolean }>(
      `select exists (select from pg_extension where extname in ('pg_cron', 'pg_net')) as real`,
    );
    if (rows[0]!.real) return [];
    const existing = await client.query<{ id: string; name: string }>('select id, name from vault.secrets where name = any ($1)', [
      resolved.map(([n]) => n),
    ]);
    const ids = new Map(existing.rows.map((r) => [r.name, r.id]));
    for (const [name, value] of resolved) {
      const id = ids.get(name);
      if (id) await client.query('select vault.update_secret($1, $2)', [id, value]);
      else await client.query('select vault.create_secret($1, $2)', [value, name]);
    }
    return resolved.map(([n]) => n);
  } finally {
    await client.end();
  }
}
