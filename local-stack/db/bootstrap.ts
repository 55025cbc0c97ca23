import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { StackError } from './postgres.ts';

const SQL_DIR = fileURLToPath(new URL('./bootstrap/', import.meta.url));

/** Database-level setting that records which bootstrap a database received. */
export const MARKER_SETTING = 'lintel.platform_bootstrap';

/** Prefix of the comment on role supabase_admin when this bootstrap created the role. */
const ROLE_COMMENT_PREFIX = 'lintel platform bootstrap';

/** Any fixed key works; it only serialises concurrent bootstraps of one cluster. */
const ADVISORY_LOCK_KEY = 4_711_220_041;

type Queryable = Pick<pg.ClientBase, 'query'>;

interface SqlFile {
  name: string;
  sql: string;
  /** `<name>@<digest>`: what the marker records for this file. */
  id: string;
}

function loadSqlFiles(dir: string): SqlFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name), 'utf8');
      return { name, sql, id: `${name}@${createHash('sha256').update(sql).digest('hex').slice(0, 12)}` };
    });
}

async function readMarker(client: Queryable): Promise<string | null> {
  const { rows } = await client.query<{ value: string }>(
    `select split_part(cfg, '=', 2) as value
       from pg_catalog.pg_db_role_setting s
       join pg_catalog.pg_database d on d.oid = s.setdatabase
       cross join lateral unnest(s.setconfig) as cfg
      where d.datname = current_database()
        and s.setrole = 0
        and split_part(cfg, '=', 1) = $1`,
    [MARKER_SETTING],
  );
  return rows[0]?.value ?? null;
}

/**
 * True when the database is a real Supabase one: it has Supabase's superuser role
 * supabase_admin (or an auth schema) that this bootstrap did not create.
 */
export async function isRealSupabase(client: Queryable): Promise<boolean> {
  if ((await readMarker(client)) !== null) return false;
  const { rows } = await client.query<{ admin_is_ours: boolean | null; has_auth: boolean }>(
    `select
       (select coalesce(shobj_description(oid, 'pg_authid'), '') like $1
          from pg_catalog.pg_roles where rolname = 'supabase_admin') as admin_is_ours,
       exists (select from pg_catalog.pg_namespace where nspname = 'auth') as has_auth`,
    [`${ROLE_COMMENT_PREFIX}%`],
  );
  const { admin_is_ours, has_auth } = rows[0]!;
  // admin_is_ours is null when supabase_admin does not exist.
  return admin_is_ours === false || has_auth;
}

/**
 * Gives a vanilla Postgres the roles, schemas and objects a Supabase database starts with.
 * The marker lists each applied file with its digest, so files added later (like migrations)
 * are applied on top of an existing database; an applied file whose SQL has changed since
 * cannot be replayed and asks for a reset.
 */
export async function bootstrapPlatform(
  dbUrl: string,
  log: (msg: string) => void = () => {},
  sqlDir = SQL_DIR,
): Promise<'applied' | 'already-bootstrapped'> {
  const files = loadSqlFiles(sqlDir);
  const client = new pg.Client({ connectionString: dbUrl });
  // The SQL raises NOTICEs for grants that already exist; they carry no information.
  client.on('notice', () => {});
  await client.connect();
  try {
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
      const marker = await readMarker(client);
      const applied = new Set(marker ? marker.split(',') : []);
      if (marker === null && (await isRealSupabase(client))) {
        throw new StackError(
          'Refusing to bootstrap: this database is already a Supabase database (role supabase_admin or schema auth exists without the Lintel bootstrap marker).',
        );
      }
      const changed = files.filter((f) => !applied.has(f.id) && [...applied].some((a) => a.startsWith(`${f.name}@`)));
      if (changed.length || (marker !== null && !marker.includes('@'))) {
        throw new StackError(
          `This database was bootstrapped by an older ${changed[0]?.name ?? 'platform bootstrap'}: run \`npm run stack -- --reset\` to recreate it (this deletes the local data).`,
        );
      }
      const pending = files.filter((f) => !applied.has(f.id));
      if (!pending.length) {
        await client.query('rollback');
        log('platform bootstrap already applied');
        return 'already-bootstrapped';
      }
      for (const file of pending) {
        log(`platform bootstrap: ${file.name}`);
        try {
          await client.query(file.sql);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`Platform bootstrap failed in ${file.name}: ${message}`, { cause: error });
        }
      }
      const version = files.map((f) => f.id).join(',');
      const { rows } = await client.query<{ db: string }>(
        'select quote_ident(current_database()) as db',
      );
      await client.query(`alter database ${rows[0]!.db} set ${MARKER_SETTING} = '${version}'`);
      await client.query(`comment on role supabase_admin is '${ROLE_COMMENT_PREFIX} ${version}'`);
      await client.query('commit');
      log(`platform bootstrap applied: ${pending.map((f) => f.name).join(', ')}`);
      return 'applied';
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  } finally {
    await client.end();
  }
}
